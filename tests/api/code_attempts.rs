//! `ConfirmSignUp`'s five attempts hold under a burst: the attempt is counted in the statement
//! that checks the limit, so no number of parallel guesses gets more than five codes compared.

use std::sync::Arc;

use gatehouse::domain::secret::ExposeSecret;
use gatehouse::domain::username::Username;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::hostile_input::cognito;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(a_burst_of_wrong_codes_gets_five_compared_and_the_right_one_is_refused);

async fn confirm(app: &TestApp, client_id: &str, code: &str) -> (u16, String) {
    let response = cognito(
        app,
        "ConfirmSignUp",
        &json!({"ClientId": client_id, "Username": "carol", "ConfirmationCode": code}),
    )
    .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["__type"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn a_burst_of_wrong_codes_gets_five_compared_and_the_right_one_is_refused(backend: Db) {
    const BURST: usize = 120;
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let client_id = client.id.to_string();
    let signed_up = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client_id, "Username": "carol", "Password": PASSWORD}),
    )
    .await;
    assert_eq!(signed_up.status(), 200);
    let code = app
        .services
        .pending_confirmation_code(&pool, &Username::parse("carol").unwrap())
        .await
        .unwrap()
        .unwrap();
    let right = code.expose_secret().to_owned();
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };

    let guesses = (0..BURST).map(|_| {
        let app = app.clone();
        let client_id = client_id.clone();
        tokio::spawn(async move { confirm(&app, &client_id, wrong).await })
    });
    let answers: Vec<(u16, String)> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let compared = answers
        .iter()
        .filter(|(_, kind)| kind == "CodeMismatchException")
        .count();
    let refused = answers
        .iter()
        .filter(|(_, kind)| kind == "LimitExceededException")
        .count();
    assert!(
        answers.iter().all(|(status, _)| *status == 400),
        "{answers:?}"
    );
    assert_eq!(
        compared, 5,
        "exactly five guesses were compared: {answers:?}"
    );
    assert_eq!(refused, BURST - 5);

    // The right code, sent after the burst, finds the code dead.
    assert_eq!(
        confirm(&app, &client_id, &right).await,
        (400, "LimitExceededException".to_owned())
    );
    let user = app
        .services
        .store
        .user_by_key(&pool.id, Username::parse("carol").unwrap().key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status.as_str(), "UNCONFIRMED");
    Arc::into_inner(app).unwrap().stop().await;
}
