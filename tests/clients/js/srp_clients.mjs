// amazon-cognito-identity-js with its defaults, which sign in by SRP (USER_SRP_AUTH, then
// PASSWORD_VERIFIER), against Gatehouse: sign-in, a wrong password, NEW_PASSWORD_REQUIRED
// completed after the verifier step, and a password change followed by SRP with the new one.
//
// Usage: node srp_clients.mjs ENDPOINT POOL CLIENT
// The pool holds alice (password Correct-Horse-9) and invited (temporary password
// Correct-Horse-9); both end with password Brand-New-Horse-7.
import assert from "node:assert/strict";

import pkg from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, poolId, clientId] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";
const NEW_PASSWORD = "Brand-New-Horse-7";

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

function signIn(username, password, onNewPassword) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
      newPasswordRequired: (userAttributes, requiredAttributes) =>
        onNewPassword
          ? onNewPassword(user, userAttributes, requiredAttributes, resolve, reject)
          : reject(new Error("unexpected newPasswordRequired")),
    }),
  );
}

async function srpSignIn() {
  const { user, session } = await signIn("alice", PASSWORD);
  assert.equal(user.getAuthenticationFlowType(), "USER_SRP_AUTH");
  assert.ok(session.isValid());
  assert.equal(session.getAccessToken().payload.username, "alice");
  await assert.rejects(signIn("alice", "Wrong-Horse-9"), (error) => error.code === "NotAuthorizedException");
  await assert.rejects(signIn("nobody", PASSWORD), (error) => error.code === "NotAuthorizedException");
  console.log("ok: SRP sign-in, wrong password and unknown user");
}

async function newPasswordRequired() {
  let asked = false;
  const { session } = await signIn("invited", PASSWORD, (user, userAttributes, requiredAttributes, resolve, reject) => {
    asked = true;
    assert.deepEqual(requiredAttributes, []);
    user.completeNewPasswordChallenge(NEW_PASSWORD, {}, {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
    });
  });
  assert.ok(asked, "newPasswordRequired was called");
  assert.ok(session.isValid());
  const again = await signIn("invited", NEW_PASSWORD);
  assert.ok(again.session.isValid());
  console.log("ok: newPasswordRequired after the verifier step, then SRP with the new password");
}

async function changePassword() {
  const { user } = await signIn("alice", PASSWORD);
  await new Promise((resolve, reject) =>
    user.changePassword(PASSWORD, NEW_PASSWORD, (error, result) => (error ? reject(error) : resolve(result))),
  );
  const { session } = await signIn("alice", NEW_PASSWORD);
  assert.ok(session.isValid());
  await assert.rejects(signIn("alice", PASSWORD), (error) => error.code === "NotAuthorizedException");
  console.log("ok: changePassword, then SRP with the new password only");
}

await srpSignIn();
await newPasswordRequired();
await changePassword();
console.log("srp js clients: all checks passed");
