//! What `AdminGetUser` and `ListUsers` show of a user (issue #13, item 6): Cognito's
//! `UserStatus` values, `Enabled`, `UserCreateDate` and `UserLastModifiedDate` in epoch
//! seconds (the latter moved by every change of attributes, password, status or enabled
//! state, and by nothing else), `sub` among the attributes, and no MFA members for a user
//! without MFA (which, until MFA lands, is every user), as Cognito leaves them out.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    admin_get_user_and_list_users_show_each_status_and_when_it_changed,
    the_javascript_sdk_reads_users_as_cognito_returns_them,
);

async fn ok(app: &TestApp, operation: &str, body: Value) -> Value {
    let response = admin(app, operation, &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{operation}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn get_user(app: &TestApp, pool_id: &str, username: &str) -> Value {
    ok(
        app,
        "AdminGetUser",
        json!({"UserPoolId": pool_id, "Username": username}),
    )
    .await
}

/// The user as `ListUsers` shows it.
async fn listed_user(app: &TestApp, pool_id: &str, username: &str) -> Value {
    let listed = ok(
        app,
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": format!("username = \"{username}\"")}),
    )
    .await;
    let users = listed["Users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{listed}");
    users[0].clone()
}

fn attribute<'a>(attributes: &'a Value, name: &str) -> Option<&'a str> {
    attributes
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == name)
        .map(|a| a["Value"].as_str().unwrap())
}

/// Checks both views of the user against what is expected, and that they agree.
async fn expect_user(
    app: &TestApp,
    pool_id: &str,
    username: &str,
    status: &str,
    enabled: bool,
    created: i64,
    modified: i64,
) {
    let got = get_user(app, pool_id, username).await;
    let members: BTreeSet<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        BTreeSet::from([
            "Username",
            "UserAttributes",
            "UserCreateDate",
            "UserLastModifiedDate",
            "Enabled",
            "UserStatus",
        ]),
        "no MFA members for a user without MFA: {got}"
    );
    assert_eq!(got["Username"], username);
    assert_eq!(got["UserStatus"], status, "{got}");
    assert_eq!(got["Enabled"], enabled, "{got}");
    assert_eq!(got["UserCreateDate"], created, "epoch seconds: {got}");
    assert_eq!(got["UserLastModifiedDate"], modified, "{got}");
    let sub = attribute(&got["UserAttributes"], "sub").expect("sub is an attribute");
    assert!(uuid::Uuid::parse_str(sub).is_ok(), "{sub}");

    let listed = listed_user(app, pool_id, username).await;
    assert!(listed.get("MFAOptions").is_none(), "{listed}");
    for (member, expected) in [
        ("Username", &got["Username"]),
        ("UserStatus", &got["UserStatus"]),
        ("Enabled", &got["Enabled"]),
        ("UserCreateDate", &got["UserCreateDate"]),
        ("UserLastModifiedDate", &got["UserLastModifiedDate"]),
        ("Attributes", &got["UserAttributes"]),
    ] {
        assert_eq!(&listed[member], expected, "ListUsers {member}: {listed}");
    }
}

async fn admin_get_user_and_list_users_show_each_status_and_when_it_changed(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let pool_id = pool.id.to_string();
    let created = app.clock_now();

    // SignUp: UNCONFIRMED.
    let response = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client.id.to_string(), "Username": "una", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "una@example.com"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    expect_user(&app, &pool_id, "una", "UNCONFIRMED", true, created, created).await;
    let got = get_user(&app, &pool_id, "una").await;
    assert_eq!(
        attribute(&got["UserAttributes"], "email"),
        Some("una@example.com")
    );

    // Each change moves the last-modified date, never the creation date.
    let mut now = created;
    let mut step = |app: &TestApp| {
        app.clock.advance(100);
        now += 100;
        now
    };
    let at = step(&app);
    ok(
        &app,
        "AdminConfirmSignUp",
        json!({"UserPoolId": pool_id, "Username": "una"}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "CONFIRMED", true, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool_id, "Username": "una",
               "UserAttributes": [{"Name": "name", "Value": "Una"},
                                  {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "CONFIRMED", true, created, at).await;

    // A sign-in, a refresh and a global sign-out change nothing Cognito shows.
    step(&app);
    let tokens = app.sign_in("acme", "una", PASSWORD).await;
    assert_eq!(
        app.refresh(tokens["RefreshToken"].as_str().unwrap())
            .await
            .status(),
        200
    );
    ok(
        &app,
        "AdminUserGlobalSignOut",
        json!({"UserPoolId": pool_id, "Username": "una"}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "CONFIRMED", true, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": "una", "Password": "Temporary-Pass-1",
               "Permanent": false}),
    )
    .await;
    expect_user(
        &app,
        &pool_id,
        "una",
        "FORCE_CHANGE_PASSWORD",
        true,
        created,
        at,
    )
    .await;

    let at = step(&app);
    ok(
        &app,
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": "una", "Password": PASSWORD,
               "Permanent": true}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "CONFIRMED", true, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminResetUserPassword",
        json!({"UserPoolId": pool_id, "Username": "una"}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "RESET_REQUIRED", true, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminDisableUser",
        json!({"UserPoolId": pool_id, "Username": "una"}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "RESET_REQUIRED", false, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminEnableUser",
        json!({"UserPoolId": pool_id, "Username": "una"}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "RESET_REQUIRED", true, created, at).await;

    let at = step(&app);
    ok(
        &app,
        "AdminDeleteUserAttributes",
        json!({"UserPoolId": pool_id, "Username": "una", "UserAttributeNames": ["name"]}),
    )
    .await;
    expect_user(&app, &pool_id, "una", "RESET_REQUIRED", true, created, at).await;

    // AdminCreateUser: FORCE_CHANGE_PASSWORD from the start, both dates the creation's.
    let at = step(&app);
    ok(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": "fred", "MessageAction": "SUPPRESS"}),
    )
    .await;
    expect_user(
        &app,
        &pool_id,
        "fred",
        "FORCE_CHANGE_PASSWORD",
        true,
        at,
        at,
    )
    .await;

    // An unknown user is Cognito's UserNotFoundException.
    let response = admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool_id, "Username": "nobody"}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"__type": "UserNotFoundException", "message": "User does not exist."})
    );
    app.stop().await;
}

async fn the_javascript_sdk_reads_users_as_cognito_returns_them(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let mut node = std::process::Command::new("node");
    node.arg("users_sdk.mjs")
        .args([
            app.address.as_str(),
            pool.id.as_str(),
            &client.id.to_string(),
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ])
        .current_dir(dir);
    crate::helpers::run_client(node, "users sdk: all checks passed").await;
    app.stop().await;
}
