//! Per-client-IP rate limiting of sign-ins, and whose `X-Forwarded-For` is believed.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, test_settings};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    sign_ins_beyond_the_per_address_limit_get_429,
    forwarded_addresses_count_only_behind_trusted_proxies,
);

/// A server over `app`'s database allowing `per_minute` sign-ins per address.
async fn limited(
    app: &TestApp,
    per_minute: u32,
    trusted: &str,
) -> (String, actix_web::dev::ServerHandle) {
    let mut settings = test_settings(&app.database_url());
    settings.sign_in_rate_per_ip = per_minute;
    settings.trusted_proxies = trusted.into();
    let server = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    let handle = server.handle();
    tokio::spawn(server.run_until_handle_stops());
    (address, handle)
}

async fn attempt(address: &str, user: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/Login"))
        .json(&json!({"UserName": user, "TenantName": "acme", "Password": PASSWORD}));
    if let Some(value) = forwarded_for {
        request = request.header("X-Forwarded-For", value);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn sign_ins_beyond_the_per_address_limit_get_429(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_tenant("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (address, handle) = limited(&app, 3, "").await;
    // A spray across usernames: each name is below its lockout, the address is not.
    for user in ["alice", "bob", "carol"] {
        assert_ne!(attempt(&address, user, None).await, 429);
    }
    let response = reqwest::Client::new()
        .post(format!("{address}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "TooManyRequestsException");
    // The Cognito API's sign-in shares the budget; health and discovery do not.
    let cognito = reqwest::Client::new()
        .post(format!("{address}/"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cognito.status(), 429);
    let health = reqwest::get(format!("{address}/health/live"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    handle.stop(true).await;
    app.stop().await;
}

async fn forwarded_addresses_count_only_behind_trusted_proxies(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_tenant("acme").await;
    app.create_user(&pool, "alice", false).await;

    // Not a trusted proxy: a client-chosen X-Forwarded-For changes nothing.
    let (address, handle) = limited(&app, 2, "").await;
    for i in 0..2 {
        assert_ne!(
            attempt(&address, "alice", Some(&format!("203.0.113.{i}"))).await,
            429
        );
    }
    assert_eq!(attempt(&address, "alice", Some("203.0.113.99")).await, 429);
    handle.stop(true).await;

    // Behind a trusted proxy (loopback here): each forwarded client has its own budget, and
    // entries left of an untrusted hop are not believed.
    let (address, handle) = limited(&app, 2, "127.0.0.1").await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        for _ in 0..2 {
            assert_ne!(
                attempt(&address, "alice", Some(client)).await,
                429,
                "{client}"
            );
        }
    }
    assert_eq!(attempt(&address, "alice", Some("198.51.100.1")).await, 429);
    // A forged left-most entry does not buy a fresh budget: the right-most untrusted hop counts.
    assert_eq!(
        attempt(&address, "alice", Some("10.9.9.9, 198.51.100.1")).await,
        429
    );
    handle.stop(true).await;
    app.stop().await;
}
