// Custom authentication (CUSTOM_AUTH) driven by real clients, unchanged, against Gatehouse and
// the pool's challenge functions (tests/clients/lambda/handlers.py: a "What is 6 x 7?" quiz
// after an optional password):
// - amazon-cognito-identity-js: authenticateUser with authenticationFlowType CUSTOM_AUTH and
//   a password (SRP_A + CHALLENGE_NAME, PASSWORD_VERIFIER with the session, then the quiz);
//   initiateAuth without a password (the quiz alone); a wrong answer asked again.
// - Amplify JS v6: signIn with CUSTOM_WITH_SRP and CUSTOM_WITHOUT_SRP, confirmSignIn.
//
// Usage: node custom_auth_clients.mjs ENDPOINT POOL CLIENT
// The pool holds alice (password Correct-Horse-9); its client allows CUSTOM_AUTH and SRP.
import assert from "node:assert/strict";

import pkg from "amazon-cognito-identity-js";
import { confirmSignIn, fetchAuthSession, signIn, signOut } from "aws-amplify/auth";

import { configureAmplify } from "./amplify_node.mjs";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, userPoolId, clientId] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";

const pool = new CognitoUserPool({ UserPoolId: userPoolId, ClientId: clientId, endpoint });

// Signs in alice with identity-js; `answers` are sent in turn to each custom challenge.
function identitySignIn(password, answers) {
  const user = new CognitoUser({ Username: "alice", Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const questions = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => resolve({ session, questions }),
      onFailure: reject,
      customChallenge: (parameters) => {
        questions.push(parameters.question);
        const answer = answers.shift();
        if (answer === undefined) {
          reject(new Error("more challenges than answers"));
          return;
        }
        user.sendCustomChallengeAnswer(answer, callbacks);
      },
    };
    const details = new AuthenticationDetails({ Username: "alice", Password: password });
    if (password) {
      user.authenticateUser(details, callbacks);
    } else {
      user.initiateAuth(details, callbacks);
    }
  });
}

async function identityJs() {
  const withPassword = await identitySignIn(PASSWORD, ["42"]);
  assert.ok(withPassword.session.isValid());
  assert.deepEqual(withPassword.questions, ["What is 6 x 7?"]);
  assert.equal(withPassword.session.getAccessToken().payload.username, "alice");
  console.log("ok: identity-js CUSTOM_AUTH after SRP");

  const quizOnly = await identitySignIn(undefined, ["41", "42"]);
  assert.ok(quizOnly.session.isValid());
  assert.equal(quizOnly.questions.length, 2, "a wrong answer is asked again");
  console.log("ok: identity-js CUSTOM_AUTH without a password, a wrong answer then the right one");

  await assert.rejects(identitySignIn("Wrong-Horse-9", ["42"]), (error) => error.code === "NotAuthorizedException");
  await assert.rejects(identitySignIn(undefined, ["1", "2", "3"]), (error) => error.code === "NotAuthorizedException");
  console.log("ok: identity-js refused on a wrong password and after three wrong answers");
}

async function amplify() {
  configureAmplify(endpoint, userPoolId, clientId);
  for (const authFlowType of ["CUSTOM_WITH_SRP", "CUSTOM_WITHOUT_SRP"]) {
    const started = await signIn({
      username: "alice",
      password: authFlowType === "CUSTOM_WITH_SRP" ? PASSWORD : undefined,
      options: { authFlowType },
    });
    assert.equal(started.isSignedIn, false);
    assert.equal(started.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE");
    assert.equal(started.nextStep.additionalInfo.question, "What is 6 x 7?");
    const wrong = await confirmSignIn({ challengeResponse: "41" });
    assert.equal(wrong.nextStep.signInStep, "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE");
    const done = await confirmSignIn({ challengeResponse: "42" });
    assert.equal(done.isSignedIn, true, JSON.stringify(done));
    const { tokens } = await fetchAuthSession();
    assert.equal(tokens.accessToken.payload.username, "alice");
    await signOut();
    console.log(`ok: Amplify ${authFlowType}, a wrong answer then the right one`);
  }
}

await identityJs();
await amplify();
console.log("custom auth js clients: all checks passed");
