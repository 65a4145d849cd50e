//! Attribute verification: `GetUserAttributeVerificationCode` / `VerifyUserAttribute`, and
//! the codes `UpdateUserAttributes` and `AdminUpdateUserAttributes` send to a changed
//! address, read from the outbox as a user would read their mail.

use std::sync::Arc;

use gatehouse::domain::message::OutboxFilter;
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::account_recovery::newest_code;
use crate::helpers::{PASSWORD, TestApp, field};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    a_mailed_code_verifies_the_email_once_within_a_day,
    a_changed_address_is_unverified_and_sent_a_code,
    a_code_verifies_only_the_value_it_was_sent_to,
    verification_refuses_bad_input_clearly,
    a_burst_of_wrong_verification_codes_gets_five_compared,
);

const EMAIL: &str = "alice@example.com";

/// Asserts a Cognito JSON error: status, envelope, `__type` and (unless empty) the message.
async fn assert_error(response: reqwest::Response, status: u16, type_: &str, message: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
}

fn messages_to(destination: &str) -> OutboxFilter {
    OutboxFilter {
        pool: None,
        destination: Some(destination.into()),
        limit: 100,
    }
}

/// A pool with `alice` (the given attributes), signed in: her access token.
async fn alice_signed_in(app: &TestApp, attributes: &[(&str, &str)]) -> (UserPool, String) {
    let (pool, _client) = app.create_pool("acme").await;
    app.create_user_with(&pool, "alice", PASSWORD, false, attributes)
        .await;
    let session = app.sign_in("acme", "alice", PASSWORD).await;
    (pool, field(&session, "AccessToken"))
}

async fn get_code(app: &TestApp, access: &str, attribute: &str) -> reqwest::Response {
    cognito(
        app,
        "GetUserAttributeVerificationCode",
        &json!({"AccessToken": access, "AttributeName": attribute}),
    )
    .await
}

async fn verify(app: &TestApp, access: &str, attribute: &str, code: &str) -> reqwest::Response {
    cognito(
        app,
        "VerifyUserAttribute",
        &json!({"AccessToken": access, "AttributeName": attribute, "Code": code}),
    )
    .await
}

/// The caller's attribute as GetUser shows it.
async fn attribute(app: &TestApp, access: &str, name: &str) -> Option<String> {
    let response = cognito(app, "GetUser", &json!({"AccessToken": access})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == name)
        .map(|a| a["Value"].as_str().unwrap().to_owned())
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "000001" } else { "000000" }
}

