//! Pool and client configuration as Cognito has it (issue #13, item 3): `UpdateUserPool`,
//! `UpdateUserPoolClient` and `DeleteUserPoolClient`, every setting returned as it was set,
//! a member left out of an update reset to its default, Cognito's validation and errors,
//! unknown members refused; and boto3 and the AWS SDK for JavaScript v3 doing the same.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, jwt_part};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    update_user_pool_sets_every_member_and_resets_what_it_leaves_out,
    deletion_protection_refuses_delete_user_pool_until_it_is_turned_off,
    pool_settings_are_validated_as_cognito_validates_them,
    unknown_members_are_refused_not_dropped,
    client_settings_round_trip_and_reset_on_update,
    client_settings_are_validated_as_cognito_validates_them,
    token_validity_units_set_issued_token_lifetimes,
    auth_session_validity_governs_challenge_sessions,
    delete_user_pool_client_ends_its_sessions,
    boto3_provisions_a_pool_and_client_as_infrastructure_code,
    javascript_sdk_updates_and_deletes_clients,
    last_modified_dates_follow_every_change,
    client_attribute_lists_name_only_attributes_of_the_schema,
);

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up";
const TOKENS_LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:tokens";
const SNS_ROLE: &str = "arn:aws:iam::123456789012:role/cognito-sns";

/// A Cognito API error: its status, the AWS JSON envelope, `__type` and (unless empty) the
/// message.
async fn assert_error(response: reqwest::Response, status: u16, type_: &str, message: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
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

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn describe_pool(app: &TestApp, pool_id: &str) -> Value {
    ok(admin(app, "DescribeUserPool", &json!({"UserPoolId": pool_id})).await).await["UserPool"]
        .clone()
}

async fn describe_client(app: &TestApp, pool_id: &str, client_id: &str) -> Value {
    ok(admin(
        app,
        "DescribeUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientId": client_id}),
    )
    .await)
    .await["UserPoolClient"]
        .clone()
}

/// A pool configured the way infrastructure code configures one.
fn full_pool_config() -> Value {
    json!({
        "Policies": {"PasswordPolicy": {
            "MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": true,
            "RequireNumbers": true, "RequireSymbols": false, "TemporaryPasswordValidityDays": 3}},
        "DeletionProtection": "ACTIVE",
        "MfaConfiguration": "OPTIONAL",
        "LambdaConfig": {"PreSignUp": LAMBDA, "PreTokenGeneration": TOKENS_LAMBDA},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": 3},
        "AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"}]},
        "EmailConfiguration": {"EmailSendingAccount": "DEVELOPER",
            "From": "Acme <no-reply@acme.example>",
            "ReplyToEmailAddress": "help@acme.example",
            "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/acme.example"},
        "SmsConfiguration": {"SnsCallerArn": SNS_ROLE, "ExternalId": "acme", "SnsRegion": "us-east-1"},
        "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true,
            "DeviceOnlyRememberedOnUserPrompt": false},
        "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    })
}

