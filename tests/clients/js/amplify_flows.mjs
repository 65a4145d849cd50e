// Amplify JS v6 (aws-amplify), configured as an app would configure it for Cognito but with
// userPoolEndpoint aimed at Gatehouse, runs under Node: signUp, confirmSignUp with the code
// from the dev outbox, signIn (SRP, Amplify's default), fetchUserAttributes,
// updateUserAttributes, signOut, resetPassword / confirmResetPassword, signIn with the
// new password, and an e-mail change: updateUserAttributes, sendUserAttributeVerificationCode
// and confirmUserAttribute with the code from the outbox.
//
// Usage: node amplify_flows.mjs ENDPOINT POOL CLIENT
// The pool allows self sign-up; the server runs with GATEHOUSE_DEV_OUTBOX=true. The script
// signs up carol (carol@example.com) and ends with her password Brand-New-Horse-7 and her
// address carol.danvers@example.com, verified.
import assert from "node:assert/strict";

import {
  confirmResetPassword,
  confirmSignUp,
  confirmUserAttribute,
  fetchAuthSession,
  fetchUserAttributes,
  getCurrentUser,
  resetPassword,
  sendUserAttributeVerificationCode,
  signIn,
  signOut,
  signUp,
  updateUserAttributes,
} from "aws-amplify/auth";

import { configureAmplify } from "./amplify_node.mjs";

const [endpoint, userPoolId, userPoolClientId] = process.argv.slice(2);
const USERNAME = "carol";
const EMAIL = "carol@example.com";
const PASSWORD = "Correct-Horse-9";
const NEW_PASSWORD = "Brand-New-Horse-7";
const NEW_EMAIL = "carol.danvers@example.com";

const store = configureAmplify(endpoint, userPoolId, userPoolClientId);

