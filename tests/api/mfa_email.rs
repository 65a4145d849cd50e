//! Sent-code second factors (docs/security.md, "Multi-factor authentication"): `EMAIL_OTP`
//! (eight digits by e-mail) and `SMS_MFA` (six digits, held in the outbox), the choice
//! between factors (`SELECT_MFA_TYPE`), the pool's e-mail and SMS MFA configuration and the
//! users' preferences, on the Cognito API and the login API. Codes are read from the
//! outbox, as a user reads their mail; the boto3 run reads them from the dev outbox.

use futures_util::future::join_all;
use gatehouse::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use gatehouse::domain::message::OutboxFilter;
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::cognito_api::call as cognito;
use crate::helpers::{Options, PASSWORD, TestApp};
use crate::hostile_input::admin;
use crate::mfa::{assert_error, code_at, enrol, json_of, password_sign_in};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    the_email_and_sms_mfa_configuration_is_stored_and_returned,
    an_email_code_is_sent_and_answers_the_challenge_once,
    a_new_email_code_invalidates_the_previous_one,
    email_sessions_are_single_use_and_bound_to_user_and_client,
    a_burst_of_wrong_email_codes_locks_the_account_and_the_right_code_last_is_refused,
    a_texted_code_is_held_in_the_outbox_and_answers_sms_mfa,
    preferences_need_a_verified_destination_and_show_in_get_user,
    a_user_with_two_factors_selects_one,
    the_login_api_returns_and_answers_email_otp_and_select_mfa_type,
    boto3_signs_in_with_email_and_sms_codes_from_the_dev_outbox,
    amplify_confirms_sign_in_with_email_and_sms_codes,
);

const ALICE_EMAIL: &str = "alice@example.com";
const BOB_PHONE: &str = "+15555550123";

/// The newest message to `destination`: its subject and text.
async fn newest_message(app: &TestApp, destination: &str) -> (String, String) {
    let messages = app
        .services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 1,
        })
        .await
        .unwrap();
    let message = messages.first().expect("a message was sent");
    (
        message.content.subject.clone(),
        message.content.text.clone(),
    )
}

/// The `digits`-digit code in the newest message to `destination`.
pub(crate) async fn newest_code(app: &TestApp, destination: &str, digits: usize) -> String {
    let (_, text) = newest_message(app, destination).await;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == digits)
        .unwrap_or_else(|| panic!("no {digits}-digit code in {text:?}"))
        .to_owned()
}

async fn messages_to(app: &TestApp, destination: &str) -> usize {
    app.services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 100,
        })
        .await
        .unwrap()
        .len()
}

/// A pool with MFA `OPTIONAL`, e-mail and SMS codes as factors (custom wording) and TOTP;
/// alice has a verified e-mail address with e-mail MFA on, bob a verified phone number with
/// SMS MFA on, carol a verified address and no factor.
async fn pool_with_users(app: &TestApp) -> (UserPool, AppClient) {
    let (pool, client) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", ALICE_EMAIL), ("email_verified", "true")],
    )
    .await;
    app.create_user_with(
        &pool,
        "bob",
        PASSWORD,
        false,
        &[
            ("phone_number", BOB_PHONE),
            ("phone_number_verified", "true"),
        ],
    )
    .await;
    app.create_user_with(
        &pool,
        "carol",
        PASSWORD,
        false,
        &[("email", "carol@example.com"), ("email_verified", "true")],
    )
    .await;
    json_of(
        admin(
            app,
            "SetUserPoolMfaConfig",
            &json!({"UserPoolId": pool.id.to_string(), "MfaConfiguration": "OPTIONAL",
                    "SoftwareTokenMfaConfiguration": {"Enabled": true},
                    "EmailMfaConfiguration": {"Message": "Acme code {####}",
                                              "Subject": "Acme sign-in"},
                    "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Acme SMS {####}"}}),
        )
        .await,
    )
    .await;
    for (user, settings) in [("alice", "EmailMfaSettings"), ("bob", "SMSMfaSettings")] {
        json_of(
            admin(
                app,
                "AdminSetUserMFAPreference",
                &json!({"UserPoolId": pool.id.to_string(), "Username": user,
                        settings: {"Enabled": true}}),
            )
            .await,
        )
        .await;
    }
    (pool, client)
}

