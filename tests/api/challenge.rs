//! `NEW_PASSWORD_REQUIRED` and `POST /RespondToAuthChallenge`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

const TEMPORARY: &str = "Temporary-Pass-1";
const CHOSEN: &str = "Chosen-Password-2";

on_both_backends!(
    temporary_password_leads_to_a_challenge_and_its_answer_signs_in,
    a_weak_new_password_is_refused_and_the_session_survives,
    sessions_are_single_use,
    sessions_expire_after_three_minutes,
    the_session_belongs_to_its_user_and_tenant,
    temporary_passwords_expire,
    malformed_answers_are_400,
);

async fn setup(backend: Db) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "bob",
        TEMPORARY,
        true,
        &[("email", "bob@example.com")],
    )
    .await;
    app
}

/// Signs in with the temporary password and returns the challenge's `cognitoToken`.
async fn challenge(app: &TestApp) -> Value {
    let response = app.login("acme", "bob", TEMPORARY).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["cognitoToken"].clone()
}

fn answer(session: &Value, new_password: &str) -> Value {
    json!({
        "TenantName": "acme",
        "UserName": "bob",
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeResponses": {"NEW_PASSWORD": new_password, "userAttributes.given_name": "Bob"},
    })
}

async fn temporary_password_leads_to_a_challenge_and_its_answer_signs_in(backend: Db) {
    let app = setup(backend).await;
    let token = challenge(&app).await;
    assert_eq!(token["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let session = token["Session"].as_str().unwrap();
    assert!(session.len() >= 20);
    assert_eq!(
        token["ChallengeParameters"],
        json!({
            "USER_ID_FOR_SRP": "bob",
            "requiredAttributes": "[]",
            "userAttributes": "{\"email\":\"bob@example.com\"}",
        })
    );
    assert!(token.get("AuthenticationResult").is_none());

    let response = app
        .respond_to_challenge(&answer(&token["Session"], CHOSEN))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let result = &body["cognitoToken"]["AuthenticationResult"];
    assert_eq!(body["cognitoToken"]["ChallengeParameters"], json!({}));
    assert_eq!(result["TokenType"], "Bearer");
    let claims = jwt_part(result["IdToken"].as_str().unwrap(), 1);
    assert_eq!(claims["cognito:username"], "bob");
    assert_eq!(
        claims["given_name"], "Bob",
        "attributes from the answer are saved"
    );
    assert_eq!(claims["email"], "bob@example.com");

    // The chosen password now signs in directly; the temporary one no longer does.
    app.sign_in("acme", "bob", CHOSEN).await;
    assert_error(
        app.login("acme", "bob", TEMPORARY).await,
        401,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    app.stop().await;
}

async fn a_weak_new_password_is_refused_and_the_session_survives(backend: Db) {
    let app = setup(backend).await;
    let token = challenge(&app).await;
    for (weak, rule) in [
        ("Sh0rt!", "Password not long enough"),
        ("no-uppercase-9", "Password must have uppercase characters"),
        ("NO-LOWERCASE-9", "Password must have lowercase characters"),
        ("No-Numbers-Here", "Password must have numeric characters"),
        ("NoSymbols999", "Password must have symbol characters"),
    ] {
        assert_error(
            app.respond_to_challenge(&answer(&token["Session"], weak))
                .await,
            400,
            "InvalidPasswordException",
            &format!("Password did not conform with password policy: {rule}"),
        )
        .await;
    }
    let response = app
        .respond_to_challenge(&answer(&token["Session"], CHOSEN))
        .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn sessions_are_single_use(backend: Db) {
    let app = setup(backend).await;
    let token = challenge(&app).await;
    let body = answer(&token["Session"], CHOSEN);
    // Two answers race; exactly one wins.
    let (first, second) = tokio::join!(
        app.respond_to_challenge(&body),
        app.respond_to_challenge(&body)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    assert_error(
        app.respond_to_challenge(&body).await,
        400,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    app.stop().await;
}

async fn sessions_expire_after_three_minutes(backend: Db) {
    let app = setup(backend).await;
    let token = challenge(&app).await;
    app.clock.advance(180);
    assert_error(
        app.respond_to_challenge(&answer(&token["Session"], CHOSEN))
            .await,
        400,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    // Just inside the window it works.
    let token = challenge(&app).await;
    app.clock.advance(179);
    assert_eq!(
        app.respond_to_challenge(&answer(&token["Session"], CHOSEN))
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn the_session_belongs_to_its_user_and_tenant(backend: Db) {
    let app = setup(backend).await;
    let (pool, _) = app.services.find_pool("acme").await.unwrap();
    app.create_user_with(&pool, "eve", TEMPORARY, true, &[])
        .await;
    app.create_pool("globex").await;
    let token = challenge(&app).await;
    let mut as_eve = answer(&token["Session"], CHOSEN);
    as_eve["UserName"] = json!("eve");
    let mut other_tenant = answer(&token["Session"], CHOSEN);
    other_tenant["TenantName"] = json!("globex");
    let mut made_up = answer(&json!("x".repeat(43)), CHOSEN);
    made_up["UserName"] = json!("bob");
    for body in [as_eve, other_tenant, made_up] {
        assert_error(
            app.respond_to_challenge(&body).await,
            400,
            "NotAuthorizedException",
            "Invalid session for the user.",
        )
        .await;
    }
    // None of that spent bob's session.
    assert_eq!(
        app.respond_to_challenge(&answer(&token["Session"], CHOSEN))
            .await
            .status(),
        200
    );
    app.stop().await;
}

async fn temporary_passwords_expire(backend: Db) {
    let app = setup(backend).await;
    app.clock.advance(7 * 86_400);
    assert_error(
        app.login("acme", "bob", TEMPORARY).await,
        401,
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )
    .await;
    // A wrong password still says nothing more.
    assert_error(
        app.login("acme", "bob", "Wrong-Pass-1").await,
        401,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    app.stop().await;
}

async fn malformed_answers_are_400(backend: Db) {
    let app = setup(backend).await;
    let token = challenge(&app).await;
    let good = answer(&token["Session"], CHOSEN);
    let mut cases = Vec::new();
    let mut wrong_challenge = good.clone();
    wrong_challenge["ChallengeName"] = json!("SMS_MFA");
    cases.push(wrong_challenge);
    let mut short_session = good.clone();
    short_session["Session"] = json!("tooshort");
    cases.push(short_session);
    let mut no_password = good.clone();
    no_password["ChallengeResponses"] = json!({"userAttributes.given_name": "Bob"});
    cases.push(no_password);
    let mut bad_attribute = good.clone();
    bad_attribute["ChallengeResponses"]["userAttributes.sub"] = json!("forged");
    cases.push(bad_attribute);
    let mut unexpected = good.clone();
    unexpected["ChallengeResponses"]["SOMETHING"] = json!("x");
    cases.push(unexpected);
    let mut long_password = good.clone();
    long_password["ChallengeResponses"]["NEW_PASSWORD"] = json!(format!("Aa1!{}", "x".repeat(300)));
    cases.push(long_password);
    for body in cases {
        let response = app.respond_to_challenge(&body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["__type"], "InvalidParameterException", "{body}");
    }
    // Null map values (sent by browser SDKs) are ignored.
    let mut with_null = good.clone();
    with_null["ChallengeResponses"]["DEVICE_KEY"] = Value::Null;
    assert_eq!(app.respond_to_challenge(&with_null).await.status(), 200);
    app.stop().await;
}
