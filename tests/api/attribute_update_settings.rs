//! What a pool verifies by code and when a change waits for it: `AutoVerifiedAttributes`
//! (codes at sign-up and on change) and `UserAttributeUpdateSettings.
//! AttributesRequireVerificationBeforeUpdate` (the old, verified address stays in force —
//! in `GetUser`, in tokens, for password resets — until the new one's code comes back), and
//! `VerifyUserAttribute` spending its code and setting the flag in one transaction.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::account_recovery::newest_code;
use crate::helpers::{PASSWORD, TestApp, field, jwt_part};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    a_verified_email_stays_in_force_until_the_new_one_is_verified,
    auto_verified_attributes_decide_which_codes_are_sent,
    a_burst_of_right_codes_verifies_once,
    a_held_email_moves_the_sign_in_alias_only_when_verified,
);

const OLD: &str = "alice@example.com";
const NEW: &str = "alice.new@example.com";

/// An app client of `pool_id` that signs in with a password (`CreateUserPool` makes none).
pub(crate) async fn password_client(app: &TestApp, pool_id: &str) -> String {
    let response = admin(
        app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "app",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
                                      "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A pool made through `CreateUserPool` with `settings`, an app client, and `alice`
/// (verified `OLD`, permanent password).
async fn pool_with_alice(app: &TestApp, settings: Value) -> (String, String) {
    let mut body = settings;
    body["PoolName"] = json!("acme");
    let response = admin(app, "CreateUserPool", &body).await;
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.unwrap();
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    let client = password_client(app, &pool_id).await;
    let response = admin(
        app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "alice", "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": OLD},
                                   {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = admin(
        app,
        "AdminSetUserPassword",
        &json!({"UserPoolId": pool_id, "Username": "alice", "Password": PASSWORD,
                "Permanent": true}),
    )
    .await;
    assert_eq!(response.status(), 200);
    (pool_id, client)
}

async fn sign_in(app: &TestApp, client: &str) -> Value {
    let response = cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["AuthenticationResult"].clone()
}

/// The caller's attributes as `GetUser` shows them.
async fn attributes(app: &TestApp, access: &str) -> Value {
    let response = cognito(app, "GetUser", &json!({"AccessToken": access})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_owned(), a["Value"].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

async fn update_email(app: &TestApp, access: &str, email: &str) -> Value {
    let response = cognito(
        app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access, "UserAttributes": [{"Name": "email", "Value": email}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn verify(app: &TestApp, access: &str, code: &str) -> reqwest::Response {
    cognito(
        app,
        "VerifyUserAttribute",
        &json!({"AccessToken": access, "AttributeName": "email", "Code": code}),
    )
    .await
}

async fn a_verified_email_stays_in_force_until_the_new_one_is_verified(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool_id, client) = pool_with_alice(
        &app,
        json!({"AutoVerifiedAttributes": ["email"],
               "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}}),
    )
    .await;
    let session = sign_in(&app, &client).await;
    let access = field(&session, "AccessToken");

    // The change is accepted and its code goes to the new address...
    let answer = update_email(&app, &access, NEW).await;
    assert_eq!(
        answer["CodeDeliveryDetailsList"],
        json!([{"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}])
    );
    let code = newest_code(&app, NEW).await;
    // ...but the old, verified address stays in force: GetUser, new tokens, and a password
    // reset (which goes only to a verified address) all still see it.
    let shown = attributes(&app, &access).await;
    assert_eq!(shown["email"], OLD);
    assert_eq!(shown["email_verified"], "true");
    let fresh = sign_in(&app, &client).await;
    assert_eq!(jwt_part(&field(&fresh, "IdToken"), 1)["email"], OLD);
    let reset = cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": "alice"}),
    )
    .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        app.services
            .outbox(&gatehouse::domain::message::OutboxFilter {
                pool: None,
                destination: Some(OLD.into()),
                limit: 10,
            })
            .await
            .unwrap()[0]
            .template,
        "RESET_PASSWORD_CODE"
    );

    // Asking for the code again sends a fresh one to the waiting address, not the old one.
    let again = cognito(
        &app,
        "GetUserAttributeVerificationCode",
        &json!({"AccessToken": access, "AttributeName": "email"}),
    )
    .await;
    assert_eq!(again.status(), 200);
    let fresh_code = newest_code(&app, NEW).await;
    if fresh_code != code {
        let stale = verify(&app, &access, &code).await;
        assert_eq!(stale.status(), 400);
    }
    assert_eq!(attributes(&app, &access).await["email"], OLD);

    // The code comes back: the new address takes over, verified.
    assert_eq!(verify(&app, &access, &fresh_code).await.status(), 200);
    let shown = attributes(&app, &access).await;
    assert_eq!(shown["email"], NEW);
    assert_eq!(shown["email_verified"], "true");
    let after = sign_in(&app, &client).await;
    assert_eq!(jwt_part(&field(&after, "IdToken"), 1)["email"], NEW);
    // Spent: it verifies nothing again.
    let again = verify(&app, &access, &fresh_code).await;
    assert_eq!(again.status(), 400);

    // An administrator who vouches for the address changes it at once.
    let response = admin(
        &app,
        "AdminUpdateUserAttributes",
        &json!({"UserPoolId": pool_id, "Username": "alice",
                "UserAttributes": [{"Name": "email", "Value": OLD},
                                   {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(attributes(&app, &access).await["email"], OLD);
    // An administrator's change that does not is held like the user's.
    let response = admin(
        &app,
        "AdminUpdateUserAttributes",
        &json!({"UserPoolId": pool_id, "Username": "alice",
                "UserAttributes": [{"Name": "email", "Value": "third@example.com"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(attributes(&app, &access).await["email"], OLD);
    assert_eq!(newest_code(&app, "third@example.com").await.len(), 6);
    app.stop().await;
}

async fn auto_verified_attributes_decide_which_codes_are_sent(backend: Db) {
    let app = TestApp::spawn(backend).await;
    // Cognito's default for CreateUserPool: nothing is verified by code.
    let (pool_id, client) = pool_with_alice(&app, json!({})).await;
    let described = admin(&app, "DescribeUserPool", &json!({"UserPoolId": pool_id})).await;
    let described: Value = described.json().await.unwrap();
    assert!(
        described["UserPool"]
            .get("AutoVerifiedAttributes")
            .is_none(),
        "{described}"
    );
    // A sign-up gets no code and no CodeDeliveryDetails.
    let signed_up = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "bob", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "bob@example.com"}]}),
    )
    .await;
    assert_eq!(signed_up.status(), 200);
    let signed_up: Value = signed_up.json().await.unwrap();
    assert!(
        signed_up.get("CodeDeliveryDetails").is_none(),
        "{signed_up}"
    );
    let mail = |to: &'static str| {
        let app = &app;
        async move {
            app.services
                .outbox(&gatehouse::domain::message::OutboxFilter {
                    pool: None,
                    destination: Some(to.into()),
                    limit: 10,
                })
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(mail("bob@example.com").await, 0);
    // A changed address is unverified and sent nothing; the user may still ask for a code.
    let access = field(&sign_in(&app, &client).await, "AccessToken");
    let answer = update_email(&app, &access, NEW).await;
    assert_eq!(answer["CodeDeliveryDetailsList"], json!([]));
    assert_eq!(mail(NEW).await, 0);
    let shown = attributes(&app, &access).await;
    assert_eq!(shown["email"], NEW);
    assert_eq!(shown["email_verified"], "false");
    let asked = cognito(
        &app,
        "GetUserAttributeVerificationCode",
        &json!({"AccessToken": access, "AttributeName": "email"}),
    )
    .await;
    assert_eq!(asked.status(), 200);
    assert_eq!(
        verify(&app, &access, &newest_code(&app, NEW).await)
            .await
            .status(),
        200
    );
    assert_eq!(attributes(&app, &access).await["email_verified"], "true");

    // With email auto-verified, the same change sends its code.
    let response = admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "AutoVerifiedAttributes": ["email"]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let answer = update_email(&app, &access, "alice.third@example.com").await;
    assert_eq!(
        answer["CodeDeliveryDetailsList"][0]["AttributeName"],
        "email"
    );
    assert_eq!(mail("alice.third@example.com").await, 1);
    app.stop().await;
}

async fn a_burst_of_right_codes_verifies_once(backend: Db) {
    const BURST: usize = 50;
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, _client) = app.create_pool("acme").await;
    app.create_user_with(&pool, "alice", PASSWORD, false, &[("email", OLD)])
        .await;
    let session = app.sign_in("acme", "alice", PASSWORD).await;
    let access = field(&session, "AccessToken");
    let asked = cognito(
        &app,
        "GetUserAttributeVerificationCode",
        &json!({"AccessToken": access, "AttributeName": "email"}),
    )
    .await;
    assert_eq!(asked.status(), 200);
    let code = newest_code(&app, OLD).await;
    // Every request carries the right code: the code is spent and the flag set in one
    // transaction, so exactly one succeeds and every other finds the code gone.
    let attempts = (0..BURST).map(|_| {
        let (app, access, code) = (app.clone(), access.clone(), code.clone());
        tokio::spawn(async move {
            let response = verify(&app, &access, &code).await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["__type"].as_str().unwrap_or_default().to_owned(),
            )
        })
    });
    let answers: Vec<(u16, String)> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let succeeded = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(succeeded, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(status, kind)| *status == 200
            || kind == "ExpiredCodeException"
            || kind == "LimitExceededException"),
        "{answers:?}"
    );
    assert_eq!(attributes(&app, &access).await["email_verified"], "true");
    Arc::into_inner(app).unwrap().stop().await;
}

/// Whether `name` and the password sign in on `client`.
async fn signs_in_as(app: &TestApp, client: &str, name: &str) -> bool {
    let response = cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD}}),
    )
    .await;
    response.status() == 200
}

/// In a pool that signs in by e-mail alias, a change held back until verified leaves the
/// alias on the old address; verifying the new one moves it, in the verifying transaction.
async fn a_held_email_moves_the_sign_in_alias_only_when_verified(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_alice(
        &app,
        json!({"AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
               "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}}),
    )
    .await;
    assert!(signs_in_as(&app, &client, OLD).await);
    let access = field(&sign_in(&app, &client).await, "AccessToken");
    update_email(&app, &access, NEW).await;
    let code = newest_code(&app, NEW).await;
    // Held: the old, verified address still signs in; the new one does not yet.
    assert!(signs_in_as(&app, &client, OLD).await);
    assert!(!signs_in_as(&app, &client, NEW).await);
    assert_eq!(verify(&app, &access, &code).await.status(), 200);
    assert!(signs_in_as(&app, &client, NEW).await);
    assert!(!signs_in_as(&app, &client, OLD).await);
}
