// amazon-cognito-identity-js, unchanged, signing in by SRP with an e-mail address: in a pool
// where the address is a verified alias of the username, and in one where it is the username
// (the stored username being a UUID). Cognito's USER_ID_FOR_SRP is the real username in both,
// which the library takes up for its proof.
//
// Usage: node srp_aliases.mjs ENDPOINT ALIAS_POOL ALIAS_CLIENT EMAIL_POOL EMAIL_CLIENT
// The alias pool holds alice with verified email alice@example.com; the e-mail pool holds a
// user created as bob@example.com. Both have password Correct-Horse-9.
import assert from "node:assert/strict";

import pkg from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, aliasPoolId, aliasClientId, emailPoolId, emailClientId] = process.argv.slice(2);
const PASSWORD = "Correct-Horse-9";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function signIn(poolId, clientId, username, password) {
  const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
  const user = new CognitoUser({ Username: username, Pool: pool });
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: reject,
    }),
  );
}

const refused = (error) => error.code === "NotAuthorizedException";

{
  const { user, session } = await signIn(aliasPoolId, aliasClientId, "Alice@Example.com", PASSWORD);
  assert.equal(user.getAuthenticationFlowType(), "USER_SRP_AUTH");
  assert.equal(session.getAccessToken().payload.username, "alice");
  assert.equal(user.getUsername(), "alice");
  await assert.rejects(signIn(aliasPoolId, aliasClientId, "alice@example.com", "Wrong-Horse-9"), refused);
  await assert.rejects(signIn(aliasPoolId, aliasClientId, "nobody@example.com", PASSWORD), refused);
  console.log("ok: SRP by e-mail alias signs in as the username");
}

{
  const { user, session } = await signIn(emailPoolId, emailClientId, "bob@example.com", PASSWORD);
  const payload = session.getIdToken().payload;
  assert.match(payload["cognito:username"], UUID);
  assert.equal(payload["cognito:username"], payload.sub);
  assert.equal(payload.email, "bob@example.com");
  assert.equal(user.getUsername(), payload.sub);
  await assert.rejects(signIn(emailPoolId, emailClientId, "bob@example.com", "Wrong-Horse-9"), refused);
  await assert.rejects(signIn(emailPoolId, emailClientId, "nobody@example.com", PASSWORD), refused);
  console.log("ok: SRP by e-mail as the username signs in as its UUID");
}

console.log("srp aliases js: all checks passed");
