// TOTP multi-factor sign-in through real JavaScript clients, unchanged, in a pool whose MFA
// is ON: amazon-cognito-identity-js (SRP; the `mfaSetup` callback answered with
// associateSoftwareToken / verifySoftwareToken, then `totpRequired` answered with
// sendMFACode) and Amplify JS v6 (signIn → CONTINUE_SIGN_IN_WITH_TOTP_SETUP →
// confirmSignIn, then CONFIRM_SIGN_IN_WITH_TOTP_CODE → confirmSignIn).
//
// Usage: node mfa_clients.mjs ENDPOINT POOL CLIENT
// The pool holds alice and bob (password Correct-Horse-9), neither with an app yet.
// Codes: the script prints `TOTP <secret>` and reads the code from standard input; the test
// moves the server's clock to a fresh 30-second step and computes the code with pyotp.
// Setup URIs are printed as `URI <uri>` for the test to parse with pyotp.
import assert from "node:assert/strict";
import readline from "node:readline";

import pkg from "amazon-cognito-identity-js";
import { confirmSignIn, getCurrentUser, signIn, signOut } from "aws-amplify/auth";

import { configureAmplify } from "./amplify_node.mjs";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, userPoolId, userPoolClientId] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";

const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// The code the user's authenticator app shows now, as the test computes it.
async function totpCode(secret) {
  console.log(`TOTP ${secret}`);
  const { value, done } = await input.next();
  assert.ok(!done, "the test answers every TOTP request");
  return value.trim();
}

// amazon-cognito-identity-js: an authenticateUser whose callbacks end the promise with the
// step reached, so the script can answer each challenge in turn.
function identityJs() {
  const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: userPoolClientId, endpoint });
  return (username) => new CognitoUser({ Username: username, Pool: pool });
}

function authenticate(user, username) {
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: PASSWORD }), {
      onSuccess: (session) => resolve({ step: "signedIn", session }),
      onFailure: reject,
      mfaSetup: (challengeName, parameters) => resolve({ step: "mfaSetup", challengeName, parameters }),
      totpRequired: (challengeName, parameters) => resolve({ step: "totpRequired", challengeName, parameters }),
      mfaRequired: (challengeName) => reject(new Error(`unexpected mfaRequired ${challengeName}`)),
      selectMFAType: (challengeName) => reject(new Error(`unexpected selectMFAType ${challengeName}`)),
      newPasswordRequired: () => reject(new Error("unexpected newPasswordRequired")),
    }),
  );
}

function sendCode(user, code) {
  return new Promise((resolve, reject) =>
    user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, "SOFTWARE_TOKEN_MFA"),
  );
}

async function amazonCognitoIdentityJs() {
  const userNamed = identityJs();
  // First sign-in in an ON pool: no app yet, so the library asks to set one up.
  const alice = userNamed("alice");
  const setup = await authenticate(alice, "alice");
  assert.equal(setup.step, "mfaSetup");
  assert.equal(setup.challengeName, "MFA_SETUP");
  const secret = await new Promise((resolve, reject) =>
    alice.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }),
  );
  assert.match(secret, /^[A-Z2-7]{32,}$/, "a base32 secret");
  // A wrong code is refused, and the same session takes the right one after it.
  await assert.rejects(
    new Promise((resolve, reject) =>
      alice.verifySoftwareToken("000000", "laptop", { onSuccess: resolve, onFailure: reject }),
    ),
    (error) => error.code === "EnableSoftwareTokenMFAException" || error.name === "EnableSoftwareTokenMFAException",
  );
  const setupCode = await totpCode(secret);
  const setUpSession = await new Promise((resolve, reject) =>
    alice.verifySoftwareToken(setupCode, "laptop", { onSuccess: resolve, onFailure: reject }),
  );
  assert.ok(setUpSession.isValid(), "verifying the app answers MFA_SETUP with tokens");
  assert.equal(setUpSession.getAccessToken().payload.username, "alice");
  console.log("ok: amazon-cognito-identity-js sets up an app through the mfaSetup callback");

  // Next sign-in: the app is asked for through totpRequired.
  const again = userNamed("alice");
  const challenged = await authenticate(again, "alice");
  assert.equal(challenged.step, "totpRequired");
  assert.equal(challenged.challengeName, "SOFTWARE_TOKEN_MFA");
  const code = await totpCode(secret);
  const session = await sendCode(again, code);
  assert.ok(session.isValid());
  assert.equal(session.getIdToken().payload["cognito:username"], "alice");

  // The same code, still inside its drift window, is not accepted twice.
  const replay = userNamed("alice");
  assert.equal((await authenticate(replay, "alice")).step, "totpRequired");
  await assert.rejects(sendCode(replay, code), (error) => error.code === "CodeMismatchException");
  console.log("ok: amazon-cognito-identity-js answers totpRequired with sendMFACode; a replay is refused");
}

async function amplifyV6() {
  configureAmplify(endpoint, userPoolId, userPoolClientId);

  // No app yet: Amplify associates one with the sign-in's session and hands over the secret.
  const first = await signIn({ username: "bob", password: PASSWORD });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, "CONTINUE_SIGN_IN_WITH_TOTP_SETUP");
  const details = first.nextStep.totpSetupDetails;
  assert.match(details.sharedSecret, /^[A-Z2-7]{32,}$/);
  const uri = details.getSetupUri("Gatehouse", "bob");
  assert.equal(uri.protocol, "otpauth:");
  console.log(`URI ${uri.href}`);
  const setUp = await confirmSignIn({ challengeResponse: await totpCode(details.sharedSecret) });
  assert.equal(setUp.isSignedIn, true, JSON.stringify(setUp));
  assert.equal(setUp.nextStep.signInStep, "DONE");
  assert.equal((await getCurrentUser()).username, "bob");
  await signOut();
  console.log("ok: Amplify v6 sets up an app at CONTINUE_SIGN_IN_WITH_TOTP_SETUP");

  // Signed in again: the code is asked for.
  const second = await signIn({ username: "bob", password: PASSWORD });
  assert.equal(second.isSignedIn, false);
  assert.equal(second.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  await assert.rejects(
    confirmSignIn({ challengeResponse: "000000" }),
    (error) => error.name === "CodeMismatchException",
  );
  // A wrong code spends nothing Amplify cannot retry: sign in again and answer right.
  const third = await signIn({ username: "bob", password: PASSWORD });
  assert.equal(third.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_TOTP_CODE");
  const done = await confirmSignIn({ challengeResponse: await totpCode(details.sharedSecret) });
  assert.equal(done.isSignedIn, true, JSON.stringify(done));
  assert.equal((await getCurrentUser()).username, "bob");
  await signOut();
  console.log("ok: Amplify v6 answers CONFIRM_SIGN_IN_WITH_TOTP_CODE with confirmSignIn");
}

await amazonCognitoIdentityJs();
await amplifyV6();
input.return?.();
console.log("mfa clients: all checks passed");
process.exit(0);
