// E-mailed and texted second factors through Amplify JS v6, unchanged: signIn stops at
// CONFIRM_SIGN_IN_WITH_EMAIL_CODE (EMAIL_OTP) or CONFIRM_SIGN_IN_WITH_SMS_CODE (SMS_MFA),
// and confirmSignIn answers with the code the user received. Codes are read from the dev
// outbox (GATEHOUSE_DEV_OUTBOX), as the user reads their mail or texts.
//
// Usage: node mfa_email_amplify.mjs ENDPOINT POOL CLIENT
// The pool holds alice (verified e-mail, e-mail MFA on) and bob (verified phone, SMS MFA
// on), password Correct-Horse-9.
import assert from "node:assert/strict";

import { confirmSignIn, getCurrentUser, signIn, signOut } from "aws-amplify/auth";

import { configureAmplify } from "./amplify_node.mjs";

const [endpoint, userPoolId, userPoolClientId] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";

configureAmplify(endpoint, userPoolId, userPoolClientId);

// The newest `digits`-digit code sent to `to`.
async function newestCode(to, digits) {
  const response = await fetch(`${endpoint}/_dev/outbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200);
  const { Messages: messages } = await response.json();
  assert.ok(messages.length > 0, `a message was sent to ${to}`);
  const found = messages[0].Text.match(new RegExp(`\\b\\d{${digits}}\\b`));
  assert.ok(found, messages[0].Text);
  return found[0];
}

async function signsInWith({ username, step, medium, destination, digits }) {
  // A wrong code is refused.
  const first = await signIn({ username, password: PASSWORD });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, step, JSON.stringify(first.nextStep));
  assert.equal(first.nextStep.codeDeliveryDetails?.deliveryMedium, medium);
  await assert.rejects(
    confirmSignIn({ challengeResponse: "0".repeat(digits) }),
    (error) => error.name === "CodeMismatchException",
  );
  // Signed in again, a new code is sent, and it lets the user in.
  const second = await signIn({ username, password: PASSWORD });
  assert.equal(second.nextStep.signInStep, step);
  const done = await confirmSignIn({ challengeResponse: await newestCode(destination, digits) });
  assert.equal(done.isSignedIn, true, JSON.stringify(done));
  assert.equal(done.nextStep.signInStep, "DONE");
  assert.equal((await getCurrentUser()).username, username);
  await signOut();
  console.log(`ok: Amplify v6 answers ${step} with confirmSignIn`);
}

await signsInWith({
  username: "alice",
  step: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
  medium: "EMAIL",
  destination: "alice@example.com",
  digits: 8,
});
await signsInWith({
  username: "bob",
  step: "CONFIRM_SIGN_IN_WITH_SMS_CODE",
  medium: "SMS",
  destination: "+15555550123",
  digits: 6,
});
console.log("amplify mfa email: all checks passed");
process.exit(0);
