//! Account recovery and confirmation: `ForgotPassword` / `ConfirmForgotPassword`,
//! `AdminResetUserPassword`, `ResendConfirmationCode` and `AdminConfirmSignUp`, with codes
//! read from the outbox as a user would read their mail.

use std::sync::Arc;

use gatehouse::domain::message::OutboxFilter;
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, field};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    forgot_password_resets_with_the_mailed_code_once_and_ends_sessions,
    forgot_password_refuses_clearly_and_hides_users_when_asked,
    a_burst_of_reset_guesses_gets_five_compared_and_the_right_one_is_refused,
    admin_reset_demands_a_reset_and_sends_the_code_for_it,
    resend_and_admin_confirm_sign_up,
);

/// Asserts a Cognito error: status, the AWS JSON envelope, `__type` and (unless empty) the
/// message.
async fn assert_error(response: reqwest::Response, status: u16, type_: &str, message: &str) {
    assert_eq!(response.status(), status);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(headers["x-amzn-errortype"], format!("{type_}:").as_str());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
}

const NEW_PASSWORD: &str = "Brand-New-Secret-7";
const EMAIL: &str = "alice@example.com";

/// The code in the newest message to `destination` (six digits in its text).
pub async fn newest_code(app: &TestApp, destination: &str) -> String {
    let messages = app
        .services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 1,
        })
        .await
        .unwrap();
    let text = &messages.first().expect("a message was sent").content.text;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

fn messages_to(destination: &str) -> OutboxFilter {
    OutboxFilter {
        pool: None,
        destination: Some(destination.into()),
        limit: 100,
    }
}

/// A pool with a verified user `alice`, and a client that reports unknown users
/// (`LEGACY`) beside the default client (which hides them).
async fn pool_with_alice(app: &TestApp) -> (UserPool, String, String) {
    let (pool, client) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", EMAIL), ("email_verified", "true")],
    )
    .await;
    let response = admin(
        app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientName": "legacy",
                "PreventUserExistenceErrors": "LEGACY"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let legacy = body["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    (pool, client.id.to_string(), legacy)
}

async fn forgot(app: &TestApp, client: &str, username: &str) -> reqwest::Response {
    cognito(
        app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": username}),
    )
    .await
}

async fn confirm_forgot(
    app: &TestApp,
    client: &str,
    username: &str,
    code: &str,
    password: &str,
) -> reqwest::Response {
    cognito(
        app,
        "ConfirmForgotPassword",
        &json!({"ClientId": client, "Username": username, "ConfirmationCode": code,
                "Password": password}),
    )
    .await
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "000001" } else { "000000" }
}

