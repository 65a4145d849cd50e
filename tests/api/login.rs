//! `POST /Login` success: the contract's shape, byte for byte.

use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    success_has_the_exact_cognito_token_shape,
    usernames_are_case_insensitive
);

async fn success_has_the_exact_cognito_token_shape(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;

    let response = app.login("acme", "alice", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();

    // Field names and order exactly as the origin document, with opaque values cut out.
    let token = |name: &str| {
        let start = text.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
        let end = start + text[start..].find('"').unwrap();
        text[start..end].to_owned()
    };
    let (id, refresh, access) = (
        token("IdToken"),
        token("RefreshToken"),
        token("AccessToken"),
    );
    let skeleton = text
        .replace(&id, "ID")
        .replace(&refresh, "REFRESH")
        .replace(&access, "ACCESS");
    assert_eq!(
        skeleton,
        r#"{"cognitoToken":{"ChallengeParameters":{},"AuthenticationResult":{"IdToken":"ID","TokenType":"Bearer","ExpiresIn":3600,"RefreshToken":"REFRESH","AccessToken":"ACCESS"}}}"#
    );
    assert_eq!(id.split('.').count(), 3);
    assert_eq!(access.split('.').count(), 3);
    // Refresh tokens are opaque: 256 random bits, URL-safe, not a JWT.
    assert_eq!(refresh.len(), 43);
    assert!(
        refresh
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );

    // Stored only as its SHA-256.
    let stored = app
        .services
        .store
        .refresh_token(&gatehouse::crypto::opaque::hash_token(&refresh))
        .await
        .unwrap()
        .expect("refresh token stored by hash");
    assert!(
        app.services
            .store
            .refresh_token(&gatehouse::domain::ids::TokenHash::new(refresh.as_str()))
            .await
            .unwrap()
            .is_none()
    );
    let session = app
        .services
        .store
        .session(&stored.session_id)
        .await
        .unwrap()
        .unwrap();
    let claims = crate::helpers::jwt_part(&access, 1);
    assert_eq!(claims["origin_jti"], Value::String(session.id.to_string()));
    assert_eq!(session.pool_id, pool.id);
    app.stop().await;
}

async fn usernames_are_case_insensitive(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "Alice", false).await;
    for spelling in ["alice", "ALICE", "Alice", "ＡＬＩＣＥ"] {
        let result = app.sign_in("acme", spelling, PASSWORD).await;
        let claims = crate::helpers::jwt_part(result["IdToken"].as_str().unwrap(), 1);
        assert_eq!(
            claims["cognito:username"], "Alice",
            "as created, whatever the spelling"
        );
    }
    // Tenant names are exact.
    assert_eq!(app.login("ACME", "alice", PASSWORD).await.status(), 401);
    app.stop().await;
}
