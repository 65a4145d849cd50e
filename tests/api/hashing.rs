//! Bounded password hashing (issue #18): every password set and check goes through one
//! hashing service whose Argon2 computations in flight never exceed the configured workers,
//! and whose full queue answers 429 TooManyRequestsException without losing or half-doing
//! any request.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use futures_util::future::join_all;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::username::Username;
use serde_json::{Value, json};

use crate::cognito_api::call as cognito;
use crate::helpers::{Hashing, Options, PASSWORD, TestApp};
use crate::hostile_input::sigv4_headers;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    parallel_password_sets_and_checks_never_exceed_the_hashing_workers,
    a_full_hashing_queue_answers_429_and_loses_nothing,
);

/// One signed Cognito admin call, as an SDK holding the test admin key sends it.
async fn admin(app: &TestApp, operation: &str, body: &Value) -> reqwest::Response {
    let url = format!("{}/", app.address);
    let host = app.address.trim_start_matches("http://").to_owned();
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let content_type = "application/x-amz-json-1.1";
    let body = body.to_string().into_bytes();
    let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(app.services.clock.now()).unwrap());
    let mut request = app
        .client
        .post(&url)
        .header("Content-Type", content_type)
        .header("X-Amz-Target", &target);
    for (name, value) in sigv4_headers(&url, &host, content_type, &target, &body, now) {
        request = request.header(name, value);
    }
    request.body(body).send().await.unwrap()
}

fn sign_up(client_id: &str, username: &str) -> Value {
    json!({"ClientId": client_id, "Username": username, "Password": PASSWORD,
           "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}]})
}

async fn stored(app: &TestApp, pool: &UserPool, username: &str) -> bool {
    let username = Username::parse(username).unwrap();
    app.services
        .store
        .user_by_key(&pool.id, username.key())
        .await
        .unwrap()
        .is_some()
}

/// The peak gauge as an operator scrapes it.
async fn scraped_peak(app: &TestApp) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("gatehouse_password_hashing_in_flight_max "))
        .unwrap()
        .parse()
        .unwrap()
}

async fn parallel_password_sets_and_checks_never_exceed_the_hashing_workers(backend: Db) {
    const WORKERS: usize = 3;
    let app = TestApp::spawn_with(
        backend,
        Options {
            hashing: Some(Hashing {
                // Heavy enough that computations overlap; three workers on any core count.
                memory_kib: 4_096,
                iterations: 2,
                workers: WORKERS,
                queue: 400,
                max_wait_ms: 30_000,
            }),
            ..Options::default()
        },
    )
    .await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let client_id = client.id.to_string();
    let pool_id = pool.id.to_string();
    for n in 0..20 {
        app.create_user(&pool, &format!("existing{n}"), false).await;
    }

    // Every kind of hash at once: sign-ups, admin-created users with a temporary password,
    // admin password sets, and sign-ins.
    let sign_ups = (0..60).map(|n| {
        let body = sign_up(&client_id, &format!("new{n}"));
        let app = &app;
        async move { cognito(app, "SignUp", &body).await.status().as_u16() }
    });
    let creates = (0..30).map(|n| {
        let body = json!({"UserPoolId": pool_id, "Username": format!("created{n}"),
                          "TemporaryPassword": "Temporary-Pass-1", "MessageAction": "SUPPRESS"});
        let app = &app;
        async move { admin(app, "AdminCreateUser", &body).await.status().as_u16() }
    });
    let sets = (0..20).map(|n| {
        let body = json!({"UserPoolId": pool_id, "Username": format!("existing{n}"),
                          "Password": "Brand-New-Horse-7", "Permanent": true});
        let app = &app;
        async move {
            admin(app, "AdminSetUserPassword", &body)
                .await
                .status()
                .as_u16()
        }
    });
    let sign_ins = (0..40).map(|n| {
        let app = &app;
        async move {
            app.login("acme", &format!("existing{}", n % 20), "Wrong-Horse-1")
                .await
                .status()
                .as_u16()
        }
    });
    let (sign_ups, creates, sets, sign_ins) = tokio::join!(
        join_all(sign_ups),
        join_all(creates),
        join_all(sets),
        join_all(sign_ins)
    );
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for status in sign_ups.iter().chain(&creates).chain(&sets) {
        *statuses.entry(*status).or_default() += 1;
    }
    assert_eq!(statuses, HashMap::from([(200, 110)]), "{statuses:?}");
    assert!(sign_ins.iter().all(|s| *s == 401), "{sign_ins:?}");

    let (now, peak) = app.services.hasher.in_flight();
    assert_eq!(now, 0);
    // Never above the setting, and the burst did reach it (the bound was exercised).
    assert_eq!(peak, WORKERS);
    assert_eq!(scraped_peak(&app).await, 3.0);

    // Nothing was lost: every set password is the one that works now.
    for n in [0, 19] {
        assert!(stored(&app, &pool, &format!("new{n}")).await);
        assert!(stored(&app, &pool, &format!("created{n}")).await);
        app.sign_in("acme", &format!("existing{n}"), "Brand-New-Horse-7")
            .await;
    }
    app.stop().await;
}

async fn a_full_hashing_queue_answers_429_and_loses_nothing(backend: Db) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            hashing: Some(Hashing {
                // The production cost: each sign-up holds its place for a real while.
                memory_kib: 19_456,
                iterations: 2,
                workers: 1,
                queue: 2,
                max_wait_ms: 20,
            }),
            ..Options::default()
        },
    )
    .await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let client_id = client.id.to_string();

    let burst = (0..64).map(|n| {
        let username = format!("flood{n}");
        let body = sign_up(&client_id, &username);
        let app = &app;
        async move { (username, cognito(app, "SignUp", &body).await) }
    });
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (username, response) in join_all(burst).await {
        match response.status().as_u16() {
            200 => accepted.push(username),
            429 => {
                assert_eq!(
                    response.headers()["x-amzn-errortype"],
                    "TooManyRequestsException:"
                );
                assert_eq!(response.headers()["retry-after"], "1");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["__type"], "TooManyRequestsException", "{body}");
                assert!(
                    body["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{body}"
                );
                refused.push(username);
            }
            other => panic!("{username}: unexpected {other}"),
        }
    }
    assert!(!accepted.is_empty() && !refused.is_empty(), "{accepted:?}");
    let (_, peak) = app.services.hasher.in_flight();
    assert_eq!(peak, 1);

    // Each request either happened in full or not at all.
    for username in &accepted {
        assert!(stored(&app, &pool, username).await, "{username} lost");
    }
    for username in &refused {
        assert!(!stored(&app, &pool, username).await, "{username} half-done");
    }
    // The refusals were back-pressure, not damage: once the burst is over the same request
    // goes through.
    let retried = &refused[0];
    assert_eq!(
        cognito(&app, "SignUp", &sign_up(&client_id, retried))
            .await
            .status(),
        200
    );
    assert!(stored(&app, &pool, retried).await);
    app.stop().await;
}