async fn forgot_password_resets_with_the_mailed_code_once_and_ends_sessions(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_pool, client, _) = pool_with_alice(&app).await;
    let session = app.sign_in("acme", "alice", PASSWORD).await;

    let response = forgot(&app, &client, "alice").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"CodeDeliveryDetails": {"Destination": "a***@e***", "DeliveryMedium": "EMAIL",
                                       "AttributeName": "email"}})
    );
    let sent = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].template, "RESET_PASSWORD_CODE");
    let code = newest_code(&app, EMAIL).await;

    // A weak password is refused before the code is tried (no attempt spent).
    assert_error(
        confirm_forgot(&app, &client, "alice", &code, "short").await,
        400,
        "InvalidPasswordException",
        "",
    )
    .await;
    assert_error(
        confirm_forgot(&app, &client, "alice", wrong(&code), NEW_PASSWORD).await,
        400,
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    .await;
    assert_error(
        confirm_forgot(&app, &client, "alice", "12 34", NEW_PASSWORD).await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let response = confirm_forgot(&app, &client, "alice", &code, NEW_PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");

    // The new password works, the old one does not, and every session has ended.
    app.sign_in("acme", "alice", NEW_PASSWORD).await;
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 401);
    let refreshed = app.refresh(&field(&session, "RefreshToken")).await;
    assert_eq!(refreshed.status(), 401, "the old session is revoked");
    // Single use: the spent code is gone.
    assert_error(
        confirm_forgot(&app, &client, "alice", &code, "Another-Secret-8").await,
        400,
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )
    .await;

    // A reset code lives one hour.
    assert_eq!(forgot(&app, &client, "alice").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    app.clock.advance(3_601);
    assert_error(
        confirm_forgot(&app, &client, "alice", &code, "Another-Secret-8").await,
        400,
        "ExpiredCodeException",
        "",
    )
    .await;
    app.stop().await;
}

async fn forgot_password_refuses_clearly_and_hides_users_when_asked(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, hiding, legacy) = pool_with_alice(&app).await;
    app.create_user_with(
        &pool,
        "unverified",
        PASSWORD,
        false,
        &[("email", "u@example.com")],
    )
    .await;
    app.create_user_with(
        &pool,
        "temporary",
        PASSWORD,
        true,
        &[("email", "t@example.com"), ("email_verified", "true")],
    )
    .await;
    app.create_user_with(
        &pool,
        "dora",
        PASSWORD,
        false,
        &[("email", "d@example.com"), ("email_verified", "true")],
    )
    .await;
    let disabled = admin(
        &app,
        "AdminDisableUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "dora"}),
    )
    .await;
    assert_eq!(disabled.status(), 200);

    // LEGACY: each refusal says why.
    assert_error(
        forgot(&app, &legacy, "nobody").await,
        400,
        "UserNotFoundException",
        "User does not exist.",
    )
    .await;
    assert_error(
        forgot(&app, &legacy, "unverified").await,
        400,
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    )
    .await;
    assert_error(
        forgot(&app, &legacy, "temporary").await,
        400,
        "NotAuthorizedException",
        "User password cannot be reset in the current state.",
    )
    .await;
    assert_error(
        forgot(&app, &legacy, "dora").await,
        400,
        "NotAuthorizedException",
        "User is disabled.",
    )
    .await;
    assert_error(
        confirm_forgot(&app, &legacy, "nobody", "123456", NEW_PASSWORD).await,
        400,
        "UserNotFoundException",
        "",
    )
    .await;
    // A user who never asked for a code has none to spend.
    assert_error(
        confirm_forgot(&app, &legacy, "alice", "123456", NEW_PASSWORD).await,
        400,
        "ExpiredCodeException",
        "",
    )
    .await;

    // ENABLED: whoever cannot reset gets a delivery that looks like a real one, and no
    // message is sent.
    for name in ["nobody", "unverified", "temporary", "dora"] {
        let response = forgot(&app, &hiding, name).await;
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.unwrap();
        let details = &body["CodeDeliveryDetails"];
        assert_eq!(details["DeliveryMedium"], "EMAIL", "{name}: {body}");
        assert_eq!(details["AttributeName"], "email");
        let shown = details["Destination"].as_str().unwrap();
        assert!(shown.ends_with("***@e***"), "{shown}");
        assert_eq!(
            comparable_delivery(&app, &hiding, name).await,
            comparable_delivery(&app, &hiding, name).await,
            "stable for one name"
        );
    }
    for address in ["u@example.com", "t@example.com", "d@example.com"] {
        assert!(
            app.services
                .outbox(&messages_to(address))
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_error(
        confirm_forgot(&app, &hiding, "nobody", "123456", NEW_PASSWORD).await,
        400,
        "CodeMismatchException",
        "",
    )
    .await;
    assert_error(
        confirm_forgot(&app, &hiding, "dora", "123456", NEW_PASSWORD).await,
        400,
        "CodeMismatchException",
        "",
    )
    .await;

    // Malformed requests are refused before anything is looked up.
    assert_error(
        cognito(&app, "ForgotPassword", &json!({"ClientId": hiding})).await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        cognito(
            &app,
            "ConfirmForgotPassword",
            &json!({"ClientId": hiding, "Username": "alice", "Password": NEW_PASSWORD}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        forgot(&app, "nosuchclient0000000000000", "alice").await,
        400,
        "ResourceNotFoundException",
        "",
    )
    .await;
    app.stop().await;
}

async fn comparable_delivery(app: &TestApp, client: &str, name: &str) -> Value {
    forgot(app, client, name).await.json().await.unwrap()
}

async fn a_burst_of_reset_guesses_gets_five_compared_and_the_right_one_is_refused(backend: Db) {
    const BURST: usize = 60;
    let app = Arc::new(TestApp::spawn(backend).await);
    let (_pool, client, _) = pool_with_alice(&app).await;
    assert_eq!(forgot(&app, &client, "alice").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    let guess = wrong(&code);
    let guesses = (0..BURST).map(|_| {
        let (app, client) = (app.clone(), client.clone());
        tokio::spawn(async move {
            let response = confirm_forgot(&app, &client, "alice", guess, NEW_PASSWORD).await;
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
    let compared = answers
        .iter()
        .filter(|(_, t)| t == "CodeMismatchException")
        .count();
    let refused = answers
        .iter()
        .filter(|(_, t)| t == "LimitExceededException")
        .count();
    assert!(answers.iter().all(|(s, _)| *s == 400), "{answers:?}");
    assert_eq!(compared, 5, "exactly five guesses compared: {answers:?}");
    assert_eq!(refused, BURST - 5);
    // The right code, last, finds the code dead; the password is unchanged.
    assert_error(
        confirm_forgot(&app, &client, "alice", &code, NEW_PASSWORD).await,
        400,
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )
    .await;
    app.sign_in("acme", "alice", PASSWORD).await;
    // A new code starts afresh.
    assert_eq!(forgot(&app, &client, "alice").await.status(), 200);
    let fresh = newest_code(&app, EMAIL).await;
    assert_eq!(
        confirm_forgot(&app, &client, "alice", &fresh, NEW_PASSWORD)
            .await
            .status(),
        200
    );
    Arc::into_inner(app).unwrap().stop().await;
}

async fn admin_reset_demands_a_reset_and_sends_the_code_for_it(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client, legacy) = pool_with_alice(&app).await;
    app.create_user_with(&pool, "bob", PASSWORD, false, &[("email", "b@example.com")])
        .await;
    let session = app.sign_in("acme", "alice", PASSWORD).await;
    let reset = |name: &'static str| {
        let app = &app;
        let body = json!({"UserPoolId": pool.id.as_str(), "Username": name});
        async move { admin(app, "AdminResetUserPassword", &body).await }
    };
    let response = reset("alice").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    // Sessions end; the next sign-in is told to reset.
    assert_eq!(
        app.refresh(&field(&session, "RefreshToken")).await.status(),
        401
    );
    let refused = app.login("acme", "alice", PASSWORD).await;
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["__type"], "PasswordResetRequiredException", "{body}");
    let user: Value = admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "alice"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(user["UserStatus"], "RESET_REQUIRED");

    // The code it sent resets the password; ForgotPassword works for the user too.
    let first = newest_code(&app, EMAIL).await;
    assert_eq!(forgot(&app, &legacy, "alice").await.status(), 200);
    let code = newest_code(&app, EMAIL).await;
    if code != first {
        assert_error(
            confirm_forgot(&app, &client, "alice", &first, NEW_PASSWORD).await,
            400,
            "CodeMismatchException",
            "",
        )
        .await;
    }
    assert_eq!(
        confirm_forgot(&app, &client, "alice", &code, NEW_PASSWORD)
            .await
            .status(),
        200
    );
    app.sign_in("acme", "alice", NEW_PASSWORD).await;

    // Refusals: no verified address, no such user, no such pool.
    assert_error(
        reset("bob").await,
        400,
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    )
    .await;
    assert_eq!(
        app.login("acme", "bob", PASSWORD).await.status(),
        200,
        "bob untouched"
    );
    assert_error(reset("nobody").await, 400, "UserNotFoundException", "").await;
    assert_error(
        admin(
            &app,
            "AdminResetUserPassword",
            &json!({"UserPoolId": "us-east-1_NoSuchPool", "Username": "alice"}),
        )
        .await,
        400,
        "ResourceNotFoundException",
        "",
    )
    .await;
    app.stop().await;
}

async fn resend_and_admin_confirm_sign_up(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client, legacy) = pool_with_alice(&app).await;
    app.allow_self_sign_up(&pool).await;
    let sign_up = |name: &'static str, email: &'static str| {
        let (app, client) = (&app, client.clone());
        async move {
            let response = cognito(
                app,
                "SignUp",
                &json!({"ClientId": client, "Username": name, "Password": PASSWORD,
                        "UserAttributes": [{"Name": "email", "Value": email}]}),
            )
            .await;
            assert_eq!(response.status(), 200);
        }
    };
    let resend = |client: String, name: &'static str| {
        let app = &app;
        async move {
            cognito(
                app,
                "ResendConfirmationCode",
                &json!({"ClientId": client, "Username": name}),
            )
            .await
        }
    };
    sign_up("carol", "carol@example.com").await;
    let first = newest_code(&app, "carol@example.com").await;
    let response = resend(client.clone(), "carol").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["CodeDeliveryDetails"]["Destination"], "c***@e***");
    assert_eq!(
        app.services
            .outbox(&messages_to("carol@example.com"))
            .await
            .unwrap()
            .len(),
        2
    );
    let second = newest_code(&app, "carol@example.com").await;
    if first != second {
        // The resent code replaces the first.
        assert_error(
            cognito(
                &app,
                "ConfirmSignUp",
                &json!({"ClientId": client, "Username": "carol", "ConfirmationCode": first}),
            )
            .await,
            400,
            "CodeMismatchException",
            "",
        )
        .await;
    }
    let confirmed = cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client, "Username": "carol", "ConfirmationCode": second}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    // The code came back from that address: it is verified, so it can receive reset codes.
    let user: Value = admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "carol"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        user["UserAttributes"]
            .as_array()
            .unwrap()
            .contains(&json!({"Name": "email_verified", "Value": "true"})),
        "{user}"
    );
    assert_eq!(forgot(&app, &legacy, "carol").await.status(), 200);

    // Resend refusals: LEGACY says why; ENABLED simulates a delivery.
    assert_error(
        resend(legacy.clone(), "carol").await,
        400,
        "InvalidParameterException",
        "User is already confirmed.",
    )
    .await;
    assert_error(
        resend(legacy.clone(), "nobody").await,
        400,
        "UserNotFoundException",
        "",
    )
    .await;
    for name in ["carol", "nobody"] {
        let response = resend(client.clone(), name).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    }

    // AdminConfirmSignUp confirms without the code, once.
    sign_up("erin", "erin@example.com").await;
    let confirm = |name: &'static str| {
        let app = &app;
        let body = json!({"UserPoolId": pool.id.as_str(), "Username": name});
        async move { admin(app, "AdminConfirmSignUp", &body).await }
    };
    let response = confirm("erin").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    app.sign_in("acme", "erin", PASSWORD).await;
    assert_error(
        confirm("erin").await,
        400,
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )
    .await;
    assert_error(confirm("nobody").await, 400, "UserNotFoundException", "").await;
    // The code erin was sent is spent with the confirmation.
    let code = newest_code(&app, "erin@example.com").await;
    assert_error(
        cognito(
            &app,
            "ConfirmSignUp",
            &json!({"ClientId": legacy, "Username": "erin", "ConfirmationCode": code}),
        )
        .await,
        400,
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )
    .await;
    app.stop().await;
}