async fn answer(
    app: &TestApp,
    client: &AppClient,
    challenge: &str,
    username: &str,
    session: &str,
    code: &str,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ClientId": client.id.to_string(), "ChallengeName": challenge,
                "Session": session,
                "ChallengeResponses": {"USERNAME": username,
                                       format!("{challenge}_CODE"): code}}),
    )
    .await
}

async fn invalid_session(response: reqwest::Response) {
    assert_error(
        response,
        400,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
}

async fn the_email_and_sms_mfa_configuration_is_stored_and_returned(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let id = pool.id.to_string();
    for bad in [
        json!({"UserPoolId": id, "EmailMfaConfiguration": {"Message": "no code here"}}),
        json!({"UserPoolId": id, "SmsMfaConfiguration": {"SmsAuthenticationMessage": "none"}}),
        json!({"UserPoolId": id, "SmsMfaConfiguration": {
            "SmsAuthenticationMessage": format!("{}{{####}}", "x".repeat(140))}}),
        json!({"UserPoolId": id, "SmsMfaConfiguration": {
            "SmsConfiguration": {"SnsCallerArn": "not an arn"}}}),
    ] {
        assert_error(
            admin(&app, "SetUserPoolMfaConfig", &bad).await,
            400,
            "InvalidParameterException",
            "",
        )
        .await;
    }
    // E-mail codes alone are a factor: MFA can be turned on with them.
    let wanted = json!({
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": false},
        "EmailMfaConfiguration": {"Message": "Code {####}", "Subject": "Sign-in"},
        "SmsMfaConfiguration": {
            "SmsAuthenticationMessage": "SMS code {####}",
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sns",
                                 "ExternalId": "acme"}},
    });
    let mut request = wanted.clone();
    request["UserPoolId"] = json!(id);
    assert_eq!(
        json_of(admin(&app, "SetUserPoolMfaConfig", &request).await).await,
        wanted
    );
    assert_eq!(
        json_of(admin(&app, "GetUserPoolMfaConfig", &json!({"UserPoolId": id})).await).await,
        wanted
    );
    // Cognito's SmsMfaConfiguration is the pool's SMS wording and configuration.
    let described =
        json_of(admin(&app, "DescribeUserPool", &json!({"UserPoolId": id})).await).await;
    assert_eq!(
        described["UserPool"]["SmsAuthenticationMessage"],
        "SMS code {####}"
    );
    app.stop().await;
}

async fn an_email_code_is_sent_and_answers_the_challenge_once(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_users(&app).await;
    let challenge = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenge["ChallengeName"], "EMAIL_OTP", "{challenge}");
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
               "CODE_DELIVERY_DESTINATION": "a***@e***",
               "USER_ID_FOR_SRP": "alice"})
    );
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let (subject, text) = newest_message(&app, ALICE_EMAIL).await;
    assert_eq!(subject, "Acme sign-in");
    assert!(text.starts_with("Acme code "), "{text}");
    let code = newest_code(&app, ALICE_EMAIL, 8).await;
    // A code of the wrong shape is refused before any look-up; a wrong one is a mismatch
    // that leaves the session for another try.
    assert_error(
        answer(&app, &client, "EMAIL_OTP", "alice", &session, "123456").await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let wrong = format!("{:08}", (code.parse::<u32>().unwrap() + 1) % 100_000_000);
    assert_error(
        answer(&app, &client, "EMAIL_OTP", "alice", &session, &wrong).await,
        400,
        "CodeMismatchException",
        "Invalid code received for user",
    )
    .await;
    // The TOTP answer to an e-mail challenge is another challenge: refused.
    invalid_session(
        cognito(
            &app,
            "RespondToAuthChallenge",
            &json!({"ClientId": client.id.to_string(), "ChallengeName": "SOFTWARE_TOKEN_MFA",
                    "Session": session,
                    "ChallengeResponses": {"USERNAME": "alice",
                                           "SOFTWARE_TOKEN_MFA_CODE": "123456"}}),
        )
        .await,
    )
    .await;
    let tokens = json_of(answer(&app, &client, "EMAIL_OTP", "alice", &session, &code).await).await;
    assert!(tokens["AuthenticationResult"]["IdToken"].is_string());
    // The session is spent, and so is the code: replayed on a new sign-in it is refused.
    invalid_session(answer(&app, &client, "EMAIL_OTP", "alice", &session, &code).await).await;
    let again = password_sign_in(&app, &client, "alice").await;
    let again_session = again["Session"].as_str().unwrap();
    let fresh = newest_code(&app, ALICE_EMAIL, 8).await;
    if fresh != code {
        assert_error(
            answer(&app, &client, "EMAIL_OTP", "alice", again_session, &code).await,
            400,
            "CodeMismatchException",
            "",
        )
        .await;
    }
    // Users without a factor sign in with the password alone.
    let carol = password_sign_in(&app, &client, "carol").await;
    assert!(carol["AuthenticationResult"]["AccessToken"].is_string());
    app.stop().await;
}

