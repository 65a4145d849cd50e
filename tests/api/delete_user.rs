//! `DeleteUser`: a signed-in user deletes their own account, and with it every session.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, field};
use crate::hostile_input::cognito;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(a_user_deletes_their_own_account_and_its_sessions);

async fn error_type(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["__type"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn a_user_deletes_their_own_account_and_its_sessions(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "bob", false).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = app.sign_in("acme", "alice", PASSWORD).await;
    let bob = app.sign_in("acme", "bob", PASSWORD).await;

    let delete = |token: String| {
        let app = &app;
        async move { cognito(app, "DeleteUser", &json!({"AccessToken": token})).await }
    };
    let response = delete(field(&first, "AccessToken")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");

    // Gone: the user, every session, every token.
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 401);
    assert_eq!(
        app.refresh(&field(&second, "RefreshToken")).await.status(),
        401
    );
    // A token of the deleted user names the cause, as Cognito does.
    let again = error_type(delete(field(&second, "AccessToken")).await).await;
    assert_eq!(again, (400, "UserNotFoundException".to_owned()));
    let get_user = cognito(
        &app,
        "GetUser",
        &json!({"AccessToken": field(&first, "AccessToken")}),
    )
    .await;
    assert_eq!(get_user.status(), 400);
    // Nobody else is touched.
    assert_eq!(
        app.refresh(&field(&bob, "RefreshToken")).await.status(),
        200
    );

    // Bad input is refused clearly.
    assert_eq!(
        error_type(cognito(&app, "DeleteUser", &json!({})).await).await,
        (400, "InvalidParameterException".to_owned())
    );
    assert_eq!(
        error_type(delete("not-a-token".into()).await).await,
        (400, "NotAuthorizedException".to_owned())
    );
    app.stop().await;
}
