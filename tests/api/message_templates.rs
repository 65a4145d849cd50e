//! Per-pool message templates, as Cognito has them: `VerificationMessageTemplate` (with its
//! older names), `SmsAuthenticationMessage` and `AdminCreateUserConfig.InviteMessageTemplate`,
//! validated as Cognito validates them, returned by `DescribeUserPool`, taken from seed files,
//! and used for every message: sign-up, password reset, attribute verification and
//! invitation, delivered through a real SMTP server (Python's aiosmtpd).

use std::time::Duration;

use gatehouse::auth::messages::OutboxMessage;
use gatehouse::domain::message::OutboxFilter;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::account_recovery::newest_code;
use crate::helpers::{Options, PASSWORD, TestApp, field, python_with};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::outbox::{SmtpSink, free_port};
use crate::support::Db;

on_both_backends!(
    templates_are_validated_stored_and_described_as_cognito_does,
    a_pools_templates_reach_its_users_through_smtp,
    seed_files_set_templates,
    boto3_sets_templates_and_verifies_a_held_address,
);

/// Asserts a Cognito JSON error: status, envelope, `__type` and the message.
async fn assert_error(response: reqwest::Response, type_: &str, message: &str) {
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

fn constraint(member: &str, rule: &str) -> String {
    format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: {rule}")
}

const EMAIL_PATTERN: &str = "Member must satisfy regular expression pattern: \
     [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{####\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*";

async fn describe(app: &TestApp, pool_id: &str) -> Value {
    let response = admin(app, "DescribeUserPool", &json!({"UserPoolId": pool_id})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserPool"].clone()
}

async fn create_pool(app: &TestApp, body: Value) -> String {
    let response = admin(app, "CreateUserPool", &body).await;
    let status = response.status();
    let created: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{created}");
    created["UserPool"]["Id"].as_str().unwrap().to_owned()
}

async fn templates_are_validated_stored_and_described_as_cognito_does(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let verification = json!({
        "EmailMessage": "<p>Your Acme code is <b>{####}</b></p>",
        "EmailSubject": "Your Acme code",
        "SmsMessage": "Acme code {####}",
        "EmailMessageByLink": "Confirm at {##this link##}",
        "EmailSubjectByLink": "Confirm your Acme address",
        "DefaultEmailOption": "CONFIRM_WITH_LINK",
    });
    let invitation = json!({
        "EmailMessage": "Hi {username}, your password is {####}",
        "EmailSubject": "Welcome to Acme",
        "SMSMessage": "Acme: {username} {####}",
    });
    let pool_id = create_pool(
        &app,
        json!({"PoolName": "acme", "VerificationMessageTemplate": verification,
               "SmsAuthenticationMessage": "Acme sign-in code {####}",
               "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true,
                                         "InviteMessageTemplate": invitation},
               "AutoVerifiedAttributes": ["email"],
               "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}}),
    )
    .await;
    let pool = describe(&app, &pool_id).await;
    assert_eq!(pool["VerificationMessageTemplate"], verification);
    // The older names of the same settings, kept in step as Cognito keeps them.
    assert_eq!(
        pool["EmailVerificationMessage"],
        "<p>Your Acme code is <b>{####}</b></p>"
    );
    assert_eq!(pool["EmailVerificationSubject"], "Your Acme code");
    assert_eq!(pool["SmsVerificationMessage"], "Acme code {####}");
    assert_eq!(pool["SmsAuthenticationMessage"], "Acme sign-in code {####}");
    assert_eq!(
        pool["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": true, "InviteMessageTemplate": invitation})
    );
    assert_eq!(pool["AutoVerifiedAttributes"], json!(["email"]));
    assert_eq!(
        pool["UserAttributeUpdateSettings"],
        json!({"AttributesRequireVerificationBeforeUpdate": ["email"]})
    );

    // Given under the older names only, they are the template's members too.
    let legacy = create_pool(
        &app,
        json!({"PoolName": "legacy", "EmailVerificationMessage": "Code: {####}",
               "EmailVerificationSubject": "Code", "SmsVerificationMessage": "SMS {####}"}),
    )
    .await;
    assert_eq!(
        describe(&app, &legacy).await["VerificationMessageTemplate"],
        json!({"EmailMessage": "Code: {####}", "EmailSubject": "Code",
               "SmsMessage": "SMS {####}", "DefaultEmailOption": "CONFIRM_WITH_CODE"})
    );

    // UpdateUserPool resets what it leaves out to Cognito's defaults, templates included.
    let response = admin(&app, "UpdateUserPool", &json!({"UserPoolId": pool_id})).await;
    assert_eq!(response.status(), 200);
    let reset = describe(&app, &pool_id).await;
    assert_eq!(
        reset["VerificationMessageTemplate"],
        json!({"DefaultEmailOption": "CONFIRM_WITH_CODE"})
    );
    for member in [
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "SmsVerificationMessage",
        "SmsAuthenticationMessage",
        "AutoVerifiedAttributes",
    ] {
        assert!(reset.get(member).is_none(), "{member}: {reset}");
    }
    assert_eq!(
        reset["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": false})
    );
    assert_eq!(
        reset["UserAttributeUpdateSettings"],
        json!({"AttributesRequireVerificationBeforeUpdate": []})
    );
    // And sets what it is given.
    let response = admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "VerificationMessageTemplate": {"SmsMessage": "New {####}"}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        describe(&app, &pool_id).await["SmsVerificationMessage"],
        "New {####}"
    );

    // Every bad template is refused, on both operations, with Cognito's wording.
    let refusals = [
        (
            json!({"VerificationMessageTemplate": {"EmailMessage": "Hello there"}}),
            constraint("verificationMessageTemplate.emailMessage", EMAIL_PATTERN),
        ),
        (
            json!({"VerificationMessageTemplate": {"EmailMessage": "{###}"}}),
            constraint(
                "verificationMessageTemplate.emailMessage",
                "Member must have length greater than or equal to 6",
            ),
        ),
        (
            json!({"VerificationMessageTemplate": {"SmsMessage": format!("{{####}}{}", "x".repeat(135))}}),
            constraint(
                "verificationMessageTemplate.smsMessage",
                "Member must have length less than or equal to 140",
            ),
        ),
        (
            json!({"VerificationMessageTemplate": {"EmailSubject": "Hi\r\nBcc: x@example.com"}}),
            constraint(
                "verificationMessageTemplate.emailSubject",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s]+",
            ),
        ),
        (
            json!({"VerificationMessageTemplate": {"EmailMessageByLink": "EMAIL CODE {####}"}}),
            "The message is invalid.".to_owned(),
        ),
        (
            json!({"VerificationMessageTemplate": {"DefaultEmailOption": "BY_PIGEON"}}),
            constraint(
                "verificationMessageTemplate.defaultEmailOption",
                "Member must satisfy enum value set: [CONFIRM_WITH_LINK, CONFIRM_WITH_CODE]",
            ),
        ),
        (
            json!({"VerificationMessageTemplate": {"EmailMessage": "One {####}"},
                   "EmailVerificationMessage": "Two {####}"}),
            "EmailVerificationMessage and VerificationMessageTemplate.EmailMessage must be the \
             same when both are given"
                .to_owned(),
        ),
        (
            json!({"SmsVerificationMessage": "no code"}),
            constraint(
                "smsVerificationMessage",
                "Member must satisfy regular expression pattern: .*\\{####\\}.*",
            ),
        ),
        (
            json!({"SmsAuthenticationMessage": "Sign in\n{####}"}),
            constraint(
                "smsAuthenticationMessage",
                "Member must satisfy regular expression pattern: .*\\{####\\}.*",
            ),
        ),
        (
            json!({"AdminCreateUserConfig": {"InviteMessageTemplate": {"SMSMessage": "Password {####}"}}}),
            constraint(
                "adminCreateUserConfig.inviteMessageTemplate.sMSMessage",
                "Member must contain the {username} and {####} placeholders",
            ),
        ),
        (
            json!({"AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailMessage": "Hello {username}"}}}),
            constraint(
                "adminCreateUserConfig.inviteMessageTemplate.emailMessage",
                EMAIL_PATTERN,
            ),
        ),
        (
            json!({"AutoVerifiedAttributes": ["name"]}),
            constraint(
                "autoVerifiedAttributes",
                "Member must satisfy constraint: [Member must satisfy enum value set: \
                 [phone_number, email]]",
            ),
        ),
        (
            json!({"AutoVerifiedAttributes": ["phone_number"],
                   "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}}),
            "Attribute email in AttributesRequireVerificationBeforeUpdate must also be in \
             AutoVerifiedAttributes"
                .to_owned(),
        ),
    ];
    for (members, message) in refusals {
        let mut create = members.clone();
        create["PoolName"] = json!("refused");
        assert_error(
            admin(&app, "CreateUserPool", &create).await,
            "InvalidParameterException",
            &message,
        )
        .await;
        let mut update = members;
        update["UserPoolId"] = json!(legacy);
        assert_error(
            admin(&app, "UpdateUserPool", &update).await,
            "InvalidParameterException",
            &message,
        )
        .await;
    }
    // Nothing refused was stored.
    assert_eq!(
        describe(&app, &legacy).await["VerificationMessageTemplate"]["EmailMessage"],
        "Code: {####}"
    );
    app.stop().await;
}