async fn a_new_email_code_invalidates_the_previous_one(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_users(&app).await;
    let first = password_sign_in(&app, &client, "alice").await;
    let first_session = first["Session"].as_str().unwrap().to_owned();
    let first_code = newest_code(&app, ALICE_EMAIL, 8).await;
    let second = password_sign_in(&app, &client, "alice").await;
    let second_session = second["Session"].as_str().unwrap().to_owned();
    let second_code = newest_code(&app, ALICE_EMAIL, 8).await;
    assert_eq!(messages_to(&app, ALICE_EMAIL).await, 2);
    // The first code died with the second. (Each refusal counts toward the lockout, so
    // the test stays within its free failures.)
    if first_code != second_code {
        assert_error(
            answer(
                &app,
                &client,
                "EMAIL_OTP",
                "alice",
                &first_session,
                &first_code,
            )
            .await,
            400,
            "CodeMismatchException",
            "",
        )
        .await;
    }
    // A code answers only the session it was sent with.
    assert_error(
        answer(
            &app,
            &client,
            "EMAIL_OTP",
            "alice",
            &first_session,
            &second_code,
        )
        .await,
        400,
        "CodeMismatchException",
        "",
    )
    .await;
    json_of(
        answer(
            &app,
            &client,
            "EMAIL_OTP",
            "alice",
            &second_session,
            &second_code,
        )
        .await,
    )
    .await;
    app.stop().await;
}

async fn email_sessions_are_single_use_and_bound_to_user_and_client(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_users(&app).await;
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
    // The session lasts the client's AuthSessionValidity (three minutes by default).
    let late = password_sign_in(&app, &client, "alice").await;
    let late_code = newest_code(&app, ALICE_EMAIL, 8).await;
    app.clock.advance(181);
    invalid_session(
        answer(
            &app,
            &client,
            "EMAIL_OTP",
            "alice",
            late["Session"].as_str().unwrap(),
            &late_code,
        )
        .await,
    )
    .await;
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let code = newest_code(&app, ALICE_EMAIL, 8).await;
    invalid_session(answer(&app, &client, "EMAIL_OTP", "bob", &session, &code).await).await;
    invalid_session(answer(&app, &other_client, "EMAIL_OTP", "alice", &session, &code).await).await;
    invalid_session(answer(&app, &client, "SMS_MFA", "alice", &session, "123456").await).await;
    // A burst of the right answer: one sign-in.
    let answers =
        join_all((0..50).map(|_| answer(&app, &client, "EMAIL_OTP", "alice", &session, &code)))
            .await;
    let mut accepted = 0;
    for response in answers {
        if response.status() == 200 {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "one code, one sign-in");
    invalid_session(answer(&app, &client, "EMAIL_OTP", "alice", &session, &code).await).await;
    app.stop().await;
}

async fn a_burst_of_wrong_email_codes_locks_the_account_and_the_right_code_last_is_refused(
    backend: Db,
) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_users(&app).await;
    let challenge = password_sign_in(&app, &client, "alice").await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let right = newest_code(&app, ALICE_EMAIL, 8).await;
    let wrong: Vec<String> = (1..=60u32)
        .map(|i| {
            format!(
                "{:08}",
                (right.parse::<u32>().unwrap() + i * 7919) % 100_000_000
            )
        })
        .collect();
    let answers = join_all(
        wrong
            .iter()
            .map(|code| answer(&app, &client, "EMAIL_OTP", "alice", &session, code)),
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
        answer(&app, &client, "EMAIL_OTP", "alice", &session, &right).await,
        400,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
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

async fn a_texted_code_is_held_in_the_outbox_and_answers_sms_mfa(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, client) = pool_with_users(&app).await;
    let challenge = password_sign_in(&app, &client, "bob").await;
    assert_eq!(challenge["ChallengeName"], "SMS_MFA", "{challenge}");
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
               "CODE_DELIVERY_DESTINATION": "+*******0123",
               "USER_ID_FOR_SRP": "bob"})
    );
    let (_, text) = newest_message(&app, BOB_PHONE).await;
    assert!(text.starts_with("Acme SMS "), "{text}");
    let code = newest_code(&app, BOB_PHONE, 6).await;
    let session = challenge["Session"].as_str().unwrap();
    let tokens = json_of(answer(&app, &client, "SMS_MFA", "bob", session, &code).await).await;
    assert!(tokens["AuthenticationResult"]["AccessToken"].is_string());
    invalid_session(answer(&app, &client, "SMS_MFA", "bob", session, &code).await).await;
    app.stop().await;
}