async fn a_mailed_code_verifies_the_email_once_within_a_day(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_pool, access) = alice_signed_in(&app, &[("email", EMAIL)]).await;
    assert_eq!(attribute(&app, &access, "email_verified").await, None);

    let response = get_code(&app, &access, "email").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"CodeDeliveryDetails": {"Destination": "a***@e***", "DeliveryMedium": "EMAIL",
                                       "AttributeName": "email"}})
    );
    let sent = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].template, "VERIFY_ATTRIBUTE_CODE");
    let code = newest_code(&app, EMAIL).await;

    assert_error(
        verify(&app, &access, "email", wrong(&code)).await,
        400,
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    .await;
    assert_eq!(attribute(&app, &access, "email_verified").await, None);
    let response = verify(&app, &access, "email", &code).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    assert_eq!(
        attribute(&app, &access, "email_verified").await.as_deref(),
        Some("true")
    );
    // Single use.
    assert_error(
        verify(&app, &access, "email", &code).await,
        400,
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )
    .await;

    // A code lives 24 hours.
    assert_eq!(get_code(&app, &access, "email").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    app.clock.advance(86_401);
    let fresh = field(&app.sign_in("acme", "alice", PASSWORD).await, "AccessToken");
    assert_error(
        verify(&app, &fresh, "email", &code).await,
        400,
        "ExpiredCodeException",
        "",
    )
    .await;
    app.stop().await;
}

async fn a_changed_address_is_unverified_and_sent_a_code(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, access) =
        alice_signed_in(&app, &[("email", EMAIL), ("email_verified", "true")]).await;

    // The user changes both contacts: each is unverified and gets a code.
    let response = cognito(
        &app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access, "UserAttributes": [
            {"Name": "email", "Value": "new@example.com"},
            {"Name": "phone_number", "Value": "+15555550123"},
            {"Name": "name", "Value": "Alice"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"CodeDeliveryDetailsList": [
            {"Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"},
            {"Destination": "+*******0123", "DeliveryMedium": "SMS",
             "AttributeName": "phone_number"}]})
    );
    assert_eq!(
        attribute(&app, &access, "email_verified").await.as_deref(),
        Some("false")
    );
    let sms = app
        .services
        .outbox(&messages_to("+15555550123"))
        .await
        .unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].medium, "SMS");

    let email_code = newest_code(&app, "new@example.com").await;
    let phone_code = newest_code(&app, "+15555550123").await;
    assert_eq!(
        verify(&app, &access, "email", &email_code).await.status(),
        200
    );
    assert_eq!(
        verify(&app, &access, "phone_number", &phone_code)
            .await
            .status(),
        200
    );
    assert_eq!(
        attribute(&app, &access, "email_verified").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute(&app, &access, "phone_number_verified")
            .await
            .as_deref(),
        Some("true")
    );

    // Writing other attributes sends nothing.
    let response = cognito(
        &app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access, "UserAttributes": [{"Name": "name", "Value": "Al"}]}),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"CodeDeliveryDetailsList": []}));

    // An administrator's change is sent a code too, unless the call vouches for it.
    let admin_update = |email: &str, verified: Option<&str>| {
        let mut attributes = vec![json!({"Name": "email", "Value": email})];
        if let Some(flag) = verified {
            attributes.push(json!({"Name": "email_verified", "Value": flag}));
        }
        json!({"UserPoolId": pool.id.as_str(), "Username": "alice",
               "UserAttributes": attributes})
    };
    let response = admin(
        &app,
        "AdminUpdateUserAttributes",
        &admin_update("admin@example.com", None),
    )
    .await;
    assert_eq!(response.status(), 200);
    let code = newest_code(&app, "admin@example.com").await;
    assert_eq!(verify(&app, &access, "email", &code).await.status(), 200);
    let response = admin(
        &app,
        "AdminUpdateUserAttributes",
        &admin_update("vouched@example.com", Some("true")),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        app.services
            .outbox(&messages_to("vouched@example.com"))
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

async fn a_code_verifies_only_the_value_it_was_sent_to(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, access) = alice_signed_in(&app, &[("email", EMAIL)]).await;
    assert_eq!(get_code(&app, &access, "email").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    // An administrator moves the address and sets its flag in the same call (so no new code
    // replaces the old one): the code sent to the old address verifies nothing now.
    let response = admin(
        &app,
        "AdminUpdateUserAttributes",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "alice", "UserAttributes": [
            {"Name": "email", "Value": "moved@example.com"},
            {"Name": "email_verified", "Value": "false"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        app.services
            .outbox(&messages_to("moved@example.com"))
            .await
            .unwrap()
            .is_empty(),
        "an explicit flag is the administrator's decision: no code"
    );
    assert_error(
        verify(&app, &access, "email", &code).await,
        400,
        "ExpiredCodeException",
        "",
    )
    .await;
    assert_eq!(
        attribute(&app, &access, "email_verified").await.as_deref(),
        Some("false")
    );
    app.stop().await;
}

async fn verification_refuses_bad_input_clearly(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_pool, access) = alice_signed_in(&app, &[("email", EMAIL)]).await;
    for name in ["name", "email_verified", "custom:x"] {
        assert_error(
            get_code(&app, &access, name).await,
            400,
            "InvalidParameterException",
            "",
        )
        .await;
        assert_error(
            verify(&app, &access, name, "123456").await,
            400,
            "InvalidParameterException",
            "",
        )
        .await;
    }
    assert_error(
        get_code(&app, &access, "phone_number").await,
        400,
        "InvalidParameterException",
        "User has no phone_number to verify",
    )
    .await;
    // No code was requested.
    assert_error(
        verify(&app, &access, "email", "123456").await,
        400,
        "ExpiredCodeException",
        "",
    )
    .await;
    assert_error(
        verify(&app, &access, "email", "12 34").await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        cognito(
            &app,
            "VerifyUserAttribute",
            &json!({"AccessToken": access, "AttributeName": "email"}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        get_code(&app, "not-a-token", "email").await,
        400,
        "NotAuthorizedException",
        "",
    )
    .await;
    assert_error(
        verify(&app, "not-a-token", "email", "123456").await,
        400,
        "NotAuthorizedException",
        "",
    )
    .await;
    app.stop().await;
}

async fn a_burst_of_wrong_verification_codes_gets_five_compared(backend: Db) {
    const BURST: usize = 60;
    let app = Arc::new(TestApp::spawn(backend).await);
    let (_pool, access) = alice_signed_in(&app, &[("email", EMAIL)]).await;
    assert_eq!(get_code(&app, &access, "email").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    let guess = wrong(&code);
    let guesses = (0..BURST).map(|_| {
        let (app, access) = (app.clone(), access.clone());
        tokio::spawn(async move {
            let response = verify(&app, &access, "email", guess).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["__type"].as_str().unwrap_or_default().to_owned(),
            )
        })
    });
    let answers: Vec<(u16, String)> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let count = |type_: &str| answers.iter().filter(|(_, t)| t == type_).count();
    assert!(answers.iter().all(|(s, _)| *s == 400), "{answers:?}");
    assert_eq!(count("CodeMismatchException"), 5, "{answers:?}");
    assert_eq!(count("LimitExceededException"), BURST - 5);
    // The right code, last, finds the code dead; the address stays unverified.
    assert_error(
        verify(&app, &access, "email", &code).await,
        400,
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )
    .await;
    assert_eq!(attribute(&app, &access, "email_verified").await, None);
    // A new code starts afresh.
    assert_eq!(get_code(&app, &access, "email").await.status(), 200);
    let fresh = newest_code(&app, EMAIL).await;
    assert_eq!(verify(&app, &access, "email", &fresh).await.status(), 200);
    Arc::into_inner(app).unwrap().stop().await;
}
