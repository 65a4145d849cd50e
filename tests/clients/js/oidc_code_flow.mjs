// A certified OpenID Connect relying-party library, openid-client, unchanged, against
// Gatehouse: discovery, an authorization URL with PKCE S256, state and nonce, the sign-in
// form posted with a plain HTTP client (following its CSRF token and cookie), the callback,
// the code exchange with the ID token verified by the library, userInfo, and a refresh.
//
// Usage: node oidc_code_flow.mjs <issuer> <client id> <redirect uri> <username> <password>
import * as client from "openid-client";

const [issuer, clientId, redirectUri, username, password] = process.argv.slice(2);
// The test server is plain HTTP on 127.0.0.1; the library refuses that unless told.
const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});

const codeVerifier = client.randomPKCECodeVerifier();
const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid email aws.cognito.signin.user.admin",
  code_challenge: codeChallenge,
  code_challenge_method: "S256",
  state,
  nonce,
});

// A browser stand-in: follows redirects by hand and keeps the cookies.
const cookies = new Map();
function keep(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair.indexOf("=");
    cookies.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return response;
}
const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
async function get(url) {
  return keep(await fetch(url, { redirect: "manual", headers: { cookie: cookieHeader() } }));
}
const unescape = (s) => s.replaceAll("&amp;", "&").replaceAll("&#x2f;", "/").replaceAll("&quot;", '"');

let response = await get(authorizationUrl);
if (response.status !== 302) throw new Error(`authorize answered ${response.status}`);
const loginUrl = new URL(response.headers.get("location"), authorizationUrl);
response = await get(loginUrl);
const page = await response.text();
const csrf = unescape(page.match(/name="_csrf" value="([^"]+)"/)[1]);
const action = new URL(unescape(page.match(/action="([^"]+)"/)[1]), loginUrl);
response = keep(
  await fetch(action, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, username, password }),
  }),
);
if (response.status !== 302) throw new Error(`the sign-in form answered ${response.status}`);
const callbackUrl = new URL(response.headers.get("location"));

const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
if (claims.nonce !== nonce || claims.aud !== clientId) throw new Error("unexpected ID token claims");
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
if (info.username !== username) throw new Error(`userInfo named ${info.username}`);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
if (!refreshed.access_token) throw new Error("no access token from the refresh");
console.log(JSON.stringify({ sub: claims.sub, scope: tokens.scope ?? null }));
console.log("openid-client code flow passed");
