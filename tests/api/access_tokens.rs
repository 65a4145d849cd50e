//! Access tokens are checked wherever Gatehouse accepts one: every attack (RFC 8725; docs/security.md,
//! "Hostile input"), each as its own test, against one table of every
//! endpoint that takes an access token, on the login API (401), `/oauth2/userInfo` and the
//! Cognito API (400 with the AWS JSON envelope). `RevokeToken` takes refresh tokens only;
//! its attack is that a JWT there revokes nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::store::KeyPurpose;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error, field, jwt_part};
use crate::hostile_input::cognito;
use crate::on_both_backends;
use crate::support::Db;

const INVALID: &str = "Invalid Access Token";
const REVOKED: &str = "Access Token has been revoked";

on_both_backends!(
    a_valid_access_token_is_accepted_everywhere,
    alg_none_is_refused,
    hs256_signed_with_our_public_key_is_refused,
    an_unknown_kid_is_refused,
    key_locating_headers_are_refused,
    a_tampered_payload_is_refused,
    an_expired_token_is_refused_after_the_leeway,
    a_not_yet_valid_token_is_refused,
    an_id_token_is_not_an_access_token,
    a_token_of_another_pool_is_refused,
    a_key_of_one_pool_cannot_sign_for_another,
    a_revoked_session_token_is_refused,
    a_globally_signed_out_token_is_refused,
    a_disabled_users_token_is_refused,
    missing_and_malformed_authorization_headers_are_refused,
    revoke_token_takes_no_access_token,
);

struct Fixture {
    app: TestApp,
    tokens: Value,
}

async fn setup(backend: Db) -> Fixture {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", "alice@example.com")],
    )
    .await;
    let tokens = app.sign_in("acme", "alice", PASSWORD).await;
    Fixture { app, tokens }
}

/// Every endpoint that takes an access token, and how it is presented there.
#[derive(Debug, Clone, Copy)]
enum TokenEndpoint {
    UserInfoGet,
    UserInfoPost,
    LoginGlobalSignOut,
    LoginChangePassword,
    CognitoGetUser,
    CognitoGlobalSignOut,
    CognitoChangePassword,
}

const TOKEN_ENDPOINTS: [TokenEndpoint; 7] = [
    TokenEndpoint::UserInfoGet,
    TokenEndpoint::UserInfoPost,
    TokenEndpoint::LoginGlobalSignOut,
    TokenEndpoint::LoginChangePassword,
    TokenEndpoint::CognitoGetUser,
    TokenEndpoint::CognitoGlobalSignOut,
    TokenEndpoint::CognitoChangePassword,
];

impl TokenEndpoint {
    fn is_cognito(self) -> bool {
        matches!(
            self,
            Self::CognitoGetUser | Self::CognitoGlobalSignOut | Self::CognitoChangePassword
        )
    }

    async fn present(self, app: &TestApp, token: &str) -> reqwest::Response {
        let change = json!({"PreviousPassword": PASSWORD, "ProposedPassword": "Another-Horse-11"});
        match self {
            Self::UserInfoGet => app.user_info(token).await,
            Self::UserInfoPost => app.with_bearer("/oauth2/userInfo", token, None).await,
            Self::LoginGlobalSignOut => app.global_sign_out(token).await,
            Self::LoginChangePassword => {
                app.with_bearer("/ChangePassword", token, Some(&change))
                    .await
            }
            Self::CognitoGetUser => cognito(app, "GetUser", &json!({"AccessToken": token})).await,
            Self::CognitoGlobalSignOut => {
                cognito(app, "GlobalSignOut", &json!({"AccessToken": token})).await
            }
            Self::CognitoChangePassword => {
                let mut body = change;
                body["AccessToken"] = json!(token);
                cognito(app, "ChangePassword", &body).await
            }
        }
    }
}