fn with(mut base: Value, extra: &Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

async fn update_user_pool_sets_every_member_and_resets_what_it_leaves_out(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let created = ok(admin(
        &app,
        "CreateUserPool",
        &with(full_pool_config(), &json!({"PoolName": "provisioned"})),
    )
    .await)
    .await["UserPool"]
        .clone();
    let pool_id = created["Id"].as_str().unwrap().to_owned();

    // What was set comes back, from CreateUserPool and from DescribeUserPool alike.
    for pool in [created, describe_pool(&app, &pool_id).await] {
        assert_eq!(
            pool["Policies"]["PasswordPolicy"],
            json!({"MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": true,
                   "RequireNumbers": true, "RequireSymbols": false,
                   "TemporaryPasswordValidityDays": 3})
        );
        assert_eq!(pool["DeletionProtection"], "ACTIVE");
        assert_eq!(pool["MfaConfiguration"], "OPTIONAL");
        // A bare PreTokenGeneration is also returned in its versioned form, as Cognito does.
        assert_eq!(
            pool["LambdaConfig"],
            json!({"PreSignUp": LAMBDA, "PreTokenGeneration": TOKENS_LAMBDA,
                   "PreTokenGenerationConfig": {"LambdaVersion": "V1_0", "LambdaArn": TOKENS_LAMBDA}})
        );
        assert_eq!(
            pool["AdminCreateUserConfig"],
            json!({"AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": 3})
        );
        assert_eq!(
            pool["AccountRecoverySetting"],
            full_pool_config()["AccountRecoverySetting"]
        );
        assert_eq!(
            pool["EmailConfiguration"],
            full_pool_config()["EmailConfiguration"]
        );
        assert_eq!(
            pool["SmsConfiguration"],
            full_pool_config()["SmsConfiguration"]
        );
        assert_eq!(
            pool["DeviceConfiguration"],
            full_pool_config()["DeviceConfiguration"]
        );
        assert_eq!(
            pool["UserPoolAddOns"],
            json!({"AdvancedSecurityMode": "AUDIT"})
        );
    }

    // The password policy and self-registration setting act, not just read back.
    let id = gatehouse::domain::ids::UserPoolId::parse(&pool_id).unwrap();
    let stored = app.services.pool_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.settings.password_policy.minimum_length, 12);
    assert!(!stored.settings.admin_create_user_config.allows_sign_up());
    // Gatehouse's own lockout thresholds are not Cognito members: an update keeps them.
    let mut lockout = stored.settings.clone();
    lockout.lockout.free_failures = 9;
    app.services
        .replace_pool_settings(&stored, lockout)
        .await
        .unwrap();

    // An update naming only some members resets every other one to Cognito's default.
    ok(admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "MfaConfiguration": "ON",
                "LambdaConfig": {"PostConfirmation": LAMBDA}}),
    )
    .await)
    .await;
    let pool = describe_pool(&app, &pool_id).await;
    assert_eq!(pool["MfaConfiguration"], "ON");
    assert_eq!(pool["LambdaConfig"], json!({"PostConfirmation": LAMBDA}));
    assert_eq!(pool["DeletionProtection"], "INACTIVE");
    assert_eq!(
        pool["Policies"]["PasswordPolicy"],
        json!({"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
               "RequireNumbers": true, "RequireSymbols": true,
               "TemporaryPasswordValidityDays": 7})
    );
    assert_eq!(
        pool["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": false})
    );
    assert_eq!(
        pool["EmailConfiguration"],
        json!({"EmailSendingAccount": "DEVELOPER"})
    );
    for gone in [
        "AccountRecoverySetting",
        "SmsConfiguration",
        "DeviceConfiguration",
        "UserPoolAddOns",
    ] {
        assert!(pool.get(gone).is_none(), "{gone} reset: {pool}");
    }
    let stored = app.services.pool_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.settings.lockout.free_failures, 9);
    assert!(stored.settings.admin_create_user_config.allows_sign_up());

    // The whole configuration again, as infrastructure code re-applies it.
    ok(admin(
        &app,
        "UpdateUserPool",
        &with(full_pool_config(), &json!({"UserPoolId": pool_id})),
    )
    .await)
    .await;
    let pool = describe_pool(&app, &pool_id).await;
    assert_eq!(pool["DeletionProtection"], "ACTIVE");
    assert_eq!(
        pool["SmsConfiguration"],
        full_pool_config()["SmsConfiguration"]
    );
    app.stop().await;
}

async fn deletion_protection_refuses_delete_user_pool_until_it_is_turned_off(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool_id = ok(admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "protected", "DeletionProtection": "ACTIVE"}),
    )
    .await)
    .await["UserPool"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = json!({"UserPoolId": pool_id});
    assert_error(
        admin(&app, "DeleteUserPool", &delete).await,
        400,
        "InvalidParameterException",
        "The user pool cannot be deleted because deletion protection is activated. \
         Deletion protection must be inactivated first.",
    )
    .await;
    assert_eq!(
        describe_pool(&app, &pool_id).await["DeletionProtection"],
        "ACTIVE"
    );
    ok(admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "DeletionProtection": "INACTIVE"}),
    )
    .await)
    .await;
    ok(admin(&app, "DeleteUserPool", &delete).await).await;
    assert_error(
        admin(&app, "DescribeUserPool", &delete).await,
        400,
        "ResourceNotFoundException",
        &format!("User pool {pool_id} does not exist."),
    )
    .await;
    app.stop().await;
}