async fn preferences_need_a_verified_destination_and_show_in_get_user(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_users(&app).await;
    let id = pool.id.to_string();
    // Bob has no e-mail address, alice no phone number: their factor cannot be turned on.
    for (user, settings, name) in [
        ("bob", "EmailMfaSettings", "EMAIL_OTP"),
        ("alice", "SMSMfaSettings", "SMS_MFA"),
    ] {
        assert_error(
            admin(
                &app,
                "AdminSetUserMFAPreference",
                &json!({"UserPoolId": id, "Username": user, settings: {"Enabled": true}}),
            )
            .await,
            400,
            "InvalidParameterException",
            &format!("User does not have delivery config set to turn on {name}"),
        )
        .await;
    }
    // Only one factor may be preferred.
    assert_error(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": id, "Username": "alice",
                    "EmailMfaSettings": {"PreferredMfa": true},
                    "SoftwareTokenMfaSettings": {"PreferredMfa": true}}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let described = |name: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            json_of(
                admin(
                    app,
                    "AdminGetUser",
                    &json!({"UserPoolId": id, "Username": name}),
                )
                .await,
            )
            .await
        }
    };
    let alice = described("alice").await;
    assert_eq!(alice["UserMFASettingList"], json!(["EMAIL_OTP"]));
    assert!(alice.get("PreferredMfaSetting").is_none());
    assert_eq!(
        described("bob").await["UserMFASettingList"],
        json!(["SMS_MFA"])
    );
    // Carol turns e-mail codes on herself, preferred; GetUser shows it, and her next
    // sign-in asks for one.
    let signed_in = password_sign_in(&app, &client, "carol").await;
    let access = signed_in["AuthenticationResult"]["AccessToken"].clone();
    json_of(
        cognito(
            &app,
            "SetUserMFAPreference",
            &json!({"AccessToken": access,
                    "EmailMfaSettings": {"Enabled": true, "PreferredMfa": true}}),
        )
        .await,
    )
    .await;
    let user = json_of(cognito(&app, "GetUser", &json!({"AccessToken": access})).await).await;
    assert_eq!(user["UserMFASettingList"], json!(["EMAIL_OTP"]));
    assert_eq!(user["PreferredMfaSetting"], "EMAIL_OTP");
    assert_eq!(
        password_sign_in(&app, &client, "carol").await["ChallengeName"],
        "EMAIL_OTP"
    );
    // An operator turns alice's e-mail codes off: she signs in with the password.
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": id, "Username": "alice",
                    "EmailMfaSettings": {"Enabled": false}}),
        )
        .await,
    )
    .await;
    assert!(described("alice").await.get("UserMFASettingList").is_none());
    assert!(
        password_sign_in(&app, &client, "alice").await["AuthenticationResult"]["IdToken"]
            .is_string()
    );
    app.stop().await;
}

