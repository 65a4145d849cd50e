//! `GET /metrics` after a known sequence of requests: each counter moved by exactly what the
//! sequence did, and the sampled gauges describe the server's state.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::cognito_api::call as cognito;
use crate::helpers::{PASSWORD, TestApp, field};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    counters_move_by_what_the_requests_did,
    metrics_move_to_their_own_listener_when_one_is_set,
);

/// Every sample of a Prometheus text exposition, by its name and labels as written.
async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response
        .text()
        .await
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no sample {series} in {samples:#?}"))
}

/// How far `series` moved between two scrapes (absent before counts as 0).
fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    value(after, series) - before.get(series).copied().unwrap_or(0.0)
}

async fn counters_move_by_what_the_requests_did(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "bob", true).await;
    app.create_user(&pool, "carol", false).await;
    let before = scrape(&app).await;

    // Sign-ins: one success, one wrong password, one challenge, one through the Cognito API.
    let alice = app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.login("acme", "alice", "Wrong-Horse-1").await.status(),
        401
    );
    assert_eq!(app.login("acme", "bob", PASSWORD).await.status(), 200);
    let initiated = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(initiated.status(), 200);
    // Five wrong guesses lock carol out; the sixth attempt is refused unchecked.
    for _ in 0..5 {
        assert_eq!(
            app.login("acme", "carol", "Wrong-Horse-1").await.status(),
            401
        );
    }
    assert_eq!(app.login("acme", "carol", PASSWORD).await.status(), 401);

    // Refreshes: one rotation, then the consumed token again after the grace window
    // (reuse: the session is revoked), then the successor, which died with the session.
    let refreshed: Value = app
        .refresh(&field(&alice, "RefreshToken"))
        .await
        .json()
        .await
        .unwrap();
    let successor = field(
        &refreshed["cognitoToken"]["AuthenticationResult"],
        "RefreshToken",
    );
    app.clock.advance(120);
    assert_eq!(
        app.refresh(&field(&alice, "RefreshToken")).await.status(),
        401
    );
    assert_eq!(app.refresh(&successor).await.status(), 401);

    // Requests the Cognito route counts by operation, and one it cannot name.
    assert_eq!(
        cognito(&app, "InitiateAuth", &json!({})).await.status(),
        400
    );
    assert_eq!(cognito(&app, "NoSuchThing", &json!({})).await.status(), 400);

    let after = scrape(&app).await;
    for (series, expected) in [
        (r#"gatehouse_sign_ins_total{outcome="signed_in"}"#, 2.0),
        (r#"gatehouse_sign_ins_total{outcome="challenged"}"#, 1.0),
        (
            r#"gatehouse_sign_ins_total{outcome="incorrect_credentials"}"#,
            6.0,
        ),
        (r#"gatehouse_sign_ins_total{outcome="locked_out"}"#, 1.0),
        (r#"gatehouse_sign_ins_total{outcome="throttled"}"#, 0.0),
        ("gatehouse_lockouts_total", 1.0),
        (r#"gatehouse_refreshes_total{outcome="refreshed"}"#, 1.0),
        (
            r#"gatehouse_refreshes_total{outcome="reuse_detected"}"#,
            1.0,
        ),
        (r#"gatehouse_refreshes_total{outcome="invalid"}"#, 1.0),
        ("gatehouse_refresh_token_reuse_detections_total", 1.0),
        // Every sign-in that reached the password check hashed once: 2 signed in, 1
        // challenged, 6 wrong.
        ("gatehouse_password_hashing_wait_seconds_count", 9.0),
        (
            r#"gatehouse_http_requests_total{method="POST",route="/Login",operation="none",status="200"}"#,
            2.0,
        ),
        (
            r#"gatehouse_http_requests_total{method="POST",route="/Login",operation="none",status="401"}"#,
            7.0,
        ),
        (
            r#"gatehouse_http_requests_total{method="POST",route="/",operation="InitiateAuth",status="200"}"#,
            1.0,
        ),
        (
            r#"gatehouse_http_requests_total{method="POST",route="/",operation="InitiateAuth",status="400"}"#,
            1.0,
        ),
        (
            r#"gatehouse_http_requests_total{method="POST",route="/",operation="unknown",status="400"}"#,
            1.0,
        ),
        (
            r#"gatehouse_http_request_duration_seconds_count{route="/RefreshToken",operation="none",outcome="4xx"}"#,
            2.0,
        ),
        (
            r#"gatehouse_http_request_duration_seconds_count{route="/RefreshToken",operation="none",outcome="2xx"}"#,
            1.0,
        ),
    ] {
        assert_eq!(moved(&before, &after, series), expected, "{series}");
    }

    // Sampled at scrape time: nothing is hashing now; the pool is within its bounds.
    assert_eq!(value(&after, "gatehouse_password_hashing_queued"), 0.0);
    assert_eq!(value(&after, "gatehouse_password_hashing_admitted"), 0.0);
    assert_eq!(
        value(&after, "gatehouse_password_hashing_capacity"),
        2.0 + 64.0
    );
    let max = value(&after, "gatehouse_db_connections_max");
    assert_eq!(max, 10.0);
    let idle = value(&after, r#"gatehouse_db_connections{state="idle"}"#);
    let in_use = value(&after, r#"gatehouse_db_connections{state="in_use"}"#);
    assert!(
        idle >= 1.0 && idle + in_use <= max,
        "idle {idle}, in use {in_use}"
    );
    assert!(
        !after.keys().any(|series| series.contains(pool.id.as_str())),
        "no user input in labels"
    );
    app.stop().await;
}

/// GATEHOUSE_METRICS_BIND: `/metrics` is served there and is gone from the public listener,
/// which keeps serving everything else.
async fn metrics_move_to_their_own_listener_when_one_is_set(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let mut settings = crate::helpers::test_settings(&app.database_url());
    settings.telemetry.metrics_bind = Some("127.0.0.1:0".into());
    let server = gatehouse::app::App::build(settings).await.unwrap();
    let public = format!("http://127.0.0.1:{}", server.port());
    let metrics_port = server.metrics_port().expect("a metrics listener");
    assert_ne!(metrics_port, server.port());
    let private = format!("http://127.0.0.1:{metrics_port}");
    let handle = server.handle();
    let running = tokio::spawn(server.run_until_handle_stops());

    let client = crate::helpers::http_client();
    let on_public = client
        .get(format!("{public}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(on_public.status(), 404);
    let body: Value = on_public.json().await.unwrap();
    assert_eq!(body["__type"], "ResourceNotFoundException", "{body}");
    let signed_in = client
        .post(format!("{public}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);

    let scraped = client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    let signed_ins = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"gatehouse_sign_ins_total{outcome="signed_in"} "#))
        .unwrap_or_else(|| panic!("no sign-in counter in {text}"));
    assert_eq!(signed_ins.parse::<f64>().unwrap(), 1.0);
    // Nothing else is served on the metrics listener.
    let login = client
        .post(format!("{private}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 404);

    // Stopping the server stops both listeners.
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    assert!(
        client
            .get(format!("{private}/metrics"))
            .send()
            .await
            .is_err()
    );
    app.stop().await;
}