async fn pool_settings_are_validated_as_cognito_validates_them(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let before = describe_pool(&app, pool.id.as_str()).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"LambdaConfig": {"PreSignUp": "not-an-arn"}}),
            "1 validation error detected: Value at 'lambdaConfig.preSignUp' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: \
             arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
        ),
        (
            json!({"LambdaConfig": {"PreTokenGenerationConfig":
                {"LambdaVersion": "V9_0", "LambdaArn": TOKENS_LAMBDA}}}),
            "1 validation error detected: Value at \
             'lambdaConfig.preTokenGenerationConfig.lambdaVersion' failed to satisfy \
             constraint: Member must satisfy enum value set: [V1_0, V2_0, V3_0]",
        ),
        (
            json!({"DeletionProtection": "SOMETIMES"}),
            "1 validation error detected: Value at 'DeletionProtection' failed to satisfy \
             constraint: Member must satisfy enum value set: [ACTIVE, INACTIVE]",
        ),
        (
            json!({"MfaConfiguration": "off"}),
            "1 validation error detected: Value at 'MfaConfiguration' failed to satisfy \
             constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
        ),
        (
            json!({"AccountRecoverySetting": {"RecoveryMechanisms": [
                {"Priority": 1, "Name": "admin_only"}, {"Priority": 2, "Name": "verified_email"}]}}),
            "admin_only cannot be combined with another recovery mechanism",
        ),
        (
            json!({"AccountRecoverySetting": {"RecoveryMechanisms": [
                {"Priority": 3, "Name": "verified_email"}]}}),
            "1 validation error detected: Value at \
             'accountRecoverySetting.recoveryMechanisms.priority' failed to satisfy \
             constraint: Member must have value between 1 and 2",
        ),
        (
            json!({"SmsConfiguration": {"ExternalId": "x"}}),
            "1 validation error detected: missing field `SnsCallerArn`",
        ),
        (
            json!({"Policies": {"PasswordPolicy": {"MinimumLength": 5}}}),
            "MinimumLength must be between 6 and 99",
        ),
        (
            json!({"AdminCreateUserConfig": {"UnusedAccountValidityDays": 366}}),
            "1 validation error detected: Value at \
             'adminCreateUserConfig.unusedAccountValidityDays' failed to satisfy constraint: \
             Member must have value less than or equal to 365",
        ),
        (
            json!({"EmailConfiguration": {"EmailSendingAccount": "SES"}}),
            "1 validation error detected: Value at 'emailConfiguration.emailSendingAccount' \
             failed to satisfy constraint: Member must satisfy enum value set: \
             [COGNITO_DEFAULT, DEVELOPER]",
        ),
        (
            json!({"UserPoolAddOns": {"AdvancedSecurityMode": "MAX"}}),
            "1 validation error detected: Value at 'UserPoolAddOns.AdvancedSecurityMode' \
             failed to satisfy constraint: Member must satisfy enum value set: [OFF, AUDIT, \
             ENFORCED]",
        ),
    ];
    for (members, message) in cases {
        let body = with(json!({"UserPoolId": pool.id.as_str()}), &members);
        assert_error(
            admin(&app, "UpdateUserPool", &body).await,
            400,
            "InvalidParameterException",
            message,
        )
        .await;
        // CreateUserPool reads the same members the same way.
        let body = with(json!({"PoolName": "refused"}), &members);
        assert_error(
            admin(&app, "CreateUserPool", &body).await,
            400,
            "InvalidParameterException",
            message,
        )
        .await;
    }
    // Nothing refused changed anything or created anything.
    assert_eq!(describe_pool(&app, pool.id.as_str()).await, before);
    assert_eq!(app.services.list_pools().await.unwrap().len(), 1);
    app.stop().await;
}

async fn unknown_members_are_refused_not_dropped(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool_id = pool.id.as_str();
    let client_id = client.id.to_string();
    let cases = [
        (
            "UpdateUserPool",
            json!({"UserPoolId": pool_id, "PasswordPolcy": {}}),
            "PasswordPolcy",
        ),
        (
            "UpdateUserPool",
            json!({"UserPoolId": pool_id, "Policies": {"PasswordPolicy": {"MinLength": 9}}}),
            "Policies.PasswordPolicy.MinLength",
        ),
        (
            "CreateUserPool",
            json!({"PoolName": "x", "DeviceConfiguration": {"Remember": true}}),
            "DeviceConfiguration.Remember",
        ),
        (
            "CreateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientName": "x", "CallbackUrls": ["https://a.example"]}),
            "CallbackUrls",
        ),
        (
            "UpdateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientId": client_id,
                   "TokenValidityUnits": {"AccessTokens": "hours"}}),
            "TokenValidityUnits.AccessTokens",
        ),
        (
            "UpdateUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientId": client_id, "GenerateSecret": true}),
            "GenerateSecret",
        ),
        (
            "DeleteUserPoolClient",
            json!({"UserPoolId": pool_id, "ClientId": client_id, "Force": true}),
            "Force",
        ),
    ];
    for (operation, body, member) in cases {
        assert_error(
            admin(&app, operation, &body).await,
            400,
            "InvalidParameterException",
            &format!("1 validation error detected: Unknown parameter in input: \"{member}\""),
        )
        .await;
    }
    // The client is untouched and still there.
    let described = describe_client(&app, pool_id, &client_id).await;
    assert_eq!(described["ClientName"], client.name.as_str());
    app.stop().await;
}

