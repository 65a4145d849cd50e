//! `AdminCreateUser`'s invitations: a generated temporary password that meets the pool's
//! policy, delivered through the outbox and usable for exactly the first sign-in;
//! `MessageAction` `SUPPRESS` and `RESEND`; `DesiredDeliveryMediums`.

use gatehouse::domain::message::OutboxFilter;
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    an_invitation_mails_a_generated_password_that_signs_in_once,
    suppress_sends_nothing_and_resend_replaces_the_password,
    delivery_mediums_are_validated_and_followed,
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

const EMAIL: &str = "newbie@example.com";
const PHONE: &str = "+15555550123";

fn messages_to(destination: &str) -> OutboxFilter {
    OutboxFilter {
        pool: None,
        destination: Some(destination.into()),
        limit: 100,
    }
}

/// The temporary password in an invitation: what follows "temporary password is ".
fn password_in(text: &str) -> String {
    text.split_once("temporary password is ")
        .and_then(|(_, rest)| rest.strip_suffix('.'))
        .unwrap_or_else(|| panic!("no password in {text:?}"))
        .to_owned()
}

async fn create(app: &TestApp, pool: &UserPool, extra: Value) -> reqwest::Response {
    let mut body = json!({"UserPoolId": pool.id.as_str(), "Username": "newbie",
                          "UserAttributes": [{"Name": "email", "Value": EMAIL},
                                             {"Name": "phone_number", "Value": PHONE}]});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    admin(app, "AdminCreateUser", &body).await
}

async fn initiate(app: &TestApp, client: &str, password: &str) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                "AuthParameters": {"USERNAME": "newbie", "PASSWORD": password}}),
    )
    .await
}

async fn assert_new_password_required(app: &TestApp, client: &str, password: &str) {
    let response = initiate(app, client, password).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ChallengeName"], "NEW_PASSWORD_REQUIRED", "{body}");
}

async fn an_invitation_mails_a_generated_password_that_signs_in_once(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let response = create(&app, &pool, json!({})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD",
        "{body}"
    );

    // Unasked, the invitation goes to the e-mail address only, in Cognito's words.
    assert!(
        app.services
            .outbox(&messages_to(PHONE))
            .await
            .unwrap()
            .is_empty()
    );
    let sent = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].template, "INVITATION");
    assert_eq!(sent[0].medium, "EMAIL");
    assert_eq!(sent[0].content.subject, "Your temporary password");
    assert!(
        sent[0]
            .content
            .text
            .starts_with("Your username is newbie and temporary password is "),
        "{}",
        sent[0].content.text
    );
    let temporary = password_in(&sent[0].content.text);
    assert!(
        pool.settings.password_policy.check(&temporary).is_ok(),
        "{temporary}"
    );
    assert!(sent[0].content.html.contains("newbie"));

    // The mailed password signs in to the new-password challenge, and only it does.
    let wrong = initiate(&app, client.id.as_str(), "Not-The-Password-1").await;
    assert_error(
        wrong,
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    let response = initiate(&app, client.id.as_str(), &temporary).await;
    assert_eq!(response.status(), 200);
    let challenge: Value = response.json().await.unwrap();
    assert_eq!(
        challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED",
        "{challenge}"
    );
    let answered = cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": client.id.as_str(),
                "Session": challenge["Session"],
                "ChallengeResponses": {"USERNAME": "newbie", "NEW_PASSWORD": "Chosen-By-Newbie-4"}}),
    )
    .await;
    assert_eq!(answered.status(), 200);
    let tokens: Value = answered.json().await.unwrap();
    assert!(
        tokens["AuthenticationResult"]["AccessToken"].is_string(),
        "{tokens}"
    );

    // The temporary password is spent: it no longer signs in.
    let spent = initiate(&app, client.id.as_str(), &temporary).await;
    assert_error(
        spent,
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;

    // Two invitations never share a password.
    let second = admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "other",
                "UserAttributes": [{"Name": "email", "Value": "other@example.com"}]}),
    )
    .await;
    assert_eq!(second.status(), 200);
    let other = app
        .services
        .outbox(&messages_to("other@example.com"))
        .await
        .unwrap();
    assert_ne!(password_in(&other[0].content.text), temporary);
}