async fn a_user_with_two_factors_selects_one(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_users(&app).await;
    // Alice turns email codes off to enrol an app without a challenge, then on again.
    let set_email = |enabled: bool| {
        let (app, id) = (&app, pool.id.to_string());
        async move {
            json_of(
                admin(
                    app,
                    "AdminSetUserMFAPreference",
                    &json!({"UserPoolId": id, "Username": "alice",
                            "EmailMfaSettings": {"Enabled": enabled}}),
                )
                .await,
            )
            .await
        }
    };
    set_email(false).await;
    let secret = enrol(&app, &client, "alice").await;
    set_email(true).await;
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    assert_eq!(challenge["ChallengeName"], "SELECT_MFA_TYPE", "{challenge}");
    assert_eq!(
        challenge["ChallengeParameters"],
        json!({"MFAS_CAN_CHOOSE": "[\"SOFTWARE_TOKEN_MFA\",\"EMAIL_OTP\"]",
               "USER_ID_FOR_SRP": "alice"})
    );
    let select_session = challenge["Session"].as_str().unwrap().to_owned();
    let select = |answer: &'static str, session: String| {
        let app = &app;
        let client = client.id.to_string();
        async move {
            cognito(
                app,
                "RespondToAuthChallenge",
                &json!({"ClientId": client, "ChallengeName": "SELECT_MFA_TYPE",
                        "Session": session,
                        "ChallengeResponses": {"USERNAME": "alice", "ANSWER": answer}}),
            )
            .await
        }
    };
    // A factor she does not have, or no factor at all, is refused and leaves the session.
    assert_error(
        select("SMS_MFA", select_session.clone()).await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        select("PASSKEY", select_session.clone()).await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let before = messages_to(&app, ALICE_EMAIL).await;
    let chosen = json_of(select("EMAIL_OTP", select_session.clone()).await).await;
    assert_eq!(chosen["ChallengeName"], "EMAIL_OTP", "{chosen}");
    assert_eq!(
        chosen["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"],
        "EMAIL"
    );
    assert_eq!(messages_to(&app, ALICE_EMAIL).await, before + 1);
    let email_session = chosen["Session"].as_str().unwrap().to_owned();
    assert_ne!(email_session, select_session);
    // The choosing session is spent.
    invalid_session(select("SOFTWARE_TOKEN_MFA", select_session).await).await;
    let code = newest_code(&app, ALICE_EMAIL, 8).await;
    json_of(answer(&app, &client, "EMAIL_OTP", "alice", &email_session, &code).await).await;
    // The other way: the app.
    app.clock.advance(30);
    let challenge = password_sign_in(&app, &client, "alice").await;
    let chosen = json_of(
        select(
            "SOFTWARE_TOKEN_MFA",
            challenge["Session"].as_str().unwrap().to_owned(),
        )
        .await,
    )
    .await;
    assert_eq!(chosen["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(
        chosen["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"],
        "phone"
    );
    json_of(
        answer(
            &app,
            &client,
            "SOFTWARE_TOKEN_MFA",
            "alice",
            chosen["Session"].as_str().unwrap(),
            &code_at(&secret, app.clock_now()),
        )
        .await,
    )
    .await;
    // With a preferred factor there is nothing to choose.
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "alice",
                    "EmailMfaSettings": {"PreferredMfa": true}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        password_sign_in(&app, &client, "alice").await["ChallengeName"],
        "EMAIL_OTP"
    );
    app.stop().await;
}