fn oauth_client(pool_id: &str) -> Value {
    json!({
        "UserPoolId": pool_id,
        "ClientName": "web",
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "CallbackURLs": ["https://app.example/callback", "http://localhost:3000/callback"],
        "LogoutURLs": ["https://app.example/signed-out"],
        "DefaultRedirectURI": "https://app.example/callback",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "AllowedOAuthFlowsUserPoolClient": true,
        "SupportedIdentityProviders": ["COGNITO"],
        "AccessTokenValidity": 30,
        "IdTokenValidity": 2,
        "RefreshTokenValidity": 90,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
        "ReadAttributes": ["email", "given_name"],
        "WriteAttributes": ["given_name"],
        "EnableTokenRevocation": false,
        "AuthSessionValidity": 10,
        "PreventUserExistenceErrors": "LEGACY",
        "EnablePropagateAdditionalUserContextData": true,
    })
}

async fn client_settings_round_trip_and_reset_on_update(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool_id = pool.id.as_str();
    let created = ok(admin(&app, "CreateUserPoolClient", &oauth_client(pool_id)).await).await
        ["UserPoolClient"]
        .clone();
    let client_id = created["ClientId"].as_str().unwrap().to_owned();
    let sent = oauth_client(pool_id);
    for client in [created, describe_client(&app, pool_id, &client_id).await] {
        for member in [
            "CallbackURLs",
            "LogoutURLs",
            "DefaultRedirectURI",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
            "SupportedIdentityProviders",
            "AccessTokenValidity",
            "IdTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "ReadAttributes",
            "WriteAttributes",
            "EnableTokenRevocation",
            "AuthSessionValidity",
            "PreventUserExistenceErrors",
            "ExplicitAuthFlows",
            "EnablePropagateAdditionalUserContextData",
        ] {
            assert_eq!(client[member], sent[member], "{member}: {client}");
        }
    }

    // An update that names only the name and one flow: everything else back to default.
    let updated = ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientId": client_id, "ClientName": "web-2",
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    let described = describe_client(&app, pool_id, &client_id).await;
    assert_eq!(updated, described);
    assert_eq!(described["ClientName"], "web-2");
    assert_eq!(
        described["ExplicitAuthFlows"],
        json!(["ALLOW_USER_SRP_AUTH"])
    );
    for gone in [
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "SupportedIdentityProviders",
        "ReadAttributes",
        "WriteAttributes",
    ] {
        assert!(described.get(gone).is_none(), "{gone} reset: {described}");
    }
    assert_eq!(described["AllowedOAuthFlowsUserPoolClient"], false);
    assert_eq!(described["AuthSessionValidity"], 3);
    assert_eq!(described["EnableTokenRevocation"], true);
    assert_eq!(described["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(described["EnablePropagateAdditionalUserContextData"], false);
    assert_eq!(described["AccessTokenValidity"], 1);
    assert_eq!(described["IdTokenValidity"], 1);
    assert_eq!(described["RefreshTokenValidity"], 30);
    assert_eq!(
        described["TokenValidityUnits"],
        json!({"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"})
    );
    app.stop().await;
}

async fn client_settings_are_validated_as_cognito_validates_them(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool_id = pool.id.as_str();
    let base = json!({"UserPoolId": pool_id, "ClientId": client.id.to_string(),
                      "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
                      "AllowedOAuthScopes": ["openid"],
                      "CallbackURLs": ["https://app.example/cb"]});
    let invalid = "InvalidParameterException";
    let flow = "InvalidOAuthFlowException";
    let cases: Vec<(Value, &str, String)> = vec![
        (
            json!({"CallbackURLs": ["http://app.example/cb"]}),
            invalid,
            "Invalid CallbackURLs: HTTPS is required over HTTP except for http://localhost".into(),
        ),
        (
            json!({"CallbackURLs": ["https://app.example/cb#top"]}),
            invalid,
            "Invalid CallbackURLs: URLs cannot contain a fragment".into(),
        ),
        (
            json!({"LogoutURLs": ["/signed-out"]}),
            invalid,
            "Invalid LogoutURLs: URLs must be absolute, with a scheme (https://...)".into(),
        ),
        (
            json!({"DefaultRedirectURI": "https://elsewhere.example/cb"}),
            invalid,
            "DefaultRedirectURI must be one of the CallbackURLs".into(),
        ),
        (
            json!({"AllowedOAuthFlows": ["token"]}),
            invalid,
            "1 validation error detected: Value at 'allowedOAuthFlows' failed to satisfy \
             constraint: Member must satisfy constraint: [Member must satisfy enum value set: \
             [implicit, client_credentials, code]]"
                .into(),
        ),
        (
            json!({"CallbackURLs": []}),
            flow,
            "CallbackUrls can not be empty when code flow or implicit flow is selected".into(),
        ),
        (
            json!({"AllowedOAuthFlows": ["code", "client_credentials"]}),
            flow,
            "client_credentials flow can not be selected along with code flow or implicit flow."
                .into(),
        ),
        (
            json!({"AllowedOAuthFlows": ["client_credentials"]}),
            flow,
            "client_credentials flow can not be selected if client does not have a client \
             secret."
                .into(),
        ),
        (
            json!({"AllowedOAuthFlows": []}),
            flow,
            "AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.".into(),
        ),
        (
            json!({"AllowedOAuthScopes": ["openid", "orders/read"]}),
            "ScopeDoesNotExistException",
            "Invalid scope requested: orders/read".into(),
        ),
        (
            json!({"SupportedIdentityProviders": ["COGNITO", "Google"]}),
            invalid,
            format!("The provider Google does not exist for User Pool {pool_id}"),
        ),
        (
            json!({"AccessTokenValidity": 0}),
            invalid,
            "1 validation error detected: Value at 'accessTokenValidity' failed to satisfy \
             constraint: Member must have value greater than or equal to 1"
                .into(),
        ),
        (
            json!({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}}),
            invalid,
            "Invalid range for token validity.".into(),
        ),
        (
            json!({"IdTokenValidity": 4, "TokenValidityUnits": {"IdToken": "minutes"}}),
            invalid,
            "Invalid range for token validity.".into(),
        ),
        (
            json!({"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}}),
            invalid,
            "Invalid range for token validity.".into(),
        ),
        (
            json!({"AuthSessionValidity": 2}),
            invalid,
            "1 validation error detected: Value at 'authSessionValidity' failed to satisfy \
             constraint: Member must have value greater than or equal to 3"
                .into(),
        ),
        (
            json!({"AuthSessionValidity": 16}),
            invalid,
            "1 validation error detected: Value at 'authSessionValidity' failed to satisfy \
             constraint: Member must have value less than or equal to 15"
                .into(),
        ),
    ];
    let before = describe_client(&app, pool_id, client.id.as_str()).await;
    for (members, type_, message) in cases {
        let body = with(base.clone(), &members);
        assert_error(
            admin(&app, "UpdateUserPoolClient", &body).await,
            400,
            type_,
            &message,
        )
        .await;
        let mut create = with(body, &json!({"ClientName": "new"}));
        create.as_object_mut().unwrap().remove("ClientId");
        assert_error(
            admin(&app, "CreateUserPoolClient", &create).await,
            400,
            type_,
            &message,
        )
        .await;
    }
    assert_eq!(
        describe_client(&app, pool_id, client.id.as_str()).await,
        before
    );
    assert_eq!(app.services.list_clients(&pool).await.unwrap().len(), 1);

    // client_credentials is fine on a client with a secret (and no other flow).
    let created = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "machine", "GenerateSecret": true,
                "AllowedOAuthFlowsUserPoolClient": true,
                "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["openid"]}),
    )
    .await)
    .await;
    assert_eq!(
        created["UserPoolClient"]["AllowedOAuthFlows"],
        json!(["client_credentials"])
    );
    app.stop().await;
}

async fn sign_in(app: &TestApp, client_id: &str, username: &str, password: &str) -> Value {
    ok(cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
    )
    .await)
    .await
}

