//! Multi-factor authentication with TOTP authenticator apps (docs/security.md,
//! "Multi-factor authentication"): the pool's MFA configuration, associating and verifying
//! an app, preferences, the `SOFTWARE_TOKEN_MFA` and `MFA_SETUP` challenges on the Cognito
//! API and the login API, replays, sessions of other users and clients, and the lockout.
//! Codes are computed with `totp-rs` at the server's (fake) clock; the boto3 run computes
//! them with pyotp instead.

use std::process::Command;

use futures_util::future::join_all;
use gatehouse::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::cognito_api::call as cognito;
use crate::helpers::{PASSWORD, TestApp};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    the_pool_mfa_configuration_is_stored_and_returned,
    a_verified_app_is_asked_for_at_every_password_sign_in,
    a_totp_code_is_accepted_once_even_in_a_burst,
    a_burst_of_wrong_codes_locks_the_account_and_the_right_code_last_is_refused,
    sessions_are_single_use_and_bound_to_user_client_and_time,
    an_on_pool_sets_up_an_app_at_sign_in,
    preferences_show_in_get_user_and_an_operator_can_disable_the_app,
    the_login_api_returns_and_answers_the_mfa_challenge,
    boto3_signs_in_with_totp_codes_from_pyotp,
);

/// The code an authenticator app holding `secret` shows at `time`.
pub(crate) fn code_at(secret: &str, time: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_bytes().to_vec())
        .build()
        .unwrap();
    totp.generate(u64::try_from(time).unwrap()).to_string()
}

/// A refusal in Cognito's shape, on either API (the Cognito API answers
/// `application/x-amz-json-1.1`, the login API `application/json`). An empty `message` is
/// not compared.
pub(crate) async fn assert_error(
    response: reqwest::Response,
    status: u16,
    type_: &str,
    message: &str,
) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        format!("{type_}:").as_str()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
}

pub(crate) async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn set_mfa(app: &TestApp, pool: &UserPool, mode: &str) -> Value {
    json_of(
        admin(
            app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": pool.id.to_string(), "MfaConfiguration": mode,
                    "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
        )
        .await,
    )
    .await
}

pub(crate) async fn password_sign_in(app: &TestApp, client: &AppClient, username: &str) -> Value {
    json_of(
        cognito(
            app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                    "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD}}),
        )
        .await,
    )
    .await
}

async fn answer_code(
    app: &TestApp,
    client: &AppClient,
    username: &str,
    session: &str,
    code: &str,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ClientId": client.id.to_string(), "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": session,
                "ChallengeResponses": {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code}}),
    )
    .await
}