/// Every endpoint that takes an access token refuses `token` with `message` (any message
/// when empty), in its API's error shape.
async fn refused_everywhere(app: &TestApp, token: &str, message: &str) {
    for endpoint in TOKEN_ENDPOINTS {
        let response = endpoint.present(app, token).await;
        if endpoint.is_cognito() {
            assert_eq!(response.status(), 400, "{endpoint:?}");
            let headers = response.headers().clone();
            assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
            assert!(headers.contains_key("x-amzn-requestid"));
            let body: Value = response.json().await.unwrap();
            let type_ = body["__type"].as_str().unwrap();
            assert_eq!(headers["x-amzn-errortype"], format!("{type_}:").as_str());
            if message.is_empty() {
                // A token too long to be one (over TokenModelType's 8 KiB) fails validation.
                assert!(
                    ["NotAuthorizedException", "InvalidParameterException"].contains(&type_),
                    "{endpoint:?}: {body}"
                );
            } else {
                assert_eq!(type_, "NotAuthorizedException", "{endpoint:?}");
                assert_eq!(body["message"], message, "{endpoint:?}");
            }
        } else {
            assert_error(response, 401, "NotAuthorizedException", message).await;
        }
    }
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Signs arbitrary claims with the pool's real access key, as only Gatehouse could.
async fn sign_with_pool_key(
    app: &TestApp,
    pool_name: &str,
    header_extra: Value,
    claims: &Value,
) -> String {
    let (pool, _) = app.services.find_pool(pool_name).await.unwrap();
    let (kid, key) = app
        .services
        .keys
        .signing_key(&pool.id, KeyPurpose::Access)
        .await
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid);
    if let Some(jku) = header_extra.get("jku") {
        header.jku = Some(jku.as_str().unwrap().to_owned());
    }
    if let Some(x5u) = header_extra.get("x5u") {
        header.x5u = Some(x5u.as_str().unwrap().to_owned());
    }
    if let Some(jwk) = header_extra.get("jwk") {
        header.jwk = Some(serde_json::from_value(jwk.clone()).unwrap());
    }
    if let Some(x5c) = header_extra.get("x5c") {
        header.x5c = Some(serde_json::from_value(x5c.clone()).unwrap());
    }
    gatehouse::crypto::jwt::sign_with_header(&header, claims, &key).unwrap()
}

async fn a_valid_access_token_is_accepted_everywhere(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let info: Value = f.app.user_info(&access).await.json().await.unwrap();
    assert_eq!(info["username"], "alice");
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["sub"], jwt_part(&access, 1)["sub"]);
    // POST works too, as on Cognito.
    let posted = f.app.with_bearer("/oauth2/userInfo", &access, None).await;
    assert_eq!(posted.status(), 200);
    let user: Value = cognito(&f.app, "GetUser", &json!({"AccessToken": access}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["Username"], "alice");
    // The endpoints that change state accept it too (the last one signs alice out).
    for endpoint in [
        TokenEndpoint::LoginChangePassword,
        TokenEndpoint::CognitoGlobalSignOut,
    ] {
        assert_eq!(
            endpoint.present(&f.app, &access).await.status(),
            200,
            "{endpoint:?}"
        );
    }
    f.app.stop().await;
}

async fn alg_none_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let parts = segments(&access);
    let kid = jwt_part(&access, 0)["kid"].clone();
    let none = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "kid": kid})),
        parts[1]
    );
    refused_everywhere(&f.app, &none, INVALID).await;
    let none_with_signature = format!(
        "{}.{}.{}",
        encode(&json!({"alg": "none", "kid": kid})),
        parts[1],
        parts[2]
    );
    refused_everywhere(&f.app, &none_with_signature, INVALID).await;
    f.app.stop().await;
}

async fn hs256_signed_with_our_public_key_is_refused(backend: Db) {
    use rsa::pkcs8::EncodePublicKey;
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let kid = jwt_part(&access, 0)["kid"].as_str().unwrap().to_owned();
    let (pool, _) = f.app.services.find_pool("acme").await.unwrap();
    let jwks = f.app.services.keys.jwks(&pool.id).await.unwrap();
    let jwk = jwks.iter().find(|k| k.kid == kid).unwrap();
    let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&jwk.n).unwrap());
    let e = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&jwk.e).unwrap());
    let pem = rsa::RsaPublicKey::new(n, e)
        .unwrap()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid);
    let claims = jwt_part(&access, 1);
    let forged = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()),
    )
    .unwrap();
    refused_everywhere(&f.app, &forged, INVALID).await;
    f.app.stop().await;
}