async fn token_validity_units_set_issued_token_lifetimes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let client_id = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientName": "short",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "AccessTokenValidity": 600, "IdTokenValidity": 20, "RefreshTokenValidity": 2,
                "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "minutes",
                                       "RefreshToken": "hours"}}),
    )
    .await)
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let result = sign_in(&app, &client_id, "alice", PASSWORD).await["AuthenticationResult"].clone();
    assert_eq!(result["ExpiresIn"], 600);
    let lifetime = |token: &Value| {
        let claims = jwt_part(token.as_str().unwrap(), 1);
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
    };
    assert_eq!(lifetime(&result["AccessToken"]), 600);
    assert_eq!(lifetime(&result["IdToken"]), 20 * 60);
    // The refresh token lasts two hours: just before, it refreshes; after, it does not.
    let refresh = json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                         "AuthParameters": {"REFRESH_TOKEN": result["RefreshToken"]}});
    app.clock.advance(2 * 3600 - 1);
    ok(cognito(&app, "InitiateAuth", &refresh).await).await;
    app.clock.advance(2);
    let refused = cognito(&app, "InitiateAuth", &refresh).await;
    assert_eq!(refused.status(), 400);
    app.stop().await;
}

async fn auth_session_validity_governs_challenge_sessions(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let client_id = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientName": "slow",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "AuthSessionValidity": 5}),
    )
    .await)
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let temporary = "Temporary-Pass-1";
    let answer = |session: &Value, username: &str| {
        json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": client_id,
               "Session": session,
               "ChallengeResponses": {"USERNAME": username, "NEW_PASSWORD": "Chosen-Password-2"}})
    };
    // Five minutes less a second after the challenge: still answerable (the default would
    // have ended it at three).
    app.create_user_with(&pool, "alice", temporary, true, &[])
        .await;
    let challenge = sign_in(&app, &client_id, "alice", temporary).await;
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    app.clock.advance(5 * 60 - 1);
    let answered = ok(cognito(
        &app,
        "RespondToAuthChallenge",
        &answer(&challenge["Session"], "alice"),
    )
    .await)
    .await;
    assert!(answered["AuthenticationResult"]["AccessToken"].is_string());
    // Five minutes on: over.
    app.create_user_with(&pool, "bob", temporary, true, &[])
        .await;
    let challenge = sign_in(&app, &client_id, "bob", temporary).await;
    app.clock.advance(5 * 60);
    assert_error(
        cognito(
            &app,
            "RespondToAuthChallenge",
            &answer(&challenge["Session"], "bob"),
        )
        .await,
        400,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    app.stop().await;
}