async fn suppress_sends_nothing_and_resend_replaces_the_password(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let client = client.id.as_str();

    // RESEND to nobody: Cognito's UserNotFoundException.
    let unknown = create(&app, &pool, json!({"MessageAction": "RESEND"})).await;
    assert_error(
        unknown,
        400,
        "UserNotFoundException",
        "User does not exist.",
    )
    .await;

    let suppressed = create(
        &app,
        &pool,
        json!({"MessageAction": "SUPPRESS", "TemporaryPassword": "Chosen-Temporary-1"}),
    )
    .await;
    assert_eq!(suppressed.status(), 200);
    assert!(
        app.services
            .outbox(&messages_to(EMAIL))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.services
            .outbox(&messages_to(PHONE))
            .await
            .unwrap()
            .is_empty()
    );
    assert_new_password_required(&app, client, "Chosen-Temporary-1").await;

    // RESEND: a new generated password, mailed; the old one is refused.
    let resent = create(&app, &pool, json!({"MessageAction": "RESEND"})).await;
    assert_eq!(resent.status(), 200);
    let sent = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    assert_eq!(sent.len(), 1);
    let renewed = password_in(&sent[0].content.text);
    assert_ne!(renewed, "Chosen-Temporary-1");
    let old = initiate(&app, client, "Chosen-Temporary-1").await;
    assert_error(
        old,
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    assert_new_password_required(&app, client, &renewed).await;

    // A second RESEND replaces that one too.
    let again = create(&app, &pool, json!({"MessageAction": "RESEND"})).await;
    assert_eq!(again.status(), 200);
    let sent = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    assert_eq!(sent.len(), 2);
    let newest = password_in(&sent[0].content.text);
    assert_ne!(newest, renewed);
    let old = initiate(&app, client, &renewed).await;
    assert_error(
        old,
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    assert_new_password_required(&app, client, &newest).await;

    // A user who has left FORCE_CHANGE_PASSWORD cannot be re-invited.
    app.create_user(&pool, "settled", false).await;
    let settled = admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "settled", "MessageAction": "RESEND"}),
    )
    .await;
    assert_error(
        settled,
        400,
        "UnsupportedUserStateException",
        "Resend not possible. User is not in FORCE_CHANGE_PASSWORD state",
    )
    .await;

    // Creating an existing user without RESEND is still a conflict.
    let duplicate = create(&app, &pool, json!({"MessageAction": "SUPPRESS"})).await;
    assert_error(
        duplicate,
        400,
        "UsernameExistsException",
        "User already exists",
    )
    .await;
}

async fn delivery_mediums_are_validated_and_followed(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;

    let bad = create(&app, &pool, json!({"DesiredDeliveryMediums": ["PIGEON"]})).await;
    assert_error(bad, 400, "InvalidParameterException", "").await;
    let bad = create(&app, &pool, json!({"MessageAction": "SHOUT"})).await;
    assert_error(bad, 400, "InvalidParameterException", "").await;
    let bad = create(&app, &pool, json!({"DesiredDeliveryMediums": "EMAIL"})).await;
    assert_error(bad, 400, "InvalidParameterException", "").await;

    // Asking for a medium the user cannot be reached by is refused, and creates no one.
    let unreachable = admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "mailonly",
                "UserAttributes": [{"Name": "email", "Value": "mailonly@example.com"}],
                "DesiredDeliveryMediums": ["SMS"]}),
    )
    .await;
    assert_error(
        unreachable,
        400,
        "InvalidParameterException",
        "No phone_number provided but desired delivery medium was SMS",
    )
    .await;
    let lookup = admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "mailonly"}),
    )
    .await;
    assert_error(lookup, 400, "UserNotFoundException", "").await;

    // Both mediums: the same password by e-mail and by SMS (held in the outbox).
    let both = create(
        &app,
        &pool,
        json!({"DesiredDeliveryMediums": ["SMS", "EMAIL", "SMS"]}),
    )
    .await;
    assert_eq!(both.status(), 200);
    let mail = app.services.outbox(&messages_to(EMAIL)).await.unwrap();
    let sms = app.services.outbox(&messages_to(PHONE)).await.unwrap();
    assert_eq!((mail.len(), sms.len()), (1, 1));
    assert_eq!(sms[0].medium, "SMS");
    let temporary = password_in(&sms[0].content.text);
    assert_eq!(password_in(&mail[0].content.text), temporary);
    assert_new_password_required(&app, client.id.as_str(), &temporary).await;
}
