// The AWS SDK for JavaScript v3, unchanged, configuring app clients through Gatehouse's
// Cognito admin API (SigV4-signed): CreateUserPoolClient with OAuth settings,
// UpdateUserPoolClient (a member left out returns to its default), DeleteUserPoolClient, and
// the errors Cognito raises, as the SDK's typed exceptions.
//
// Usage: node pool_config_sdk.mjs ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY POOL_ID
import assert from "node:assert/strict";

import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  InvalidOAuthFlowException,
  InvalidParameterException,
  ListUserPoolClientsCommand,
  ResourceNotFoundException,
  ScopeDoesNotExistException,
  UpdateUserPoolClientCommand,
  UpdateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, accessKeyId, secretAccessKey, poolId] = process.argv.slice(2);
const client = new CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId, secretAccessKey },
});

async function rejects(command, type, message) {
  await assert.rejects(client.send(command), (error) => {
    assert.ok(error instanceof type, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
    if (message !== undefined) {
      assert.equal(error.message, message);
    }
    return true;
  });
  console.log(`ok: ${command.constructor.name} raises ${type.name}`);
}

const describe = async (ClientId) =>
  (await client.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId })))
    .UserPoolClient;

const created = (
  await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: "spa",
      ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      CallbackURLs: ["https://spa.example/callback"],
      LogoutURLs: ["https://spa.example/"],
      AllowedOAuthFlows: ["code"],
      AllowedOAuthScopes: ["openid", "email"],
      AllowedOAuthFlowsUserPoolClient: true,
      SupportedIdentityProviders: ["COGNITO"],
      AccessTokenValidity: 10,
      TokenValidityUnits: { AccessToken: "minutes" },
      ReadAttributes: ["email", "nickname"],
      WriteAttributes: ["nickname"],
      AuthSessionValidity: 12,
    }),
  )
).UserPoolClient;
const clientId = created.ClientId;
const fresh = await describe(clientId);
assert.deepEqual(fresh.CallbackURLs, ["https://spa.example/callback"]);
assert.deepEqual(fresh.LogoutURLs, ["https://spa.example/"]);
assert.deepEqual(fresh.AllowedOAuthFlows, ["code"]);
assert.deepEqual(fresh.AllowedOAuthScopes, ["openid", "email"]);
assert.equal(fresh.AllowedOAuthFlowsUserPoolClient, true);
assert.deepEqual(fresh.SupportedIdentityProviders, ["COGNITO"]);
assert.equal(fresh.AccessTokenValidity, 10);
assert.equal(fresh.TokenValidityUnits.AccessToken, "minutes");
assert.deepEqual(fresh.ReadAttributes, ["email", "nickname"]);
assert.deepEqual(fresh.WriteAttributes, ["nickname"]);
assert.equal(fresh.AuthSessionValidity, 12);
console.log("ok: CreateUserPoolClient settings read back by DescribeUserPoolClient");

const updated = (
  await client.send(
    new UpdateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientId: clientId,
      ClientName: "spa-v2",
      ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH"],
      LogoutURLs: ["http://localhost:5173/"],
      EnableTokenRevocation: false,
    }),
  )
).UserPoolClient;
assert.deepEqual(updated, await describe(clientId));
assert.equal(updated.ClientName, "spa-v2");
assert.deepEqual(updated.LogoutURLs, ["http://localhost:5173/"]);
assert.equal(updated.EnableTokenRevocation, false);
for (const gone of ["CallbackURLs", "AllowedOAuthFlows", "AllowedOAuthScopes", "ReadAttributes", "WriteAttributes"]) {
  assert.equal(updated[gone], undefined, `${gone} resets`);
}
assert.equal(updated.AllowedOAuthFlowsUserPoolClient, false);
assert.equal(updated.AuthSessionValidity, 3);
assert.equal(updated.AccessTokenValidity, 1);
assert.equal(updated.TokenValidityUnits.AccessToken, "hours");
console.log("ok: UpdateUserPoolClient resets what it leaves out");

const update = (members) =>
  new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId, ...members });
await rejects(
  update({ CallbackURLs: ["https://spa.example/cb#fragment"] }),
  InvalidParameterException,
  "Invalid CallbackURLs: URLs cannot contain a fragment",
);
await rejects(
  update({
    AllowedOAuthFlowsUserPoolClient: true,
    AllowedOAuthFlows: ["code"],
    AllowedOAuthScopes: ["openid"],
  }),
  InvalidOAuthFlowException,
  "CallbackUrls can not be empty when code flow or implicit flow is selected",
);
await rejects(
  update({
    AllowedOAuthFlowsUserPoolClient: true,
    AllowedOAuthFlows: ["implicit"],
    AllowedOAuthScopes: ["admin/everything"],
    CallbackURLs: ["https://spa.example/callback"],
  }),
  ScopeDoesNotExistException,
  "Invalid scope requested: admin/everything",
);
await rejects(update({ AuthSessionValidity: 20 }), InvalidParameterException);
await rejects(
  update({ IdTokenValidity: 3, TokenValidityUnits: { IdToken: "days" } }),
  InvalidParameterException,
  "Invalid range for token validity.",
);
// The JS SDK serialises only members it knows, so an unknown one is sent as a raw body
// elsewhere (tests/api/pool_config.rs); here the SDK's own shapes are all accepted.
await rejects(
  new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: "nosuchclientid0000000000" }),
  ResourceNotFoundException,
  "User pool client does not exist.",
);

await client.send(new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
await rejects(
  new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }),
  ResourceNotFoundException,
  "User pool client does not exist.",
);
await rejects(
  new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }),
  ResourceNotFoundException,
  "User pool client does not exist.",
);
await rejects(
  new DeleteUserPoolClientCommand({ UserPoolId: "us-east-1_NoSuchPol", ClientId: clientId }),
  ResourceNotFoundException,
  "User pool us-east-1_NoSuchPol does not exist.",
);
const listed = await client.send(
  new ListUserPoolClientsCommand({ UserPoolId: poolId, MaxResults: 60 }),
);
assert.ok(!listed.UserPoolClients.some((c) => c.ClientId === clientId));
console.log("ok: DeleteUserPoolClient, and the client is gone");

// Deletion protection, through UpdateUserPool and DescribeUserPool.
await client.send(new UpdateUserPoolCommand({ UserPoolId: poolId, DeletionProtection: "ACTIVE" }));
const pool = (await client.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
assert.equal(pool.DeletionProtection, "ACTIVE");
assert.equal(pool.MfaConfiguration, "OFF");
assert.deepEqual(pool.LambdaConfig, {});
await client.send(new UpdateUserPoolCommand({ UserPoolId: poolId }));
const reset = (await client.send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
assert.equal(reset.DeletionProtection, "INACTIVE");
console.log("ok: UpdateUserPool DeletionProtection, reset when left out");

console.log("js pool config: all checks passed");