async fn delete_user_pool_client_ends_its_sessions(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, default_client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let pool_id = pool.id.as_str();
    let client_id = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "doomed",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await)
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let tokens = sign_in(&app, &client_id, "alice", PASSWORD).await["AuthenticationResult"].clone();
    let other =
        sign_in(&app, default_client.id.as_str(), "alice", PASSWORD).await["AuthenticationResult"]
            .clone();

    let delete = json!({"UserPoolId": pool_id, "ClientId": client_id});
    assert_eq!(
        ok(admin(&app, "DeleteUserPoolClient", &delete).await).await,
        json!({})
    );

    let not_found = "User pool client does not exist.";
    assert_error(
        admin(&app, "DescribeUserPoolClient", &delete).await,
        400,
        "ResourceNotFoundException",
        not_found,
    )
    .await;
    assert_error(
        admin(&app, "DeleteUserPoolClient", &delete).await,
        400,
        "ResourceNotFoundException",
        not_found,
    )
    .await;
    // Its refresh token and access token are dead; the other client's session is not.
    let refreshed = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]}}),
    )
    .await;
    assert_eq!(refreshed.status(), 400);
    let get_user = |token: &Value| json!({"AccessToken": token});
    assert_eq!(
        cognito(&app, "GetUser", &get_user(&tokens["AccessToken"]))
            .await
            .status(),
        400
    );
    ok(cognito(&app, "GetUser", &get_user(&other["AccessToken"])).await).await;
    let listed = ok(admin(
        &app,
        "ListUserPoolClients",
        &json!({"UserPoolId": pool_id, "MaxResults": 60}),
    )
    .await)
    .await;
    assert_eq!(
        listed["UserPoolClients"].as_array().unwrap().len(),
        1,
        "{listed}"
    );

    // Fifty deletions of one client at once: exactly one deletes it, the rest find nothing.
    let racing = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "raced"}),
    )
    .await)
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"UserPoolId": pool_id, "ClientId": racing});
    let attempts = (0..50).map(|_| async {
        let response = admin(&app, "DeleteUserPoolClient", &body).await;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        (status, answer)
    });
    let answers = futures_util::future::join_all(attempts).await;
    assert_eq!(
        answers.iter().filter(|(status, _)| *status == 200).count(),
        1
    );
    for (status, answer) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 400);
        assert_eq!(answer["__type"], "ResourceNotFoundException", "{answer}");
    }

    // A client of another pool is not found through this one.
    let (_, elsewhere_client) = app.create_pool("elsewhere").await;
    assert_error(
        admin(
            &app,
            "DeleteUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientId": elsewhere_client.id.as_str()}),
        )
        .await,
        400,
        "ResourceNotFoundException",
        not_found,
    )
    .await;
    assert_error(
        admin(
            &app,
            "DeleteUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientId": "bad client!"}),
        )
        .await,
        400,
        "InvalidParameterException",
        "",
    )
    .await;
    app.stop().await;
}

