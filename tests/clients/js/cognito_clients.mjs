// Real JavaScript clients, unchanged, against Gatehouse: the AWS SDK v3,
// amazon-cognito-identity-js (USER_PASSWORD_AUTH; its signOut revokes through RevokeToken)
// and aws-jwt-verify (generic JwtVerifier on our issuer; CognitoJwtVerifier on the AWS-style
// issuer, its JWKS fetched from us).
//
// Usage: node cognito_clients.mjs OWN_ENDPOINT OWN_POOL OWN_CLIENT AWS_ENDPOINT AWS_POOL AWS_CLIENT
// Both servers hold user alice with password Correct-Horse-9.
import assert from "node:assert/strict";

import {
  CognitoIdentityProviderClient,
  GetUserCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import pkg from "amazon-cognito-identity-js";
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [ownEndpoint, ownPool, ownClient, awsEndpoint, awsPool, awsClient] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";

function sdk(endpoint) {
  return new CognitoIdentityProviderClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "unused", secretAccessKey: "unused" },
  });
}

async function jsSdkV3() {
  const client = sdk(ownEndpoint);
  const signedIn = await client.send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: ownClient,
      AuthParameters: { USERNAME: "alice", PASSWORD },
    }),
  );
  assert.equal(signedIn.AuthenticationResult.TokenType, "Bearer");
  const user = await client.send(
    new GetUserCommand({ AccessToken: signedIn.AuthenticationResult.AccessToken }),
  );
  assert.equal(user.Username, "alice");
  await assert.rejects(
    client.send(
      new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: ownClient,
        AuthParameters: { USERNAME: "alice", PASSWORD: "Wrong-Horse-9" },
      }),
    ),
    (error) => error.name === "NotAuthorizedException",
  );
  console.log("ok: JS SDK v3 signs in, reads the user, maps errors");
}

function callback(resolve, reject) {
  return { onSuccess: resolve, onFailure: reject };
}

async function amazonCognitoIdentityJs() {
  const pool = new CognitoUserPool({ UserPoolId: ownPool, ClientId: ownClient, endpoint: ownEndpoint });
  const user = new CognitoUser({ Username: "alice", Pool: pool });
  user.setAuthenticationFlowType("USER_PASSWORD_AUTH");
  const session = await new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: "alice", Password: PASSWORD }), callback(resolve, reject)),
  );
  assert.ok(session.isValid());
  assert.ok(session.getAccessToken().payload.origin_jti, "revocable sessions carry origin_jti");
  const refreshed = await new Promise((resolve, reject) =>
    user.refreshSession(session.getRefreshToken(), (error, result) => (error ? reject(error) : resolve(result))),
  );
  assert.notEqual(refreshed.getAccessToken().getJwtToken(), session.getAccessToken().getJwtToken());
  // signOut revokes the refresh token through RevokeToken because the token has origin_jti.
  await new Promise((resolve, reject) => user.signOut((error) => (error ? reject(error) : resolve())));
  await assert.rejects(
    sdk(ownEndpoint).send(
      new InitiateAuthCommand({
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: ownClient,
        AuthParameters: { REFRESH_TOKEN: session.getRefreshToken().getToken() },
      }),
    ),
    (error) => error.name === "NotAuthorizedException",
  );
  console.log("ok: amazon-cognito-identity-js signs in, refreshes, signs out with RevokeToken");
}

async function signIn(endpoint, clientId) {
  const result = await sdk(endpoint).send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: "alice", PASSWORD },
    }),
  );
  return result.AuthenticationResult;
}

async function awsJwtVerify() {
  // Gatehouse's own issuer: the generic verifier with our issuer and JWKS URL. Its built-in
  // fetcher speaks HTTPS only; over plain HTTP (this test) it is handed the JWKS instead.
  const own = await signIn(ownEndpoint, ownClient);
  const issuer = `${ownEndpoint}/${ownPool}`;
  const jwksUri = `${issuer}/.well-known/jwks.json`;
  const ownJwks = await (await fetch(jwksUri)).json();
  const idVerifier = JwtVerifier.create({ issuer, audience: ownClient, jwksUri });
  idVerifier.cacheJwks(ownJwks);
  const idPayload = await idVerifier.verify(own.IdToken);
  assert.equal(idPayload.token_use, "id");
  const accessVerifier = JwtVerifier.create({
    issuer,
    audience: null,
    jwksUri,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== "access" || payload.client_id !== ownClient) {
        throw new Error("not an access token of this client");
      }
    },
  });
  accessVerifier.cacheJwks(ownJwks);
  await accessVerifier.verify(own.AccessToken);
  const wrongAudience = JwtVerifier.create({ issuer, audience: "someoneelse", jwksUri });
  wrongAudience.cacheJwks(ownJwks);
  await assert.rejects(wrongAudience.verify(own.IdToken));

  // The AWS-style issuer: CognitoJwtVerifier unchanged, its JWKS taken from Gatehouse.
  const aws = await signIn(awsEndpoint, awsClient);
  const jwks = await (await fetch(`${awsEndpoint}/${awsPool}/.well-known/jwks.json`)).json();
  for (const [tokenUse, token] of [["id", aws.IdToken], ["access", aws.AccessToken]]) {
    const verifier = CognitoJwtVerifier.create({ userPoolId: awsPool, tokenUse, clientId: awsClient });
    verifier.cacheJwks(jwks);
    const payload = await verifier.verify(token);
    assert.equal(payload.token_use, tokenUse);
    const wrongClient = CognitoJwtVerifier.create({ userPoolId: awsPool, tokenUse, clientId: "wrongclient0000000000000aa" });
    wrongClient.cacheJwks(jwks);
    await assert.rejects(wrongClient.verify(token));
  }
  console.log("ok: aws-jwt-verify accepts both issuer styles and refuses a wrong client id");
}

await jsSdkV3();
await amazonCognitoIdentityJs();
await awsJwtVerify();
console.log("js clients: all checks passed");
