// The client_credentials grant's access token, verified by aws-jwt-verify's CognitoJwtVerifier
// unchanged (AWS-style issuer), with the custom scope required; a scope the token lacks and
// another client id are refused.
//
// Usage: node client_credentials.mjs ENDPOINT POOL_ID CLIENT_ID CLIENT_SECRET SCOPE OTHER_SCOPE
import assert from "node:assert/strict";
import { CognitoJwtVerifier } from "aws-jwt-verify";

const [endpoint, poolId, clientId, clientSecret, scope, otherScope] = process.argv.slice(2);

const response = await fetch(`${endpoint}/${poolId}/oauth2/token`, {
  method: "POST",
  headers: {
    "Content-Type": "application/x-www-form-urlencoded",
    Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
  },
  body: new URLSearchParams({ grant_type: "client_credentials", scope }),
});
assert.equal(response.status, 200);
const tokens = await response.json();
assert.equal(tokens.token_type, "Bearer");
assert.equal(tokens.id_token, undefined);
assert.equal(tokens.refresh_token, undefined);

const jwks = await (await fetch(`${endpoint}/${poolId}/.well-known/jwks.json`)).json();
const verifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: "access", clientId, scope });
verifier.cacheJwks(jwks);
const payload = await verifier.verify(tokens.access_token);
assert.equal(payload.sub, clientId);
assert.equal(payload.client_id, clientId);
assert.equal(payload.scope, scope);
assert.equal(payload.version, 2);
console.log("ok: CognitoJwtVerifier accepts the token with the custom scope required");

const needsOther = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: "access", clientId, scope: otherScope });
needsOther.cacheJwks(jwks);
await assert.rejects(needsOther.verify(tokens.access_token));
const otherClient = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: "access", clientId: "wrongclient0000000000000aa", scope });
otherClient.cacheJwks(jwks);
await assert.rejects(otherClient.verify(tokens.access_token));
const idOnly = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: "id", clientId });
idOnly.cacheJwks(jwks);
await assert.rejects(idOnly.verify(tokens.access_token));
console.log("ok: a missing scope, another client and the wrong token use are refused");
console.log("client credentials js: all checks passed");