async fn boto3_provisions_a_pool_and_client_as_infrastructure_code(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/boto3_pool_config.py"
    );
    let mut command = Command::new(python);
    command.arg(script).args([
        app.address.as_str(),
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(command, "boto3 pool config: all checks passed").await;
    // The script deleted what it made.
    assert!(app.services.list_pools().await.unwrap().is_empty());
    app.stop().await;
}

async fn javascript_sdk_updates_and_deletes_clients(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let mut node = Command::new("node");
    node.arg("pool_config_sdk.mjs")
        .args([
            app.address.as_str(),
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
            pool.id.as_str(),
        ])
        .current_dir(dir);
    crate::helpers::run_client(node, "js pool config: all checks passed").await;
    app.stop().await;
}

/// `CreationDate` stays; `LastModifiedDate` (pools, clients) and `UserLastModifiedDate` move
/// with every change, as Cognito dates them. The clock is moved, not waited for.
async fn last_modified_dates_follow_every_change(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let created =
        ok(admin(&app, "CreateUserPool", &json!({"PoolName": "dated"})).await).await["UserPool"]
            .clone();
    let pool_id = created["Id"].as_str().unwrap().to_owned();
    let born = created["CreationDate"].as_i64().unwrap();
    assert_eq!(created["LastModifiedDate"].as_i64(), Some(born));
    let dates = |pool: &Value| {
        (
            pool["CreationDate"].as_i64().unwrap(),
            pool["LastModifiedDate"].as_i64().unwrap(),
        )
    };
    let mut step = 0;
    for (operation, body) in [
        (
            "UpdateUserPool",
            json!({"UserPoolId": pool_id, "DeletionProtection": "INACTIVE"}),
        ),
        (
            "AddCustomAttributes",
            json!({"UserPoolId": pool_id, "CustomAttributes": [{"Name": "team", "AttributeDataType": "String"}]}),
        ),
        (
            "SetUserPoolMfaConfig",
            json!({"UserPoolId": pool_id, "MfaConfiguration": "OFF"}),
        ),
    ] {
        step += 60;
        app.clock.advance(60);
        ok(admin(&app, operation, &body).await).await;
        let described = describe_pool(&app, &pool_id).await;
        assert_eq!(dates(&described), (born, born + step), "{operation}");
        let listed = ok(admin(&app, "ListUserPools", &json!({"MaxResults": 60})).await).await;
        let entry = listed["UserPools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Id"] == pool_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            dates(&entry),
            (born, born + step),
            "ListUserPools after {operation}"
        );
    }

    let client = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "web"}),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    let client_id = client["ClientId"].as_str().unwrap().to_owned();
    let client_born = client["CreationDate"].as_i64().unwrap();
    assert_eq!(client["LastModifiedDate"].as_i64(), Some(client_born));
    app.clock.advance(60);
    let updated = ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientId": client_id, "AuthSessionValidity": 5}),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    assert_eq!(updated["CreationDate"].as_i64(), Some(client_born));
    assert_eq!(updated["LastModifiedDate"].as_i64(), Some(client_born + 60));
    let described = describe_client(&app, &pool_id, &client_id).await;
    assert_eq!(
        described["LastModifiedDate"].as_i64(),
        Some(client_born + 60)
    );

    // A user: every change moves UserLastModifiedDate, nothing moves UserCreateDate.
    ok(admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "dana", "MessageAction": "SUPPRESS"}),
    )
    .await)
    .await;
    let user = || async {
        ok(admin(
            &app,
            "AdminGetUser",
            &json!({"UserPoolId": pool_id, "Username": "dana"}),
        )
        .await)
        .await
    };
    let user_born = user().await["UserCreateDate"].as_i64().unwrap();
    let mut step = 0;
    for (operation, body) in [
        (
            "AdminUpdateUserAttributes",
            json!({"UserPoolId": pool_id, "Username": "dana",
                   "UserAttributes": [{"Name": "custom:team", "Value": "blue"}]}),
        ),
        (
            "AdminDeleteUserAttributes",
            json!({"UserPoolId": pool_id, "Username": "dana", "UserAttributeNames": ["custom:team"]}),
        ),
        (
            "AdminDisableUser",
            json!({"UserPoolId": pool_id, "Username": "dana"}),
        ),
        (
            "AdminEnableUser",
            json!({"UserPoolId": pool_id, "Username": "dana"}),
        ),
        (
            "AdminSetUserPassword",
            json!({"UserPoolId": pool_id, "Username": "dana", "Password": PASSWORD, "Permanent": true}),
        ),
    ] {
        step += 60;
        app.clock.advance(60);
        ok(admin(&app, operation, &body).await).await;
        let shown = user().await;
        assert_eq!(
            shown["UserCreateDate"].as_i64(),
            Some(user_born),
            "{operation}"
        );
        assert_eq!(
            shown["UserLastModifiedDate"].as_i64(),
            Some(user_born + step),
            "{operation}"
        );
    }
    app.stop().await;
}

