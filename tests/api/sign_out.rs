//! `/Logout`, `/GlobalSignOut`, `/ChangePassword` and what each revokes.

use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, assert_error, field};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    logout_revokes_one_session_and_is_idempotent,
    global_sign_out_revokes_every_session,
    change_password_checks_the_old_password_and_keeps_the_current_session,
    change_password_applies_the_policy_and_the_lockout,
);

async fn setup(backend: Db) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app
}

async fn logout_revokes_one_session_and_is_idempotent(backend: Db) {
    let app = setup(backend).await;
    let one = app.sign_in("acme", "alice", PASSWORD).await;
    let two = app.sign_in("acme", "alice", PASSWORD).await;
    for _ in 0..2 {
        let response = app.logout(&field(&one, "RefreshToken")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "{}");
    }
    // Unknown tokens get the same answer: logout is no oracle.
    assert_eq!(
        app.logout("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status(),
        200
    );
    assert_error(
        app.refresh(&field(&one, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )
    .await;
    assert_eq!(
        app.user_info(&field(&two, "AccessToken")).await.status(),
        200,
        "other sessions live on"
    );
    assert_eq!(
        app.refresh(&field(&two, "RefreshToken")).await.status(),
        200
    );
    assert_error(
        app.logout("not a token!").await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    app.stop().await;
}

async fn global_sign_out_revokes_every_session(backend: Db) {
    let app = setup(backend).await;
    let one = app.sign_in("acme", "alice", PASSWORD).await;
    let two = app.sign_in("acme", "alice", PASSWORD).await;
    let response = app.global_sign_out(&field(&one, "AccessToken")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    for session in [&one, &two] {
        assert_error(
            app.user_info(&field(session, "AccessToken")).await,
            401,
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
        .await;
        assert_error(
            app.refresh(&field(session, "RefreshToken")).await,
            401,
            "NotAuthorizedException",
            "Invalid Refresh Token",
        )
        .await;
    }
    // Signing in again works at once.
    app.clock.advance(1);
    let three = app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.user_info(&field(&three, "AccessToken")).await.status(),
        200
    );
    app.stop().await;
}

async fn change_password_checks_the_old_password_and_keeps_the_current_session(backend: Db) {
    let app = setup(backend).await;
    let current = app.sign_in("acme", "alice", PASSWORD).await;
    let other = app.sign_in("acme", "alice", PASSWORD).await;
    let access = field(&current, "AccessToken");
    assert_error(
        app.change_password(&access, "Wrong-Horse-9", "Changed-Horse-10")
            .await,
        401,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    let response = app
        .change_password(&access, PASSWORD, "Changed-Horse-10")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    assert_eq!(
        app.user_info(&access).await.status(),
        200,
        "the caller's session continues"
    );
    assert_error(
        app.user_info(&field(&other, "AccessToken")).await,
        401,
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    .await;
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    app.sign_in("acme", "alice", "Changed-Horse-10").await;
    app.stop().await;
}

async fn change_password_applies_the_policy_and_the_lockout(backend: Db) {
    let app = setup(backend).await;
    let current = app.sign_in("acme", "alice", PASSWORD).await;
    let access = field(&current, "AccessToken");
    assert_error(
        app.change_password(&access, PASSWORD, "weak").await,
        400,
        "InvalidPasswordException",
        "Password did not conform with password policy: Password not long enough",
    )
    .await;
    let bad: Value = serde_json::json!({"PreviousPassword": PASSWORD});
    assert_error(
        app.with_bearer("/ChangePassword", &access, Some(&bad))
            .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            app.change_password(&access, "Wrong-Horse-9", "Changed-Horse-10")
                .await
                .status(),
            401
        );
    }
    assert_error(
        app.change_password(&access, PASSWORD, "Changed-Horse-10")
            .await,
        401,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
    app.stop().await;
}
