//! Per-client-IP rate limiting of sign-ins, and whose `X-Forwarded-For` is believed.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, test_settings};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    sign_ins_beyond_the_per_address_limit_get_429,
    forwarded_addresses_count_only_behind_trusted_proxies,
    ipv6_clients_share_a_budget_per_64_and_mapped_ipv4_is_ipv4,
);

/// A server over `app`'s database allowing `per_minute` sign-ins per address.
async fn limited(
    app: &TestApp,
    per_minute: u32,
    trusted: &str,
) -> (String, actix_web::dev::ServerHandle) {
    let mut settings = test_settings(&app.database_url());
    settings.limits.sign_in_rate_per_ip = per_minute;
    settings.limits.trusted_proxies = trusted.into();
    let server = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    let handle = server.handle();
    tokio::spawn(server.run_until_handle_stops());
    (address, handle)
}

async fn attempt(address: &str, user: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = crate::helpers::http_client()
        .post(format!("{address}/Login"))
        .json(&json!({"UserName": user, "TenantName": "acme", "Password": PASSWORD}));
    if let Some(value) = forwarded_for {
        request = request.header("X-Forwarded-For", value);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn sign_ins_beyond_the_per_address_limit_get_429(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (address, handle) = limited(&app, 3, "").await;
    // A spray across usernames: each name is below its lockout, the address is not.
    for user in ["alice", "bob", "carol"] {
        assert_ne!(attempt(&address, user, None).await, 429);
    }
    let response = crate::helpers::http_client()
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
    let cognito = crate::helpers::http_client()
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
    let (pool, _) = app.create_pool("acme").await;
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

/// A dual-stack listener (`[::]`) sees IPv4 clients as `::ffff:a.b.c.d`: the trusted proxy
/// `127.0.0.1` must still be recognised, forwarded IPv4-mapped clients must count as their
/// IPv4 address, and IPv6 clients share one budget per /64 (one host owns a whole /64).
async fn ipv6_clients_share_a_budget_per_64_and_mapped_ipv4_is_ipv4(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let mut settings = test_settings(&app.database_url());
    settings.server.bind = "[::]:0".into();
    settings.limits.sign_in_rate_per_ip = 2;
    settings.limits.trusted_proxies = "127.0.0.1".into();
    let server = gatehouse::app::App::build(settings).await.unwrap();
    // Over IPv4 to the dual-stack socket: the peer is ::ffff:127.0.0.1.
    let address = format!("http://127.0.0.1:{}", server.port());
    let handle = server.handle();
    tokio::spawn(server.run_until_handle_stops());

    // Two addresses of one /64 spend one budget; a burst from across the /64, with an
    // untouched address sent last, gets nothing more.
    for client in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
        assert_ne!(
            attempt(&address, "alice", Some(client)).await,
            429,
            "{client}"
        );
    }
    let burst = (0..50u32).map(|i| {
        let address = address.clone();
        async move {
            let client = format!("2001:db8:1:2:{:x}::{:x}", i + 1, i + 3);
            attempt(&address, "alice", Some(&client)).await
        }
    });
    let statuses = futures_util::future::join_all(burst).await;
    assert!(statuses.iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(
        attempt(&address, "alice", Some("2001:db8:1:2:ffff:ffff:ffff:ffff")).await,
        429
    );
    // The next /64 is another client.
    assert_ne!(
        attempt(&address, "alice", Some("2001:db8:1:3::1")).await,
        429
    );

    // An IPv4 client is one client however its address is spelled.
    for client in ["198.51.100.7", "::ffff:198.51.100.7"] {
        assert_ne!(
            attempt(&address, "alice", Some(client)).await,
            429,
            "{client}"
        );
    }
    assert_eq!(attempt(&address, "alice", Some("198.51.100.7")).await, 429);
    assert_eq!(
        attempt(&address, "alice", Some("::ffff:198.51.100.7")).await,
        429
    );
    handle.stop(true).await;
    app.stop().await;
}