/// `ReadAttributes` and `WriteAttributes` may name only attributes the pool's schema has:
/// Cognito refuses others when the client is created or updated. A custom attribute added
/// with `AddCustomAttributes` may be listed from then on, and the lists are enforced on
/// `UpdateUserAttributes`, `GetUser` and the ID token.
async fn client_attribute_lists_name_only_attributes_of_the_schema(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool_id = ok(admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "lists", "Schema": [
            {"Name": "team", "AttributeDataType": "String", "Mutable": true}]}),
    )
    .await)
    .await["UserPool"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let create = |lists: Value| {
        let mut body = json!({"UserPoolId": pool_id, "ClientName": "web",
                              "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]});
        for (member, list) in lists.as_object().unwrap() {
            body[member] = list.clone();
        }
        body
    };
    for (lists, message) in [
        (
            json!({"ReadAttributes": ["email", "custom:colour"]}),
            "Invalid read attributes specified while creating a client",
        ),
        (
            json!({"WriteAttributes": ["custom:colour"]}),
            "Invalid write attributes specified while creating a client",
        ),
    ] {
        assert_error(
            admin(&app, "CreateUserPoolClient", &create(lists)).await,
            400,
            "InvalidParameterException",
            message,
        )
        .await;
    }
    ok(admin(
        &app,
        "AddCustomAttributes",
        &json!({"UserPoolId": pool_id, "CustomAttributes": [
            {"Name": "colour", "AttributeDataType": "String", "Mutable": true}]}),
    )
    .await)
    .await;
    let client = ok(admin(
        &app,
        "CreateUserPoolClient",
        &create(json!({"ReadAttributes": ["email", "custom:colour"],
                       "WriteAttributes": ["custom:colour"]})),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    let client_id = client["ClientId"].as_str().unwrap().to_owned();
    assert_eq!(client["ReadAttributes"], json!(["email", "custom:colour"]));
    assert_error(
        admin(
            &app,
            "UpdateUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientId": client_id,
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
                    "ReadAttributes": ["email", "custom:colour", "custom:shape"]}),
        )
        .await,
        400,
        "InvalidParameterException",
        "Invalid read attributes specified while updating a client",
    )
    .await;

    // Enforced: the user writes and sees only what the lists name.
    ok(admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "lee", "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": "lee@example.com"},
                                   {"Name": "custom:team", "Value": "red"}]}),
    )
    .await)
    .await;
    ok(admin(
        &app,
        "AdminSetUserPassword",
        &json!({"UserPoolId": pool_id, "Username": "lee", "Password": PASSWORD, "Permanent": true}),
    )
    .await)
    .await;
    let signed_in = ok(cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                "AuthParameters": {"USERNAME": "lee", "PASSWORD": PASSWORD}}),
    )
    .await)
    .await;
    let access = signed_in["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(cognito(
        &app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access, "UserAttributes": [{"Name": "custom:colour", "Value": "blue"}]}),
    )
    .await)
    .await;
    assert_error(
        cognito(
            &app,
            "UpdateUserAttributes",
            &json!({"AccessToken": access, "UserAttributes": [{"Name": "custom:team", "Value": "blue"}]}),
        )
        .await,
        400,
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    .await;
    let user = ok(cognito(&app, "GetUser", &json!({"AccessToken": access})).await).await;
    let names: Vec<&str> = user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"custom:colour"), "{user}");
    assert!(names.contains(&"email"), "{user}");
    assert!(!names.contains(&"custom:team"), "{user}");
    let id_token = signed_in["AuthenticationResult"]["IdToken"]
        .as_str()
        .unwrap();
    let claims = jwt_part(id_token, 1);
    assert!(claims.get("custom:team").is_none(), "{claims}");
    assert_eq!(claims["email"], "lee@example.com");
    app.stop().await;
}
