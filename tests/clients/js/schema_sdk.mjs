// The AWS SDK for JavaScript v3, unchanged, against Gatehouse's pool schemas:
// CreateUserPool with a Schema, DescribeUserPool read back field by field,
// AddCustomAttributes, attribute writes checked against the schema, and Cognito's errors.
//
// Usage: node schema_sdk.mjs ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
import assert from "node:assert/strict";

import {
  AddCustomAttributesCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const idp = new CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId, secretAccessKey },
});

const nonconforming = (...lines) =>
  "Attributes did not conform to the schema: " + lines.map((l) => l + "\n").join("");

async function refused(command, name, message) {
  await assert.rejects(idp.send(command), (error) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.message, message);
    assert.equal(error.$metadata.httpStatusCode, 400);
    return true;
  });
  console.log(`ok: ${command.constructor.name} refused with ${name}`);
}

const created = await idp.send(
  new CreateUserPoolCommand({
    PoolName: "js-staff",
    Schema: [
      { Name: "email", AttributeDataType: "String", Required: true, Mutable: true },
      {
        Name: "region",
        AttributeDataType: "String",
        StringAttributeConstraints: { MinLength: "2", MaxLength: "6" },
      },
      { Name: "account", AttributeDataType: "String", Mutable: false },
      { Name: "seats", AttributeDataType: "Number", NumberAttributeConstraints: { MaxValue: "100" } },
    ],
  }),
);
const poolId = created.UserPool.Id;
const described = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
assert.deepEqual(described.SchemaAttributes, created.UserPool.SchemaAttributes);
const byName = Object.fromEntries(described.SchemaAttributes.map((a) => [a.Name, a]));
assert.equal(described.SchemaAttributes.length, 23);
assert.deepEqual(byName.email, {
  Name: "email",
  AttributeDataType: "String",
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: true,
  StringAttributeConstraints: { MinLength: "0", MaxLength: "2048" },
});
assert.deepEqual(byName.email_verified, {
  Name: "email_verified",
  AttributeDataType: "Boolean",
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
});
assert.deepEqual(byName["custom:region"], {
  Name: "custom:region",
  AttributeDataType: "String",
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
  StringAttributeConstraints: { MinLength: "2", MaxLength: "6" },
});
assert.equal(byName["custom:account"].Mutable, false);
assert.deepEqual(byName["custom:seats"].NumberAttributeConstraints, { MaxValue: "100" });
console.log("ok: CreateUserPool and DescribeUserPool SchemaAttributes");

await idp.send(
  new AddCustomAttributesCommand({
    UserPoolId: poolId,
    CustomAttributes: [{ Name: "beta", AttributeDataType: "Boolean" }],
  }),
);
const after = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
assert.deepEqual(after.SchemaAttributes.at(-1), {
  Name: "custom:beta",
  AttributeDataType: "Boolean",
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
});
console.log("ok: AddCustomAttributes");

await refused(
  new AddCustomAttributesCommand({
    UserPoolId: poolId,
    CustomAttributes: [{ Name: "region", AttributeDataType: "String" }],
  }),
  "InvalidParameterException",
  "Existing attribute already has name custom:region.",
);
await refused(
  new AddCustomAttributesCommand({
    UserPoolId: poolId,
    CustomAttributes: [{ Name: "kind", AttributeDataType: "Text" }],
  }),
  "InvalidParameterException",
  "1 validation error detected: Value at 'customAttributes.1.member.attributeDataType' failed " +
    "to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]",
);
await refused(
  new CreateUserPoolCommand({
    PoolName: "refused",
    Schema: [{ Name: "phone_number", AttributeDataType: "Boolean" }],
  }),
  "InvalidParameterException",
  "You can not change AttributeDataType or set developerOnlyAttribute for standard schema " +
    "attribute phone_number",
);
await refused(
  new AdminCreateUserCommand({
    UserPoolId: poolId,
    Username: "kim",
    MessageAction: "SUPPRESS",
    UserAttributes: [{ Name: "custom:region", Value: "eu" }],
  }),
  "InvalidParameterException",
  nonconforming("email: The attribute is required"),
);
await refused(
  new AdminCreateUserCommand({
    UserPoolId: poolId,
    Username: "kim",
    MessageAction: "SUPPRESS",
    UserAttributes: [
      { Name: "email", Value: "kim@example.com" },
      { Name: "custom:beta", Value: "perhaps" },
      { Name: "custom:region", Value: "europe-west" },
    ],
  }),
  "InvalidParameterException",
  nonconforming(
    "custom:beta: Value must be true or false",
    "custom:region: String must be no longer than 6 characters",
  ),
);
await idp.send(
  new AdminCreateUserCommand({
    UserPoolId: poolId,
    Username: "kim",
    MessageAction: "SUPPRESS",
    UserAttributes: [
      { Name: "email", Value: "kim@example.com" },
      { Name: "phone_number_verified", Value: "False" },
      { Name: "custom:beta", Value: "True" },
      { Name: "custom:account", Value: "A-1" },
      { Name: "custom:seats", Value: "12" },
    ],
  }),
);
const kim = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: "kim" }));
const got = Object.fromEntries(kim.UserAttributes.map((a) => [a.Name, a.Value]));
assert.equal(got["custom:beta"], "true");
assert.equal(got.phone_number_verified, "false");
console.log("ok: AdminCreateUser conforms to the schema");
await refused(
  new AdminUpdateUserAttributesCommand({
    UserPoolId: poolId,
    Username: "kim",
    UserAttributes: [{ Name: "custom:account", Value: "A-2" }],
  }),
  "InvalidParameterException",
  nonconforming("custom:account: Attribute cannot be updated."),
);
await refused(
  new AdminUpdateUserAttributesCommand({
    UserPoolId: poolId,
    Username: "kim",
    UserAttributes: [{ Name: "custom:seats", Value: "101" }],
  }),
  "InvalidParameterException",
  nonconforming("custom:seats: Number must be no greater than 100"),
);
await idp.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
console.log("js schema: all checks passed");
