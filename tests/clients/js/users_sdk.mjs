// AdminGetUser and ListUsers as the AWS SDK for JavaScript v3 reads them (issue #13, item 6):
// each UserStatus, Enabled, UserCreateDate / UserLastModifiedDate parsed into Dates, `sub`
// among the attributes, no MFA members for a user without MFA, and the errors.
//
// Usage: node users_sdk.mjs ENDPOINT POOL_ID CLIENT_ID ADMIN_KEY_ID ADMIN_SECRET
// The pool allows self sign-up; its client needs no secret.
import assert from "node:assert/strict";

import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminResetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, poolId, clientId, accessKeyId, secretAccessKey] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";
const idp = new CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId, secretAccessKey },
});
const MEMBERS = [
  "Enabled",
  "UserAttributes",
  "UserCreateDate",
  "UserLastModifiedDate",
  "UserStatus",
  "Username",
];

async function expectUser(username, status, enabled = true) {
  const user = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
  const members = Object.keys(user)
    .filter((key) => key !== "$metadata" && user[key] !== undefined)
    .sort();
  assert.deepEqual(members, MEMBERS, "no MFA members for a user without MFA");
  assert.equal(user.Username, username);
  assert.equal(user.UserStatus, status);
  assert.equal(user.Enabled, enabled);
  assert.ok(user.UserCreateDate instanceof Date && !Number.isNaN(user.UserCreateDate.getTime()));
  assert.ok(user.UserLastModifiedDate instanceof Date);
  assert.ok(user.UserLastModifiedDate >= user.UserCreateDate);
  // Epoch seconds, read as such: within a day of now (the server runs on a test clock).
  assert.ok(Math.abs(user.UserCreateDate.getTime() - Date.now()) < 86_400_000);
  const attributes = Object.fromEntries(user.UserAttributes.map((a) => [a.Name, a.Value]));
  assert.match(attributes.sub, /^[0-9a-f-]{36}$/);

  const listed = await idp.send(
    new ListUsersCommand({ UserPoolId: poolId, Filter: `username = "${username}"` }),
  );
  assert.equal(listed.Users.length, 1);
  const [entry] = listed.Users;
  assert.equal(entry.MFAOptions, undefined);
  assert.equal(entry.UserStatus, status);
  assert.equal(entry.Enabled, enabled);
  assert.equal(entry.UserCreateDate.getTime(), user.UserCreateDate.getTime());
  assert.equal(entry.UserLastModifiedDate.getTime(), user.UserLastModifiedDate.getTime());
  assert.deepEqual(
    Object.fromEntries(entry.Attributes.map((a) => [a.Name, a.Value])),
    attributes,
  );
  console.log(`ok: ${username} is ${status} (enabled: ${enabled})`);
  return attributes;
}

await idp.send(
  new SignUpCommand({
    ClientId: clientId,
    Username: "sdk-una",
    Password: PASSWORD,
    UserAttributes: [{ Name: "email", Value: "una@example.com" }],
  }),
);
const attributes = await expectUser("sdk-una", "UNCONFIRMED");
assert.equal(attributes.email, "una@example.com");
await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: poolId, Username: "sdk-una" }));
await expectUser("sdk-una", "CONFIRMED");
await idp.send(
  new AdminUpdateUserAttributesCommand({
    UserPoolId: poolId,
    Username: "sdk-una",
    UserAttributes: [{ Name: "email_verified", Value: "true" }],
  }),
);
await idp.send(new AdminResetUserPasswordCommand({ UserPoolId: poolId, Username: "sdk-una" }));
await expectUser("sdk-una", "RESET_REQUIRED");
await idp.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: "sdk-una" }));
await expectUser("sdk-una", "RESET_REQUIRED", false);

const created = await idp.send(
  new AdminCreateUserCommand({ UserPoolId: poolId, Username: "sdk-finn", MessageAction: "SUPPRESS" }),
);
assert.equal(created.User.UserStatus, "FORCE_CHANGE_PASSWORD");
assert.ok(created.User.UserCreateDate instanceof Date);
await expectUser("sdk-finn", "FORCE_CHANGE_PASSWORD");

await assert.rejects(
  idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: "sdk-nobody" })),
  (error) => error.name === "UserNotFoundException",
);
await assert.rejects(
  idp.send(new ListUsersCommand({ UserPoolId: poolId.replace(/_.*/, "_NoSuchPol") })),
  (error) => error.name === "ResourceNotFoundException",
);
await assert.rejects(
  idp.send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'colour = "red"' })),
  (error) => error.name === "InvalidParameterException",
);
console.log("users sdk: all checks passed");
