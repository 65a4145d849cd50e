//! The cap on code requests: `ForgotPassword`, `ResendConfirmationCode` and
//! `GetUserAttributeVerificationCode` each start a fresh code with fresh guesses, so each user
//! may ask at most five times an hour per purpose, counted in the database in the statement
//! that checks the cap. A burst of sixty gets exactly five through, on any backend.

use std::sync::Arc;

use gatehouse::domain::message::OutboxFilter;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, field};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    a_burst_of_reset_requests_gets_exactly_the_cap_through,
    verification_and_confirmation_codes_are_capped_too,
);

const BURST: usize = 60;
const CAP: usize = 5;
const LIMIT: &str = "Attempt limit exceeded, please try after some time.";
const EMAIL: &str = "alice@example.com";

async fn messages_to(app: &TestApp, destination: &str) -> usize {
    app.services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 1000,
        })
        .await
        .unwrap()
        .len()
}

/// Sends `BURST` copies of one request at once; the answers' statuses and `__type`s.
async fn burst(app: &Arc<TestApp>, operation: &'static str, body: Value) -> Vec<(u16, String)> {
    let requests = (0..BURST).map(|_| {
        let (app, body) = (app.clone(), body.clone());
        tokio::spawn(async move {
            let response = cognito(&app, operation, &body).await;
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap();
            (
                status,
                answer["__type"].as_str().unwrap_or_default().to_owned(),
            )
        })
    });
    futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn count(answers: &[(u16, String)], status: u16, kind: &str) -> usize {
    answers
        .iter()
        .filter(|(s, k)| *s == status && k == kind)
        .count()
}

async fn assert_limited(response: reqwest::Response) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "LimitExceededException", "{body}");
    assert_eq!(body["message"], LIMIT, "{body}");
}

async fn legacy_client(app: &TestApp, pool: &str) -> String {
    let response = admin(
        app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool, "ClientName": "legacy",
                "PreventUserExistenceErrors": "LEGACY"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_burst_of_reset_requests_gets_exactly_the_cap_through(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, hiding) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", EMAIL), ("email_verified", "true")],
    )
    .await;
    let legacy = legacy_client(&app, pool.id.as_str()).await;
    let forgot = |client: &str| json!({"ClientId": client, "Username": "alice"});

    let answers = burst(&app, "ForgotPassword", forgot(&legacy)).await;
    assert_eq!(count(&answers, 200, ""), CAP, "{answers:?}");
    assert_eq!(
        count(&answers, 400, "LimitExceededException"),
        BURST - CAP,
        "{answers:?}"
    );
    assert_eq!(messages_to(&app, EMAIL).await, CAP);
    // The request sent after the burst is refused too, with Cognito's words.
    assert_limited(cognito(&app, "ForgotPassword", &forgot(&legacy)).await).await;
    // A client that hides whether users exist answers as for an unknown user, and sends
    // nothing.
    let hidden = cognito(&app, "ForgotPassword", &forgot(hiding.id.as_str())).await;
    assert_eq!(hidden.status(), 200);
    assert_eq!(messages_to(&app, EMAIL).await, CAP);

    // The window passes: the user may ask again.
    app.clock.advance(3_601);
    let response = cognito(&app, "ForgotPassword", &forgot(&legacy)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(messages_to(&app, EMAIL).await, CAP + 1);
    Arc::into_inner(app).unwrap().stop().await;
}

async fn verification_and_confirmation_codes_are_capped_too(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    app.create_user_with(&pool, "alice", PASSWORD, false, &[("email", EMAIL)])
        .await;
    let access = field(&app.sign_in("acme", "alice", PASSWORD).await, "AccessToken");
    let ask = json!({"AccessToken": access, "AttributeName": "email"});
    let answers = burst(&app, "GetUserAttributeVerificationCode", ask.clone()).await;
    assert_eq!(count(&answers, 200, ""), CAP, "{answers:?}");
    assert_eq!(count(&answers, 400, "LimitExceededException"), BURST - CAP);
    assert_eq!(messages_to(&app, EMAIL).await, CAP);
    assert_limited(cognito(&app, "GetUserAttributeVerificationCode", &ask).await).await;

    // ResendConfirmationCode, counted apart from the other purposes.
    let carol = "carol@example.com";
    let signed_up = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client.id.as_str(), "Username": "carol", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": carol}]}),
    )
    .await;
    assert_eq!(signed_up.status(), 200);
    let legacy = legacy_client(&app, pool.id.as_str()).await;
    let resend = json!({"ClientId": legacy, "Username": "carol"});
    let answers = burst(&app, "ResendConfirmationCode", resend.clone()).await;
    assert_eq!(count(&answers, 200, ""), CAP, "{answers:?}");
    // The sign-up's own message and the five resent ones.
    assert_eq!(messages_to(&app, carol).await, CAP + 1);
    assert_limited(cognito(&app, "ResendConfirmationCode", &resend).await).await;
    Arc::into_inner(app).unwrap().stop().await;
}