async fn an_unknown_kid_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let parts = segments(&access);
    for kid in [
        "unknown-kid",
        "../../../../etc/passwd",
        "' OR 1=1 --",
        &"k".repeat(1_000),
    ] {
        let header = encode(&json!({"alg": "RS256", "kid": kid}));
        refused_everywhere(
            &f.app,
            &format!("{header}.{}.{}", parts[1], parts[2]),
            INVALID,
        )
        .await;
    }
    // A token too long to be ours is refused before it is parsed.
    let header = encode(&json!({"alg": "RS256", "kid": "k".repeat(10_000)}));
    refused_everywhere(&f.app, &format!("{header}.{}.{}", parts[1], parts[2]), "").await;
    f.app.stop().await;
}

async fn key_locating_headers_are_refused(backend: Db) {
    let f = setup(backend).await;
    let claims = jwt_part(&field(&f.tokens, "AccessToken"), 1);
    let (pool, _) = f.app.services.find_pool("acme").await.unwrap();
    let ours = f.app.services.keys.jwks(&pool.id).await.unwrap();
    let jwk = serde_json::to_value(&ours[0]).unwrap();
    for extra in [
        json!({"jku": "https://attacker.example/jwks.json"}),
        json!({"x5u": "https://attacker.example/cert"}),
        json!({"jwk": {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}}),
        json!({"x5c": ["MIIBattackercert"]}),
    ] {
        let token = sign_with_pool_key(&f.app, "acme", extra, &claims).await;
        refused_everywhere(&f.app, &token, INVALID).await;
    }
    f.app.stop().await;
}

async fn a_tampered_payload_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let parts = segments(&access);
    let mut claims = jwt_part(&access, 1);
    claims["username"] = json!("admin");
    refused_everywhere(
        &f.app,
        &format!("{}.{}.{}", parts[0], encode(&claims), parts[2]),
        INVALID,
    )
    .await;
    // And a signature from another token.
    let other = f.app.sign_in("acme", "alice", PASSWORD).await;
    let other_parts = segments(&field(&other, "AccessToken"));
    refused_everywhere(
        &f.app,
        &format!("{}.{}.{}", parts[0], parts[1], other_parts[2]),
        INVALID,
    )
    .await;
    f.app.stop().await;
}

async fn an_expired_token_is_refused_after_the_leeway(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    f.app.clock.advance(3_600 + 30);
    assert_eq!(
        f.app.user_info(&access).await.status(),
        200,
        "30 s of leeway"
    );
    f.app.clock.advance(1);
    refused_everywhere(&f.app, &access, INVALID).await;
    f.app.stop().await;
}

async fn a_not_yet_valid_token_is_refused(backend: Db) {
    let f = setup(backend).await;
    let mut claims = jwt_part(&field(&f.tokens, "AccessToken"), 1);
    claims["nbf"] = json!(f.app.clock_now() + 31);
    let token = sign_with_pool_key(&f.app, "acme", json!({}), &claims).await;
    refused_everywhere(&f.app, &token, INVALID).await;
    claims["nbf"] = json!(f.app.clock_now() + 30);
    let token = sign_with_pool_key(&f.app, "acme", json!({}), &claims).await;
    assert_eq!(
        f.app.user_info(&token).await.status(),
        200,
        "within the leeway"
    );
    f.app.stop().await;
}

async fn an_id_token_is_not_an_access_token(backend: Db) {
    let f = setup(backend).await;
    refused_everywhere(&f.app, &field(&f.tokens, "IdToken"), INVALID).await;
    // Even signed with the access key, token_use must say access.
    let mut claims = jwt_part(&field(&f.tokens, "AccessToken"), 1);
    claims["token_use"] = json!("id");
    let token = sign_with_pool_key(&f.app, "acme", json!({}), &claims).await;
    refused_everywhere(&f.app, &token, INVALID).await;
    f.app.stop().await;
}