/// Signs `username` in without MFA, associates and verifies an app by access token: the
/// app's secret. The verifying code used the current time step.
pub(crate) async fn enrol(app: &TestApp, client: &AppClient, username: &str) -> String {
    let signed_in = password_sign_in(app, client, username).await;
    let access = signed_in["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("tokens expected: {signed_in}"))
        .to_owned();
    let associated = json_of(
        cognito(
            app,
            "AssociateSoftwareToken",
            &json!({"AccessToken": access}),
        )
        .await,
    )
    .await;
    let secret = associated["SecretCode"].as_str().unwrap().to_owned();
    let verified = json_of(
        cognito(
            app,
            "VerifySoftwareToken",
            &json!({"AccessToken": access, "UserCode": code_at(&secret, app.clock_now()),
                    "FriendlyDeviceName": "phone"}),
        )
        .await,
    )
    .await;
    assert_eq!(verified, json!({"Status": "SUCCESS"}));
    secret
}

/// A pool whose MFA is `mode`, its default client, and alice.
async fn pool_with_alice(app: &TestApp, mode: &str) -> (UserPool, AppClient) {
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    set_mfa(app, &pool, mode).await;
    (pool, client)
}

async fn the_pool_mfa_configuration_is_stored_and_returned(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let id = pool.id.to_string();
    let get = || async { admin(&app, "GetUserPoolMfaConfig", &json!({"UserPoolId": id})).await };
    assert_eq!(
        json_of(get().await).await,
        json!({"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": false}})
    );
    // ON without a factor to set up is refused, and changes nothing.
    assert_error(
        admin(
            &app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": id, "MfaConfiguration": "ON"}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    for bad in [
        json!({"UserPoolId": id, "MfaConfiguration": "MAYBE"}),
        json!({"UserPoolId": id, "EmailMfaConfiguration": {"Message": "no code here"}}),
        json!({"UserPoolId": id, "SmsMfaConfiguration": {"SmsAuthenticationMessage": "no code"}}),
    ] {
        assert_error(
            admin(&app, "SetUserPoolMfaConfig", &bad).await,
            400,
            "InvalidParameterException",
            "",
        )
        .await;
    }
    let wanted = json!({
        "MfaConfiguration": "OPTIONAL",
        "SoftwareTokenMfaConfiguration": {"Enabled": true},
        "EmailMfaConfiguration": {"Message": "Your code is {####}", "Subject": "Sign-in code"},
    });
    let mut request = wanted.clone();
    request["UserPoolId"] = json!(id);
    let set = json_of(admin(&app, "SetUserPoolMfaConfig", &request).await).await;
    assert_eq!(set, wanted);
    assert_eq!(json_of(get().await).await, wanted);
    // What a request leaves out is kept.
    let on = json_of(
        admin(
            &app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": id, "MfaConfiguration": "ON"}),
        )
        .await,
    )
    .await;
    assert_eq!(on["MfaConfiguration"], "ON");
    assert_eq!(on["SoftwareTokenMfaConfiguration"]["Enabled"], true);
    assert_eq!(on["EmailMfaConfiguration"], wanted["EmailMfaConfiguration"]);
    // UpdateUserPool replaces MfaConfiguration as Cognito does (left out, it is OFF); the
    // factors stay SetUserPoolMfaConfig's.
    json_of(admin(&app, "UpdateUserPool", &json!({"UserPoolId": id})).await).await;
    let after = json_of(get().await).await;
    assert_eq!(after["MfaConfiguration"], "OFF");
    assert_eq!(after["SoftwareTokenMfaConfiguration"]["Enabled"], true);
    assert_error(
        admin(
            &app,
            "GetUserPoolMfaConfig",
            &json!({"UserPoolId": "eu-west-1_Nowhere00"}),
        )
        .await,
        400,
        "ResourceNotFoundException",
        "",
    )
    .await;
    app.stop().await;
}

async fn a_verified_app_is_asked_for_at_every_password_sign_in(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_alice(&app, "OPTIONAL").await;
    // Before any app, OPTIONAL signs alice straight in; wrong verification codes are refused.
    let signed_in = password_sign_in(&app, &client, "alice").await;
    let access = signed_in["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_error(
        cognito(
            &app,
            "VerifySoftwareToken",
            &json!({"AccessToken": access, "UserCode": "123456"}),
        )
        .await,
        400,
        "SoftwareTokenMFANotFoundException",
        "Software Token MFA has not been set up",
    )
    .await;
    let associated = json_of(
        cognito(
            &app,
            "AssociateSoftwareToken",
            &json!({"AccessToken": access}),
        )
        .await,
    )
    .await;
    let secret = associated["SecretCode"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 52, "256 bits in base32");
    assert!(associated.get("Session").is_none());
    let now = app.clock_now();
    let wrong = format!(
        "{:06}",
        (code_at(&secret, now).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    assert_error(
        cognito(
            &app,
            "VerifySoftwareToken",
            &json!({"AccessToken": access, "UserCode": wrong}),
        )
        .await,
        400,
        "EnableSoftwareTokenMFAException",
        "Code mismatch",
    )
    .await;
    assert_error(
        cognito(
            &app,
            "VerifySoftwareToken",
            &json!({"AccessToken": access, "UserCode": "12345a"}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let verified = json_of(
        cognito(
            &app,
            "VerifySoftwareToken",
            &json!({"AccessToken": access, "UserCode": code_at(&secret, now),
                    "FriendlyDeviceName": "Alice's phone"}),
        )
        .await,
    )
    .await;
    assert_eq!(verified, json!({"Status": "SUCCESS"}));

    // The secret is stored sealed, never in plaintext.
    let sub = app
        .services
        .store
        .user_by_key(&pool.id, &crate::helpers::username_key("alice"))
        .await
        .unwrap()
        .unwrap()
        .sub;
    let stored = app.services.store.mfa_of(&sub).await.unwrap().unwrap();
    let sealed = stored.totp_secret.unwrap();
    assert!(!sealed.contains(&secret) && sealed.len() > secret.len());

    // Now every password sign-in stops at SOFTWARE_TOKEN_MFA.
    let challenge = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenge["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"USER_ID_FOR_SRP": "alice", "FRIENDLY_DEVICE_NAME": "Alice's phone"})
    );
    assert!(challenge.get("AuthenticationResult").is_none());
    let session = challenge["Session"].as_str().unwrap();
    // The code that verified the app was used: it is refused, and the session survives it.
    assert_error(
        answer_code(&app, &client, "alice", session, &code_at(&secret, now)).await,
        400,
        "CodeMismatchException",
        "Invalid code received for user",
    )
    .await;
    // The next step's code is within the one step of drift.
    let tokens =
        json_of(answer_code(&app, &client, "alice", session, &code_at(&secret, now + 30)).await)
            .await;
    assert!(tokens["AuthenticationResult"]["RefreshToken"].is_string());
    assert_eq!(tokens["ChallengeParameters"], json!({}));

    // Two steps ahead is outside the drift; the same code again is a replay.
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap();
    for replayed in [code_at(&secret, now + 30), code_at(&secret, now + 90)] {
        assert_error(
            answer_code(&app, &client, "alice", session, &replayed).await,
            400,
            "CodeMismatchException",
            "Invalid code received for user",
        )
        .await;
    }

    // The admin flow stops at the same challenge and is answered through the admin call.
    app.clock.advance(30);
    let admin_challenge = json_of(
        admin(
            &app,
            "AdminInitiateAuth",
            &json!({"UserPoolId": pool.id.to_string(), "ClientId": client.id.to_string(),
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .await,
    )
    .await;
    assert_eq!(admin_challenge["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    let answered = json_of(
        admin(
            &app,
            "AdminRespondToAuthChallenge",
            &json!({"UserPoolId": pool.id.to_string(), "ClientId": client.id.to_string(),
                    "ChallengeName": "SOFTWARE_TOKEN_MFA",
                    "Session": admin_challenge["Session"],
                    "ChallengeResponses": {"USERNAME": "alice",
                        "SOFTWARE_TOKEN_MFA_CODE": code_at(&secret, app.clock_now())}}),
        )
        .await,
    )
    .await;
    assert!(answered["AuthenticationResult"]["AccessToken"].is_string());
    app.stop().await;
}

async fn a_totp_code_is_accepted_once_even_in_a_burst(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_alice(&app, "OPTIONAL").await;
    let secret = enrol(&app, &client, "alice").await;
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let code = code_at(&secret, app.clock_now());
    let answers =
        join_all((0..50).map(|_| answer_code(&app, &client, "alice", &session, &code))).await;
    let mut accepted = 0;
    for response in answers {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            accepted += 1;
        } else {
            assert_eq!(status, 400);
            assert!(
                ["CodeMismatchException", "NotAuthorizedException"]
                    .contains(&body["__type"].as_str().unwrap()),
                "{body}"
            );
        }
    }
    assert_eq!(accepted, 1, "one code, one sign-in");
    app.stop().await;
}

async fn a_burst_of_wrong_codes_locks_the_account_and_the_right_code_last_is_refused(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_alice(&app, "OPTIONAL").await;
    let secret = enrol(&app, &client, "alice").await;
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let right = code_at(&secret, app.clock_now());
    let wrong: Vec<String> = (1..=50u32)
        .map(|i| {
            format!(
                "{:06}",
                (right.parse::<u32>().unwrap() + i * 7919) % 1_000_000
            )
        })
        .collect();
    let answers = join_all(
        wrong
            .iter()
            .map(|code| answer_code(&app, &client, "alice", &session, code)),
    )
    .await;
    let mut mismatches = 0;
    for response in answers {
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        match body["message"].as_str().unwrap() {
            "Invalid code received for user" => mismatches += 1,
            "Password attempts exceeded" => {}
            other => panic!("unexpected refusal {other}"),
        }
    }
    // The password step counted as one attempt; the free failures allow five in all.
    assert!(mismatches <= 4, "{mismatches} codes were checked");
    assert_error(
        answer_code(&app, &client, "alice", &session, &right).await,
        400,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
    // The password alone does not get past the lock either.
    assert_error(
        cognito(
            &app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                    "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .await,
        400,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
    app.stop().await;
}

async fn sessions_are_single_use_and_bound_to_user_client_and_time(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_alice(&app, "OPTIONAL").await;
    app.create_user(&pool, "bob", false).await;
    let (other_client, _) = app
        .services
        .create_app_client(
            &pool,
            gatehouse::manage::clients::NewAppClient {
                name: "other".into(),
                generate_secret: false,
                validity: TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings: ClientSettings::default(),
            },
        )
        .await
        .unwrap();
    let secret = enrol(&app, &client, "alice").await;
    enrol(&app, &client, "bob").await;
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let code = code_at(&secret, app.clock_now());
    let invalid = |response| {
        assert_error(
            response,
            400,
            "NotAuthorizedException",
            "Invalid session for the user.",
        )
    };
    // Another user's name, another client, another challenge name: refused, not spent.
    invalid(answer_code(&app, &client, "bob", &session, &code).await).await;
    invalid(answer_code(&app, &other_client, "alice", &session, &code).await).await;
    invalid(
        cognito(
            &app,
            "RespondToAuthChallenge",
            &json!({"ClientId": client.id.to_string(), "ChallengeName": "MFA_SETUP",
                    "Session": session, "ChallengeResponses": {"USERNAME": "alice"}}),
        )
        .await,
    )
    .await;
    invalid(cognito(&app, "AssociateSoftwareToken", &json!({"Session": session})).await).await;
    json_of(answer_code(&app, &client, "alice", &session, &code).await).await;
    // Spent: a replay of the session is refused, whatever the code.
    app.clock.advance(30);
    let next = code_at(&secret, app.clock_now());
    invalid(answer_code(&app, &client, "alice", &session, &next).await).await;
    // Three minutes later a session is dead.
    let challenge = password_sign_in(&app, &client, "alice").await;
    app.clock.advance(181);
    let late = code_at(&secret, app.clock_now());
    invalid(
        answer_code(
            &app,
            &client,
            "alice",
            challenge["Session"].as_str().unwrap(),
            &late,
        )
        .await,
    )
    .await;
    app.stop().await;
}

async fn an_on_pool_sets_up_an_app_at_sign_in(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_alice(&app, "ON").await;
    let challenge = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenge["ChallengeName"], "MFA_SETUP");
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]", "USER_ID_FOR_SRP": "alice"})
    );
    let first = challenge["Session"].as_str().unwrap().to_owned();
    let (app_ref, client_ref) = (&app, &client);
    let respond_setup = |session: String| async move {
        cognito(
            app_ref,
            "RespondToAuthChallenge",
            &json!({"ClientId": client_ref.id.to_string(), "ChallengeName": "MFA_SETUP",
                    "Session": session, "ChallengeResponses": {"USERNAME": "alice"}}),
        )
        .await
    };
    let invalid = |response| {
        assert_error(
            response,
            400,
            "NotAuthorizedException",
            "Invalid session for the user.",
        )
    };
    // Answering before an app is verified gets nothing.
    invalid(respond_setup(first.clone()).await).await;
    let associated =
        json_of(cognito(&app, "AssociateSoftwareToken", &json!({"Session": first})).await).await;
    let secret = associated["SecretCode"].as_str().unwrap().to_owned();
    let second = associated["Session"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    // The first session was spent by the association.
    invalid(cognito(&app, "AssociateSoftwareToken", &json!({"Session": first})).await).await;
    invalid(respond_setup(second.clone()).await).await;
    let verified = json_of(
        cognito(
            &app,
            "VerifySoftwareToken",
            &json!({"Session": second, "UserCode": code_at(&secret, app.clock_now()),
                    "FriendlyDeviceName": "phone"}),
        )
        .await,
    )
    .await;
    assert_eq!(verified["Status"], "SUCCESS");
    let third = verified["Session"].as_str().unwrap().to_owned();
    let tokens = json_of(respond_setup(third.clone()).await).await;
    assert!(tokens["AuthenticationResult"]["IdToken"].is_string());
    invalid(respond_setup(third).await).await;
    // From now on the app is asked for.
    let challenge = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenge["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    app.stop().await;
}

async fn preferences_show_in_get_user_and_an_operator_can_disable_the_app(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_alice(&app, "OPTIONAL").await;
    app.create_user(&pool, "bob", false).await;
    let secret = enrol(&app, &client, "alice").await;
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let tokens = json_of(
        answer_code(
            &app,
            &client,
            "alice",
            challenge["Session"].as_str().unwrap(),
            &code_at(&secret, app.clock_now()),
        )
        .await,
    )
    .await;
    let access = tokens["AuthenticationResult"]["AccessToken"].clone();
    let get_user = || async { cognito(&app, "GetUser", &json!({"AccessToken": access})).await };
    let user = json_of(get_user().await).await;
    assert_eq!(user["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA"]));
    assert!(user.get("PreferredMfaSetting").is_none());
    let prefer = json!({"AccessToken": access,
                        "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true}});
    json_of(cognito(&app, "SetUserMFAPreference", &prefer).await).await;
    assert_eq!(
        json_of(get_user().await).await["PreferredMfaSetting"],
        "SOFTWARE_TOKEN_MFA"
    );
    assert_error(
        cognito(
            &app,
            "SetUserMFAPreference",
            &json!({"AccessToken": access, "SMSMfaSettings": {"Enabled": true}}),
        )
        .await,
        400,
        "InvalidParameterException",
        "User does not have delivery config set to turn on SMS_MFA",
    )
    .await;
    // Bob has no app: he cannot turn TOTP on.
    assert_error(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "bob",
                    "SoftwareTokenMfaSettings": {"Enabled": true}}),
        )
        .await,
        400,
        "InvalidParameterException",
        "User has not verified software token mfa",
    )
    .await;
    let (app_ref, pool_ref) = (&app, &pool);
    let admin_get = |name: &'static str| async move {
        admin(
            app_ref,
            "AdminGetUser",
            &json!({"UserPoolId": pool_ref.id.to_string(), "Username": name}),
        )
        .await
    };
    let described = json_of(admin_get("alice").await).await;
    assert_eq!(
        described["UserMFASettingList"],
        json!(["SOFTWARE_TOKEN_MFA"])
    );
    assert_eq!(described["PreferredMfaSetting"], "SOFTWARE_TOKEN_MFA");
    assert!(
        json_of(admin_get("bob").await)
            .await
            .get("UserMFASettingList")
            .is_none()
    );
    // An operator turns alice's app off (she lost her phone): she signs in with the password.
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "alice",
                    "SoftwareTokenMfaSettings": {"Enabled": false}}),
        )
        .await,
    )
    .await;
    let described = json_of(admin_get("alice").await).await;
    assert!(described.get("UserMFASettingList").is_none(), "{described}");
    assert!(
        described.get("PreferredMfaSetting").is_none(),
        "{described}"
    );
    let signed_in = password_sign_in(&app, &client, "alice").await;
    assert!(signed_in["AuthenticationResult"]["AccessToken"].is_string());
    app.stop().await;
}

async fn the_login_api_returns_and_answers_the_mfa_challenge(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_alice(&app, "OPTIONAL").await;
    let secret = enrol(&app, &client, "alice").await;
    app.clock.advance(30);
    let response = app.login("acme", "alice", PASSWORD).await;
    let body = json_of(response).await;
    let token = &body["cognitoToken"];
    assert_eq!(token["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(token["ChallengeParameters"]["USER_ID_FOR_SRP"], "alice");
    let session = token["Session"].as_str().unwrap().to_owned();
    let (app_ref, session_ref) = (&app, &session);
    let answer = |code: String| async move {
        app_ref
            .respond_to_challenge(&json!({
                "TenantName": "acme", "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": session_ref,
                "ChallengeResponses": {"SOFTWARE_TOKEN_MFA_CODE": code}}))
            .await
    };
    assert_error(
        answer("12345".into()).await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let tokens = json_of(answer(code_at(&secret, app.clock_now())).await).await;
    assert!(tokens["cognitoToken"]["AuthenticationResult"]["RefreshToken"].is_string());
    assert_error(
        answer(code_at(&secret, app.clock_now() + 30)).await,
        400,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    app.stop().await;
}

/// Runs boto3_mfa.py: an ON pool, MFA_SETUP through the session, SOFTWARE_TOKEN_MFA through
/// password and SRP sign-ins, codes from pyotp at the server's clock, which the script moves
/// by printing `ADVANCE <seconds>`.
async fn boto3_signs_in_with_totp_codes_from_pyotp(backend: Db) {
    use std::io::{BufRead, BufReader, Write};
    let Some(python) = crate::helpers::python_with("boto3, pyotp, pycognito") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/boto3_mfa.py");
    let endpoint = app.address.clone();
    let now = app.clock_now().to_string();
    let clock = app.clock.clone();
    let (ok, transcript) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python)
            .arg(script)
            .args([
                &endpoint,
                crate::helpers::ADMIN_KEY_ID,
                crate::helpers::ADMIN_SECRET,
                &now,
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut transcript = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(seconds) = line.strip_prefix("ADVANCE ") {
                clock.advance(seconds.parse().unwrap());
                writeln!(stdin, "ok").unwrap();
            }
            transcript.push_str(&line);
            transcript.push('\n');
        }
        let output = child.wait_with_output().unwrap();
        transcript.push_str(&String::from_utf8_lossy(&output.stderr));
        (output.status.success(), transcript)
    })
    .await
    .unwrap();
    assert!(ok, "boto3 mfa run failed:\n{transcript}");
    assert!(
        transcript.contains("boto3 mfa: all checks passed"),
        "{transcript}"
    );
    app.stop().await;
}
