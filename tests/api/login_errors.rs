//! Every error row of `POST /Login` (docs/api.md, "Errors"), each as its own test.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error};
use crate::on_both_backends;
use crate::support::Db;

const INVALID: &str = "InvalidParameterException";
const NOT_AUTHORIZED: &str = "NotAuthorizedException";
const INCORRECT: &str = "Incorrect username or password.";

on_both_backends!(
    unknown_tenant_unknown_user_and_wrong_password_are_byte_identical,
    disabled_is_revealed_only_after_the_right_password,
    reset_required_is_revealed_only_after_the_right_password,
    repeated_failures_lock_out_known_and_unknown_usernames_alike,
    a_full_hashing_queue_answers_429_with_retry_after,
    malformed_bodies_are_400,
    missing_empty_and_wrongly_typed_fields_are_400,
    overlong_fields_are_400,
    control_characters_are_400,
    oversized_bodies_are_400_without_reading_them,
    non_json_content_types_are_415,
    wrong_methods_are_405,
    sql_metacharacters_are_just_data,
);

async fn setup(backend: Db) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app
}

/// The response minus what differs per request (request id, date).
async fn fingerprint(response: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != "x-amzn-requestid" && *name != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.text().await.unwrap())
}

/// A sign-in as a browser sends it (with an Origin, so CORS headers are compared too).
async fn browser_login(
    app: &TestApp,
    tenant: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}/Login", app.address))
        .header("Content-Type", "application/json")
        .header("Origin", "https://app.example")
        .body(json!({"UserName": user, "TenantName": tenant, "Password": password}).to_string())
        .send()
        .await
        .unwrap()
}

async fn unknown_tenant_unknown_user_and_wrong_password_are_byte_identical(backend: Db) {
    let app = setup(backend).await;
    let wrong_password = fingerprint(app.login("acme", "alice", "Wrong-Horse-9").await).await;
    let unknown_user = fingerprint(app.login("acme", "mallory", PASSWORD).await).await;
    let unknown_tenant = fingerprint(app.login("nosuchtenant", "alice", PASSWORD).await).await;
    // Across HTTP workers too: repeat from a browser, many times (fresh unknown usernames,
    // so the lockout does not step in).
    let reference = fingerprint(browser_login(&app, "acme", "alice", "Wrong-Horse-9").await).await;
    for i in 0..10 {
        let unknown = format!("mallory{i}");
        for (tenant, user) in [
            ("acme", unknown.as_str()),
            ("nosuchtenant", unknown.as_str()),
        ] {
            let again = fingerprint(browser_login(&app, tenant, user, PASSWORD).await).await;
            assert_eq!(again, reference, "{tenant}/{user}");
        }
    }
    assert_eq!(wrong_password.0, 401);
    assert_eq!(
        wrong_password.2,
        r#"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#
    );
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password, unknown_tenant);
    app.stop().await;
}

async fn disabled_is_revealed_only_after_the_right_password(backend: Db) {
    let app = setup(backend).await;
    let (pool, _) = app.services.find_pool("acme").await.unwrap();
    let alice = gatehouse::domain::username::Username::parse("alice").unwrap();
    app.services
        .set_user_enabled(&pool, &alice, false)
        .await
        .unwrap();
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        "User is disabled.",
    )
    .await;
    assert_error(
        app.login("acme", "alice", "Wrong-Horse-9").await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    app.services
        .set_user_enabled(&pool, &alice, true)
        .await
        .unwrap();
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}

async fn reset_required_is_revealed_only_after_the_right_password(backend: Db) {
    let app = setup(backend).await;
    let (pool, _) = app.services.find_pool("acme").await.unwrap();
    let alice = gatehouse::domain::username::Username::parse("alice").unwrap();
    app.services
        .require_password_reset(&pool, &alice)
        .await
        .unwrap();
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )
    .await;
    assert_error(
        app.login("acme", "alice", "Wrong-Horse-9").await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    app.stop().await;
}