async fn a_token_of_another_pool_is_refused(backend: Db) {
    let f = setup(backend).await;
    let (globex, _) = f.app.create_pool("globex").await;
    // Alice's acme token relabelled with globex's issuer: the kid is not globex's.
    let access = field(&f.tokens, "AccessToken");
    let parts = segments(&access);
    let mut claims = jwt_part(&access, 1);
    claims["iss"] = json!(format!("{}/{}", f.app.address, globex.id));
    refused_everywhere(
        &f.app,
        &format!("{}.{}.{}", parts[0], encode(&claims), parts[2]),
        INVALID,
    )
    .await;
    // An issuer that is not ours at all.
    claims["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Elsewhere");
    refused_everywhere(
        &f.app,
        &format!("{}.{}.{}", parts[0], encode(&claims), parts[2]),
        INVALID,
    )
    .await;
    f.app.stop().await;
}

async fn a_key_of_one_pool_cannot_sign_for_another(backend: Db) {
    let f = setup(backend).await;
    let (globex, _) = f.app.create_pool("globex").await;
    f.app.create_user(&globex, "bob", false).await;
    let bob = f.app.sign_in("globex", "bob", PASSWORD).await;
    let claims = jwt_part(&field(&bob, "AccessToken"), 1);
    // globex's claims, signed with acme's real key.
    let token = sign_with_pool_key(&f.app, "acme", json!({}), &claims).await;
    refused_everywhere(&f.app, &token, INVALID).await;
    f.app.stop().await;
}

async fn a_revoked_session_token_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    assert_eq!(
        f.app
            .logout(&field(&f.tokens, "RefreshToken"))
            .await
            .status(),
        200
    );
    refused_everywhere(&f.app, &access, REVOKED).await;
    f.app.stop().await;
}

async fn missing_and_malformed_authorization_headers_are_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let url = format!("{}/oauth2/userInfo", f.app.address);
    for header in [
        None,
        Some("".to_owned()),
        Some(access.clone()),
        Some(format!("Basic {access}")),
        Some("Bearer ".into()),
        Some("Bearer a b".into()),
    ] {
        let mut request = f.app.client.get(&url);
        if let Some(value) = header {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_error(response, 401, "NotAuthorizedException", "").await;
    }
    f.app.stop().await;
}

async fn a_globally_signed_out_token_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let other = field(
        &f.app.sign_in("acme", "alice", PASSWORD).await,
        "AccessToken",
    );
    // Signed out through the Cognito API with another session's token: every session goes.
    let response = cognito(&f.app, "GlobalSignOut", &json!({"AccessToken": other})).await;
    assert_eq!(response.status(), 200);
    refused_everywhere(&f.app, &access, REVOKED).await;
    refused_everywhere(&f.app, &other, REVOKED).await;
    f.app.stop().await;
}

async fn a_disabled_users_token_is_refused(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let (pool, _) = f.app.services.find_pool("acme").await.unwrap();
    let alice = gatehouse::domain::username::Username::parse("alice").unwrap();
    f.app
        .services
        .set_user_enabled(&pool, &alice, false)
        .await
        .unwrap();
    refused_everywhere(&f.app, &access, REVOKED).await;
    // Enabling the user again does not revive tokens issued before the disable.
    f.app
        .services
        .set_user_enabled(&pool, &alice, true)
        .await
        .unwrap();
    refused_everywhere(&f.app, &access, REVOKED).await;
    f.app.stop().await;
}

async fn revoke_token_takes_no_access_token(backend: Db) {
    let f = setup(backend).await;
    let access = field(&f.tokens, "AccessToken");
    let (_, client) = f.app.services.find_pool("acme").await.unwrap();
    let parts = segments(&access);
    let none = format!("{}.{}.", encode(&json!({"alg": "none"})), parts[1]);
    for token in [access.as_str(), none.as_str()] {
        let response = cognito(
            &f.app,
            "RevokeToken",
            &json!({"Token": token, "ClientId": client.id.to_string()}),
        )
        .await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["__type"], "UnsupportedTokenTypeException", "{body}");
    }
    // No JWT revoked the session behind it.
    assert_eq!(f.app.user_info(&access).await.status(), 200);
    let refreshed = f.app.refresh(&field(&f.tokens, "RefreshToken")).await;
    assert_eq!(refreshed.status(), 200);
    f.app.stop().await;
}