/// Undoes quoted-printable's soft line breaks and `=3D`, the only escapes Gatehouse's ASCII
/// messages need, so the raw SMTP data can be searched.
fn unfold(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

async fn messages_to(app: &TestApp, destination: &str) -> Vec<OutboxMessage> {
    app.services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 100,
        })
        .await
        .unwrap()
}

async fn a_pools_templates_reach_its_users_through_smtp(backend: Db) {
    if python_with("aiosmtpd").is_none() {
        return;
    }
    let port = free_port();
    let sink = SmtpSink::start(port).await.unwrap();
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            ..Options::default()
        },
    )
    .await;
    let pool_id = create_pool(
        &app,
        json!({
            "PoolName": "acme",
            "AutoVerifiedAttributes": ["email", "phone_number"],
            "VerificationMessageTemplate": {
                "EmailSubject": "Your Acme code",
                "EmailMessage": "<h1>Acme</h1><p>Hello {username}, your code is <b>{####}</b>.</p>",
                "SmsMessage": "Acme code {####}",
            },
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false, "InviteMessageTemplate": {
                "EmailSubject": "Welcome to Acme",
                "EmailMessage": "<p>Hi {username}, sign in with <code>{####}</code> at \
                                 <a href=\"https://acme.example/login?u={username}\">Acme</a>.</p>",
            }},
        }),
    )
    .await;
    let client = crate::attribute_update_settings::password_client(&app, &pool_id).await;
    // A name with characters that mean something in HTML.
    let name = "tom&jerry<3";
    let email = "tom@example.com";

    // Sign-up: the verification template, the name escaped in HTML and plain in text.
    let response = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": name, "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": email}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let code = newest_code(&app, email).await;
    let sent = messages_to(&app, email).await;
    assert_eq!(sent[0].template, "SIGN_UP_CODE");
    assert_eq!(sent[0].content.subject, "Your Acme code");
    assert_eq!(
        sent[0].content.text,
        format!("Acme\nHello tom&jerry<3, your code is {code}.")
    );
    assert_eq!(
        sent[0].content.html,
        format!(
            "<!DOCTYPE html><html><body><h1>Acme</h1><p>Hello tom&amp;jerry&lt;3, your code is \
             <b>{code}</b>.</p></body></html>"
        )
    );
    let confirmed = cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client, "Username": name, "ConfirmationCode": code}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);

    // A text message: the pool's SMS template.
    let response = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "pat", "Password": PASSWORD,
                "UserAttributes": [{"Name": "phone_number", "Value": "+15555550123"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let sms = messages_to(&app, "+15555550123").await;
    assert_eq!(sms[0].medium, "SMS");
    let sms_code = newest_code(&app, "+15555550123").await;
    assert_eq!(sms[0].content.text, format!("Acme code {sms_code}"));

    // Password reset: the verification template too, as Cognito does.
    let response = cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": name}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let reset = messages_to(&app, email).await;
    assert_eq!(reset[0].template, "RESET_PASSWORD_CODE");
    let reset_code = newest_code(&app, email).await;
    assert_eq!(
        reset[0].content.text,
        format!("Acme\nHello tom&jerry<3, your code is {reset_code}.")
    );

    // Attribute verification: a changed address is sent the template.
    let signed_in = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let signed_in: Value = signed_in.json().await.unwrap();
    let access = field(&signed_in["AuthenticationResult"], "AccessToken");
    let new_email = "tom.cat@example.com";
    let response = cognito(
        &app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access,
                "UserAttributes": [{"Name": "email", "Value": new_email}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let verify = messages_to(&app, new_email).await;
    assert_eq!(verify[0].template, "VERIFY_ATTRIBUTE_CODE");
    assert_eq!(verify[0].content.subject, "Your Acme code");
    let verify_code = newest_code(&app, new_email).await;
    assert!(
        verify[0]
            .content
            .html
            .contains(&format!("your code is <b>{verify_code}</b>")),
        "{:?}",
        verify[0].content.html
    );

    // Invitation: its own template, with the name and the temporary password; the link's
    // address is kept in the text part.
    let response = admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "ann",
                "UserAttributes": [{"Name": "email", "Value": "ann@example.com"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let invitation = messages_to(&app, "ann@example.com").await;
    assert_eq!(invitation[0].template, "INVITATION");
    assert_eq!(invitation[0].content.subject, "Welcome to Acme");
    let text = &invitation[0].content.text;
    let password = text
        .strip_prefix("Hi ann, sign in with ")
        .and_then(|rest| rest.strip_suffix(" at Acme (https://acme.example/login?u=ann)."))
        .unwrap_or_else(|| panic!("{text:?}"));
    assert!(
        invitation[0]
            .content
            .html
            .contains("<a href=\"https://acme.example/login?u=ann\">Acme</a>"),
        "{:?}",
        invitation[0].content.html
    );
    // The temporary password in the invitation is the one that signs in.
    let first = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                "AuthParameters": {"USERNAME": "ann", "PASSWORD": password}}),
    )
    .await;
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["ChallengeName"], "NEW_PASSWORD_REQUIRED", "{first}");

    // Every e-mail left through the SMTP server, as the pool's template made it.
    let started = std::time::Instant::now();
    let received = loop {
        let received = sink.messages();
        if received.len() >= 4 {
            break received;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not delivered: {received:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(received.len(), 4, "{received:?}");
    let data_to = |to: &str| -> Vec<String> {
        received
            .iter()
            .filter(|m| m["rcpt_tos"] == json!([to]))
            .map(|m| unfold(m["data"].as_str().unwrap()))
            .collect()
    };
    let to_tom = data_to(email);
    assert_eq!(to_tom.len(), 2);
    for data in &to_tom {
        assert!(data.contains("Subject: Your Acme code"), "{data}");
        assert!(data.contains("multipart/alternative"), "{data}");
        assert!(data.contains("Hello tom&amp;jerry&lt;3"), "{data}");
        assert!(data.contains("Hello tom&jerry<3, your code is"), "{data}");
    }
    assert!(to_tom.iter().any(|d| d.contains(&code)));
    assert!(to_tom.iter().any(|d| d.contains(&reset_code)));
    let to_new = data_to(new_email);
    assert!(to_new[0].contains(&verify_code), "{}", to_new[0]);
    let to_ann = data_to("ann@example.com");
    assert!(
        to_ann[0].contains("Subject: Welcome to Acme"),
        "{}",
        to_ann[0]
    );
    assert!(to_ann[0].contains(password), "{}", to_ann[0]);
    app.stop().await;
}

async fn seed_files_set_templates(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let seed = |template: Value| {
        SeedFile::parse(
            &json!({"Pools": [{
                "Name": "seeded",
                "VerificationMessageTemplate": template,
                "SmsAuthenticationMessage": "Seeded sign-in {####}",
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false,
                    "InviteMessageTemplate": {"EmailSubject": "Seeded welcome",
                                              "EmailMessage": "{username}: {####}"}},
                "AutoVerifiedAttributes": ["email"],
                "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            }]})
            .to_string(),
        )
        .unwrap()
    };
    let template = json!({"EmailSubject": "Seeded code", "EmailMessage": "Seeded {####}"});
    let report = app
        .services
        .apply_seed(seed(template.clone()))
        .await
        .unwrap();
    let pool_id = report.pools[0].pool_id.clone();
    let described = describe(&app, &pool_id).await;
    let mut expected = template.clone();
    expected["DefaultEmailOption"] = json!("CONFIRM_WITH_CODE");
    assert_eq!(described["VerificationMessageTemplate"], expected);
    assert_eq!(
        described["SmsAuthenticationMessage"],
        "Seeded sign-in {####}"
    );
    assert_eq!(
        described["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailSubject"],
        "Seeded welcome"
    );
    assert_eq!(described["AutoVerifiedAttributes"], json!(["email"]));
    assert_eq!(
        described["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"],
        json!(["email"])
    );
    // Applied again with another wording, the pool takes it.
    let changed = json!({"EmailMessage": "Changed {####}"});
    app.services.apply_seed(seed(changed)).await.unwrap();
    assert_eq!(
        describe(&app, &pool_id).await["VerificationMessageTemplate"]["EmailMessage"],
        "Changed {####}"
    );
    // A template Cognito would refuse is refused, naming the pool and the member.
    let error = app
        .services
        .apply_seed(seed(json!({"EmailMessage": "no code here"})))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "seed file, pool \"seeded\": verificationMessageTemplate.emailMessage: {EMAIL_PATTERN}"
        )
    );
    let bad_invitation = SeedFile::parse(
        &json!({"Pools": [{"Name": "seeded", "AdminCreateUserConfig":
            {"InviteMessageTemplate": {"SMSMessage": "only {####}"}}}]})
        .to_string(),
    )
    .unwrap();
    let error = app
        .services
        .apply_seed(bad_invitation)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("sMSMessage"), "{error}");
    assert_eq!(
        describe(&app, &pool_id).await["VerificationMessageTemplate"]["EmailMessage"],
        "Changed {####}"
    );
    app.stop().await;
}

/// tests/clients/boto3_templates.py: templates and verification settings as boto3 sends them
/// and reads them back, the messages they make, and a held e-mail change.
async fn boto3_sets_templates_and_verifies_a_held_address(backend: Db) {
    let Some(python) = python_with("boto3") else {
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
            "/tests/clients/boto3_templates.py"
        ))
        .args([
            app.address.as_str(),
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ]);
    crate::helpers::run_client(command, "boto3 templates: all checks passed").await;
    app.stop().await;
}
