//! The tokens: every claim, verification by libraries we did not write, tenant isolation.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{Options, PASSWORD, TestApp, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    id_and_access_tokens_carry_exactly_cognitos_claims,
    an_independent_verifier_accepts_the_tokens_against_the_served_jwks,
    a_token_of_one_tenant_does_not_verify_with_another_tenants_keys,
    aws_issuer_style_uses_the_cognito_issuer,
);

async fn id_and_access_tokens_carry_exactly_cognitos_claims(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[
            ("email", "alice@example.com"),
            ("email_verified", "true"),
            ("custom:team", "blue"),
        ],
    )
    .await;
    let now = app.clock_now();
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let (id, access) = (
        result["IdToken"].as_str().unwrap(),
        result["AccessToken"].as_str().unwrap(),
    );
    let issuer = format!("{}/{}", app.address, pool.id);

    let id_header = jwt_part(id, 0);
    let access_header = jwt_part(access, 0);
    assert_eq!(id_header["alg"], "RS256");
    assert_eq!(access_header["alg"], "RS256");
    assert!(id_header.get("typ").is_none());
    assert_ne!(
        id_header["kid"], access_header["kid"],
        "separate keys per purpose"
    );

    let claims = jwt_part(id, 1);
    assert_eq!(
        keys(&claims),
        set(&[
            "sub",
            "aud",
            "iss",
            "token_use",
            "auth_time",
            "iat",
            "exp",
            "jti",
            "origin_jti",
            "event_id",
            "cognito:username",
            "email",
            "email_verified",
            "custom:team",
        ])
    );
    assert_eq!(claims["aud"], client.id.to_string());
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["cognito:username"], "alice");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["custom:team"], "blue");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["auth_time"], now);
    assert_eq!(claims["exp"], now + 3600);
    uuid::Uuid::parse_str(claims["sub"].as_str().unwrap()).unwrap();
    uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();

    let access_claims = jwt_part(access, 1);
    assert_eq!(
        keys(&access_claims),
        set(&[
            "sub",
            "client_id",
            "iss",
            "token_use",
            "scope",
            "auth_time",
            "iat",
            "exp",
            "jti",
            "origin_jti",
            "event_id",
            "username",
        ])
    );
    assert!(
        access_claims.get("aud").is_none(),
        "Cognito access tokens have no aud"
    );
    assert_eq!(access_claims["client_id"], client.id.to_string());
    assert_eq!(access_claims["token_use"], "access");
    assert_eq!(access_claims["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access_claims["username"], "alice");
    assert_eq!(access_claims["sub"], claims["sub"]);
    assert_eq!(access_claims["origin_jti"], claims["origin_jti"]);
    assert_eq!(access_claims["event_id"], claims["event_id"]);
    assert_ne!(access_claims["jti"], claims["jti"]);
    assert_eq!(access_claims["exp"], now + 3600);
    assert_eq!(result["ExpiresIn"], 3600);

    // A second sign-in is a new session: new origin_jti.
    let again = app.sign_in("acme", "alice", PASSWORD).await;
    let again = jwt_part(again["AccessToken"].as_str().unwrap(), 1);
    assert_ne!(again["origin_jti"], access_claims["origin_jti"]);

    // Groups appear in both tokens, in precedence order.
    let admin = gatehouse::store::GroupRecord {
        pool_id: pool.id.clone(),
        name: "admin".into(),
        description: None,
        precedence: Some(1),
        role_arn: None,
        created_at: now,
        updated_at: now,
    };
    let staff = gatehouse::store::GroupRecord {
        name: "staff".into(),
        precedence: Some(5),
        ..admin.clone()
    };
    app.services.store.put_group(&staff, now).await.unwrap();
    app.services.store.put_group(&admin, now).await.unwrap();
    let sub = gatehouse::domain::ids::Sub::parse(claims["sub"].as_str().unwrap()).unwrap();
    for group in ["staff", "admin"] {
        app.services
            .store
            .add_user_to_group(&pool.id, &sub, group)
            .await
            .unwrap();
    }
    let grouped = app.sign_in("acme", "alice", PASSWORD).await;
    for token in ["IdToken", "AccessToken"] {
        let claims = jwt_part(grouped[token].as_str().unwrap(), 1);
        assert_eq!(
            claims["cognito:groups"],
            serde_json::json!(["admin", "staff"])
        );
    }
    app.stop().await;
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs PyJWT (tests/clients/verify_tokens.py). Returns None when no Python with PyJWT is
/// available outside CI; in CI its absence fails the test.
fn verify_with_pyjwt(args: &[&str]) -> Option<(bool, String)> {
    let python = crate::helpers::python_with("jwt, cryptography")?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/verify_tokens.py"
    );
    let output = Command::new(&python)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    Some((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

/// A second, in-process check with `jsonwebtoken` over the served JWKS.
async fn verify_with_served_jwks(app: &TestApp, jwks_url: &str, token: &str) -> bool {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .client
        .get(jwks_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let Some(jwk) = jwks.find(&kid) else {
        return false;
    };
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

async fn an_independent_verifier_accepts_the_tokens_against_the_served_jwks(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let (id, access) = (
        result["IdToken"].as_str().unwrap(),
        result["AccessToken"].as_str().unwrap(),
    );
    let jwks_url = app.jwks_url(&pool);
    let issuer = format!("{}/{}", app.address, pool.id);
    assert!(verify_with_served_jwks(&app, &jwks_url, id).await);
    assert!(verify_with_served_jwks(&app, &jwks_url, access).await);

    let client_id = client.id.to_string();
    if let Some((ok, output)) = verify_with_pyjwt(&[&jwks_url, &issuer, &client_id, id, access]) {
        assert!(ok, "PyJWT refused our tokens: {output}");
        let claims: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(claims["id"]["cognito:username"], "alice");
        assert_eq!(claims["access"]["client_id"], client_id);
        // The verifier really checks: a wrong audience is refused.
        let (ok, output) =
            verify_with_pyjwt(&[&jwks_url, &issuer, "someotherclient", id, access]).unwrap();
        assert!(!ok, "PyJWT accepted a wrong audience: {output}");
    }
    app.stop().await;
}

async fn a_token_of_one_tenant_does_not_verify_with_another_tenants_keys(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (acme, client) = app.create_pool("acme").await;
    let (globex, _) = app.create_pool("globex").await;
    app.create_user(&acme, "alice", false).await;
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let (id, access) = (
        result["IdToken"].as_str().unwrap(),
        result["AccessToken"].as_str().unwrap(),
    );
    let globex_jwks = app.jwks_url(&globex);
    assert!(!verify_with_served_jwks(&app, &globex_jwks, id).await);
    assert!(!verify_with_served_jwks(&app, &globex_jwks, access).await);
    let issuer = format!("{}/{}", app.address, acme.id);
    if let Some((ok, output)) =
        verify_with_pyjwt(&[&globex_jwks, &issuer, client.id.as_str(), id, access])
    {
        assert!(
            !ok,
            "a tenant-A token verified with tenant B's keys: {output}"
        );
    }
    app.stop().await;
}

async fn aws_issuer_style_uses_the_cognito_issuer(backend: Db) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            aws_issuer: true,
            ..Options::default()
        },
    )
    .await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let result = app.sign_in("acme", "alice", PASSWORD).await;
    let claims = jwt_part(result["IdToken"].as_str().unwrap(), 1);
    assert_eq!(
        claims["iss"],
        format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id)
    );
    let discovery: Value = app
        .get(&format!("/{}/.well-known/openid-configuration", pool.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], claims["iss"]);
    assert_eq!(discovery["jwks_uri"], app.jwks_url(&pool));
    app.stop().await;
}