async fn repeated_failures_lock_out_known_and_unknown_usernames_alike(backend: Db) {
    let app = setup(backend).await;
    for (tenant, user) in [
        ("acme", "alice"),
        ("acme", "nobody"),
        ("notatenant", "alice"),
    ] {
        for _ in 0..5 {
            assert_error(
                app.login(tenant, user, "Wrong-Horse-9").await,
                401,
                NOT_AUTHORIZED,
                INCORRECT,
            )
            .await;
        }
        // After five failures: locked for 2^0 = 1 s, even for the right password.
        assert_error(
            app.login(tenant, user, PASSWORD).await,
            401,
            NOT_AUTHORIZED,
            "Password attempts exceeded",
        )
        .await;
    }
    app.clock.advance(1);
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    // Success cleared the counter: the next failure is a plain one.
    assert_error(
        app.login("acme", "alice", "Wrong-Horse-9").await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;

    // The sixth failure doubles the lock to 2 s.
    let (pool, _) = app.services.find_pool("acme").await.unwrap();
    let record = app
        .services
        .store
        .failures(pool.id.as_str(), &crate::helpers::username_key("nobody"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.count, 5);
    app.clock.advance(1);
    assert_error(
        app.login("acme", "nobody", "Wrong-Horse-9").await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    assert_error(
        app.login("acme", "nobody", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        "Password attempts exceeded",
    )
    .await;
    app.clock.advance(1);
    assert_error(
        app.login("acme", "nobody", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        "Password attempts exceeded",
    )
    .await;
    app.clock.advance(1);
    assert_error(
        app.login("acme", "nobody", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    app.stop().await;
}

async fn a_full_hashing_queue_answers_429_with_retry_after(backend: Db) {
    let app = setup(backend).await;
    // Occupy every place in the queue, as a flood of sign-ins would.
    let mut held = Vec::new();
    while let Ok(admission) = app.services.hasher.try_admit() {
        held.push(admission);
    }
    let response = app.login("acme", "alice", PASSWORD).await;
    assert_eq!(response.headers()["retry-after"], "1");
    assert_error(response, 429, "TooManyRequestsException", "").await;
    // Health and discovery stay available meanwhile.
    assert_eq!(app.get("/health/live").await.status(), 200);
    drop(held);
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}

async fn malformed_bodies_are_400(backend: Db) {
    let app = setup(backend).await;
    for body in [
        "",
        "not json",
        r#"{"UserName":"alice","TenantName":"acme","Password":"#,
        r#"{"UserName":"alice","TenantName":"acme","Password":"x"} trailing"#,
        "[]",
        "null",
        r#"{"UserName":"alice","UserName":"bob","TenantName":"acme","Password":"x"}"#,
        &format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)),
    ] {
        let response = app
            .post_raw("/Login", "application/json", body.to_owned())
            .await;
        assert_error(response, 400, INVALID, "").await;
    }
    // Invalid UTF-8 and a lone surrogate escape.
    let response = app
        .post_raw(
            "/Login",
            "application/json",
            b"{\"UserName\":\"\xff\",\"TenantName\":\"acme\",\"Password\":\"x\"}".to_vec(),
        )
        .await;
    assert_error(response, 400, INVALID, "").await;
    let response = app
        .post_raw(
            "/Login",
            "application/json",
            r#"{"UserName":"\ud800","TenantName":"acme","Password":"x"}"#,
        )
        .await;
    assert_error(response, 400, INVALID, "").await;
    app.stop().await;
}

async fn missing_empty_and_wrongly_typed_fields_are_400(backend: Db) {
    let app = setup(backend).await;
    let cases: Vec<Value> = vec![
        json!({"TenantName": "acme", "Password": PASSWORD}),
        json!({"UserName": "alice", "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": "acme"}),
        json!({"UserName": "", "TenantName": "acme", "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": "", "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": "acme", "Password": ""}),
        json!({"UserName": 123, "TenantName": "acme", "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": ["acme"], "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": "acme", "Password": null}),
        json!({"UserName": "alice", "TenantName": "acme", "Password": {"a": 1}}),
        json!({"UserName": "alice", "TenantName": "acme", "Password": 12345678}),
        json!({"UserName": "al ice", "TenantName": "acme", "Password": PASSWORD}),
    ];
    for body in cases {
        let response = app.post_json("/Login", &body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 400, "{body} -> {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["__type"], INVALID, "{body}");
        assert!(
            !text.contains("12345678"),
            "the value is never echoed: {text}"
        );
    }
    app.stop().await;
}

async fn overlong_fields_are_400(backend: Db) {
    let app = setup(backend).await;
    let long_user = "a".repeat(129);
    let long_tenant = "t".repeat(129);
    let long_password = format!("Aa1!{}", "x".repeat(253));
    let megabyte_password = "x".repeat(15_000);
    for (tenant, user, password) in [
        ("acme", long_user.as_str(), PASSWORD),
        (long_tenant.as_str(), "alice", PASSWORD),
        ("acme", "alice", long_password.as_str()),
        ("acme", "alice", megabyte_password.as_str()),
    ] {
        assert_error(app.login(tenant, user, password).await, 400, INVALID, "").await;
    }
    // Limits are inclusive: 128 and 256 characters pass validation (and fail sign-in).
    let max_user = "é".repeat(128);
    let max_password = "p".repeat(256);
    assert_error(
        app.login("acme", &max_user, PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    assert_error(
        app.login("acme", "alice", &max_password).await,
        401,
        NOT_AUTHORIZED,
        INCORRECT,
    )
    .await;
    app.stop().await;
}

async fn control_characters_are_400(backend: Db) {
    let app = setup(backend).await;
    for (tenant, user, password) in [
        ("acme", "ali\u{0}ce", PASSWORD),
        ("ac\u{0}me", "alice", PASSWORD),
        ("acme", "alice", "Correct-Horse-9\u{0}"),
        ("acme", "alice\n", PASSWORD),
        ("acme", "alice", "Correct\u{7}Horse-9"),
        ("acme", "ali\u{202e}ce", PASSWORD),
    ] {
        assert_error(app.login(tenant, user, password).await, 400, INVALID, "").await;
    }
    app.stop().await;
}

async fn oversized_bodies_are_400_without_reading_them(backend: Db) {
    let app = setup(backend).await;
    let padding = "x".repeat(17 * 1024);
    let body =
        json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD, "Pad": padding});
    assert_error(
        app.post_json("/Login", &body).await,
        400,
        INVALID,
        "Request body must be at most 16384 bytes",
    )
    .await;
    // A body with no declared length is cut off while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b' '; 1024])).collect();
    let stream = futures_util::stream::iter(chunks);
    let response = app
        .client
        .post(format!("{}/Login", app.address))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        400,
        INVALID,
        "Request body must be at most 16384 bytes",
    )
    .await;
    app.stop().await;
}

async fn non_json_content_types_are_415(backend: Db) {
    let app = setup(backend).await;
    let body = json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ] {
        let response = app.post_raw("/Login", content_type, body.clone()).await;
        assert_error(
            response,
            415,
            INVALID,
            "Content-Type must be application/json",
        )
        .await;
    }
    let response = app
        .post_raw("/Login", "application/json; charset=utf-8", body)
        .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn wrong_methods_are_405(backend: Db) {
    let app = setup(backend).await;
    let response = app.get("/Login").await;
    assert_error(response, 405, "MethodNotAllowedException", "").await;
    let response = app.get("/no/such/path").await;
    assert_error(response, 404, "ResourceNotFoundException", "").await;
    app.stop().await;
}

async fn sql_metacharacters_are_just_data(backend: Db) {
    let app = setup(backend).await;
    for user in ["'OR'1'='1", "alice'--", "%", "_", "\\", "alice\";DROP"] {
        assert_error(
            app.login("acme", user, "' OR '1'='1").await,
            401,
            NOT_AUTHORIZED,
            INCORRECT,
        )
        .await;
        assert_error(
            app.login("' OR 1=1 --", user, PASSWORD).await,
            401,
            NOT_AUTHORIZED,
            INCORRECT,
        )
        .await;
    }
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    app.stop().await;
}