async fn the_login_api_returns_and_answers_email_otp_and_select_mfa_type(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = pool_with_users(&app).await;
    // The curl of docs/api.md: POST /Login, then POST /RespondToAuthChallenge.
    let body = json_of(app.login("acme", "alice", PASSWORD).await).await;
    let token = &body["cognitoToken"];
    assert_eq!(token["ChallengeName"], "EMAIL_OTP", "{body}");
    assert_eq!(
        token["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"],
        "a***@e***"
    );
    let session = token["Session"].as_str().unwrap().to_owned();
    let code = newest_code(&app, ALICE_EMAIL, 8).await;
    let respond = |body: Value| {
        let app = &app;
        async move { app.respond_to_challenge(&body).await }
    };
    assert_error(
        respond(
            json!({"TenantName": "acme", "ChallengeName": "EMAIL_OTP", "Session": session,
                       "ChallengeResponses": {"EMAIL_OTP_CODE": "12345"}}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    let tokens = json_of(
        respond(
            json!({"TenantName": "acme", "ChallengeName": "EMAIL_OTP", "Session": session,
                       "ChallengeResponses": {"EMAIL_OTP_CODE": code}}),
        )
        .await,
    )
    .await;
    assert!(tokens["cognitoToken"]["AuthenticationResult"]["RefreshToken"].is_string());
    invalid_session(
        respond(
            json!({"TenantName": "acme", "ChallengeName": "EMAIL_OTP", "Session": session,
                       "ChallengeResponses": {"EMAIL_OTP_CODE": code}}),
        )
        .await,
    )
    .await;
    // Bob gets SMS_MFA there too; with an app enrolled as well he chooses.
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "bob",
                    "SMSMfaSettings": {"Enabled": false}}),
        )
        .await,
    )
    .await;
    enrol(&app, &client, "bob").await;
    json_of(
        admin(
            &app,
            "AdminSetUserMFAPreference",
            &json!({"UserPoolId": pool.id.to_string(), "Username": "bob",
                    "SMSMfaSettings": {"Enabled": true}}),
        )
        .await,
    )
    .await;
    let body = json_of(app.login("acme", "bob", PASSWORD).await).await;
    let token = &body["cognitoToken"];
    assert_eq!(token["ChallengeName"], "SELECT_MFA_TYPE", "{body}");
    assert_eq!(
        token["ChallengeParameters"]["MFAS_CAN_CHOOSE"],
        "[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]"
    );
    let chosen = json_of(
        respond(
            json!({"TenantName": "acme", "ChallengeName": "SELECT_MFA_TYPE",
                       "Session": token["Session"],
                       "ChallengeResponses": {"ANSWER": "SMS_MFA"}}),
        )
        .await,
    )
    .await;
    let chosen = &chosen["cognitoToken"];
    assert_eq!(chosen["ChallengeName"], "SMS_MFA", "{chosen}");
    let code = newest_code(&app, BOB_PHONE, 6).await;
    let tokens = json_of(
        respond(json!({"TenantName": "acme", "ChallengeName": "SMS_MFA",
                       "Session": chosen["Session"],
                       "ChallengeResponses": {"SMS_MFA_CODE": code}}))
        .await,
    )
    .await;
    assert!(tokens["cognitoToken"]["AuthenticationResult"]["AccessToken"].is_string());
    app.stop().await;
}

/// Runs boto3_mfa_email.py: EMAIL_OTP through InitiateAuth and AdminInitiateAuth, SMS_MFA,
/// and SELECT_MFA_TYPE, codes read from the dev outbox.
async fn boto3_signs_in_with_email_and_sms_codes_from_the_dev_outbox(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn_with(
        backend,
        Options {
            dev_outbox: true,
            ..Options::default()
        },
    )
    .await;
    let mut command = std::process::Command::new(python);
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/boto3_mfa_email.py"
        ))
        .args([
            &app.address,
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ]);
    crate::helpers::run_client(command, "boto3 mfa email: all checks passed").await;
    app.stop().await;
}

/// Runs tests/clients/js/mfa_email_amplify.mjs: Amplify JS v6 `signIn` stops at
/// CONFIRM_SIGN_IN_WITH_EMAIL_CODE and CONFIRM_SIGN_IN_WITH_SMS_CODE, and `confirmSignIn`
/// with the code from the dev outbox signs the user in.
async fn amplify_confirms_sign_in_with_email_and_sms_codes(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn_with(
        backend,
        Options {
            dev_outbox: true,
            ..Options::default()
        },
    )
    .await;
    let (pool, client) = pool_with_users(&app).await;
    let mut node = std::process::Command::new("node");
    node.arg("mfa_email_amplify.mjs")
        .args([&app.address, &pool.id.to_string(), client.id.as_str()])
        .current_dir(dir);
    crate::helpers::run_client(node, "amplify mfa email: all checks passed").await;
    // Two sign-ins each, two codes each: a wrong answer sends nothing more.
    for destination in [ALICE_EMAIL, BOB_PHONE] {
        assert_eq!(messages_to(&app, destination).await, 2, "{destination}");
    }
    app.stop().await;
}