// The newest code sent to `to`, read from Gatehouse's dev outbox as a user reads their mail.
async function codeSentTo(to, seen) {
  const response = await fetch(`${endpoint}/_dev/outbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200);
  const { Messages } = await response.json();
  const newest = Messages[0];
  assert.ok(newest, `a message was sent to ${to}`);
  const code = newest.Text.match(/\b\d{6}\b/)?.[0];
  assert.ok(code, `the message to ${to} holds a six-digit code: ${newest.Text}`);
  assert.ok(!seen.has(code) || Messages.length === 1, "a fresh message was sent");
  seen.add(code);
  return code;
}

const codes = new Set();

async function signUpAndConfirm() {
  const signedUp = await signUp({
    username: USERNAME,
    password: PASSWORD,
    options: { userAttributes: { email: EMAIL } },
  });
  assert.equal(signedUp.isSignUpComplete, false);
  assert.equal(signedUp.nextStep.signUpStep, "CONFIRM_SIGN_UP");
  assert.equal(signedUp.nextStep.codeDeliveryDetails.deliveryMedium, "EMAIL");
  assert.equal(signedUp.nextStep.codeDeliveryDetails.attributeName, "email");
  assert.ok(signedUp.userId, "signUp returns the user's sub");

  await assert.rejects(
    confirmSignUp({ username: USERNAME, confirmationCode: "000000" }),
    (error) => error.name === "CodeMismatchException",
  );
  const confirmed = await confirmSignUp({
    username: USERNAME,
    confirmationCode: await codeSentTo(EMAIL, codes),
  });
  assert.equal(confirmed.isSignUpComplete, true);
  assert.equal(confirmed.nextStep.signUpStep, "DONE");
  console.log("ok: signUp, confirmSignUp with the code from the outbox");
  return signedUp.userId;
}

async function signInWithSrp(password, email = EMAIL) {
  const result = await signIn({ username: USERNAME, password });
  assert.equal(result.isSignedIn, true, JSON.stringify(result.nextStep));
  assert.equal(result.nextStep.signInStep, "DONE");
  const user = await getCurrentUser();
  assert.equal(user.username, USERNAME);
  const { tokens } = await fetchAuthSession();
  assert.equal(tokens.accessToken.payload.username, USERNAME);
  assert.equal(tokens.idToken.payload.email, email);
  assert.ok([...store.keys()].some((key) => key.endsWith(".accessToken")), "tokens were stored");
  return user;
}

async function signInAndAttributes(sub) {
  await assert.rejects(
    signIn({ username: USERNAME, password: "Wrong-Horse-9" }),
    (error) => error.name === "NotAuthorizedException",
  );
  const user = await signInWithSrp(PASSWORD);
  assert.equal(user.userId, sub);
  console.log("ok: signIn (SRP) after a wrong password is refused");

  const attributes = await fetchUserAttributes();
  assert.equal(attributes.sub, sub);
  assert.equal(attributes.email, EMAIL);
  assert.equal(attributes.email_verified, "true");

  const updated = await updateUserAttributes({
    userAttributes: { name: "Carol Danvers", locale: "en-GB" },
  });
  for (const name of ["name", "locale"]) {
    assert.equal(updated[name].isUpdated, true, JSON.stringify(updated));
    assert.equal(updated[name].nextStep.updateAttributeStep, "DONE");
  }
  const after = await fetchUserAttributes();
  assert.equal(after.name, "Carol Danvers");
  assert.equal(after.locale, "en-GB");
  assert.equal(after.email, EMAIL);
  console.log("ok: fetchUserAttributes, updateUserAttributes");

  await signOut();
  assert.ok(![...store.keys()].some((key) => key.endsWith(".accessToken")), "tokens were removed");
  await assert.rejects(getCurrentUser(), (error) => error.name === "UserUnAuthenticatedException");
  console.log("ok: signOut");
}

async function resetAndSignIn() {
  const reset = await resetPassword({ username: USERNAME });
  assert.equal(reset.isPasswordReset, false);
  assert.equal(reset.nextStep.resetPasswordStep, "CONFIRM_RESET_PASSWORD_WITH_CODE");
  assert.equal(reset.nextStep.codeDeliveryDetails.deliveryMedium, "EMAIL");
  await assert.rejects(
    confirmResetPassword({ username: USERNAME, confirmationCode: "000000", newPassword: NEW_PASSWORD }),
    (error) => error.name === "CodeMismatchException",
  );
  await confirmResetPassword({
    username: USERNAME,
    confirmationCode: await codeSentTo(EMAIL, codes),
    newPassword: NEW_PASSWORD,
  });
  console.log("ok: resetPassword, confirmResetPassword with the code from the outbox");

  await assert.rejects(
    signIn({ username: USERNAME, password: PASSWORD }),
    (error) => error.name === "NotAuthorizedException",
  );
  await signInWithSrp(NEW_PASSWORD);
  await signOut();
  console.log("ok: signIn (SRP) with the new password only");
}

async function changeEmail() {
  await signInWithSrp(NEW_PASSWORD);
  const updated = await updateUserAttributes({ userAttributes: { email: NEW_EMAIL } });
  assert.equal(updated.email.isUpdated, false, JSON.stringify(updated));
  assert.equal(updated.email.nextStep.updateAttributeStep, "CONFIRM_ATTRIBUTE_WITH_CODE");
  assert.equal(updated.email.nextStep.codeDeliveryDetails.deliveryMedium, "EMAIL");
  const pending = await fetchUserAttributes();
  assert.equal(pending.email, NEW_EMAIL);
  assert.equal(pending.email_verified, "false");

  // Asked again: a fresh code replaces the first.
  const sent = await sendUserAttributeVerificationCode({ userAttributeKey: "email" });
  assert.equal(sent.deliveryMedium, "EMAIL");
  assert.equal(sent.attributeName, "email");
  await assert.rejects(
    confirmUserAttribute({ userAttributeKey: "email", confirmationCode: "000000" }),
    (error) => error.name === "CodeMismatchException",
  );
  await confirmUserAttribute({
    userAttributeKey: "email",
    confirmationCode: await codeSentTo(NEW_EMAIL, codes),
  });
  const verified = await fetchUserAttributes();
  assert.equal(verified.email, NEW_EMAIL);
  assert.equal(verified.email_verified, "true");
  await signOut();
  await signInWithSrp(NEW_PASSWORD, NEW_EMAIL);
  await signOut();
  console.log(
    "ok: updateUserAttributes (email), sendUserAttributeVerificationCode, confirmUserAttribute",
  );
}

const sub = await signUpAndConfirm();
await signInAndAttributes(sub);
await resetAndSignIn();
await changeEmail();
console.log("amplify: all checks passed");
