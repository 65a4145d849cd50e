//! Seed files: the shipped example applies, and applying it twice changes nothing.

use serde_json::{Value, json};

use crate::helpers::{TestApp, python_with};
use crate::on_both_backends;
use crate::support::Db;
use gatehouse::manage::seed::SeedFile;

on_both_backends!(
    the_example_seed_applies_idempotently,
    seed_files_are_validated,
    reseeding_renews_an_expired_temporary_password,
    files_that_say_tenants_still_apply,
    a_seeded_pool_is_described_as_boto3_creates_it,
);

const EXAMPLE: &str = include_str!("../../examples/seed.json");

async fn the_example_seed_applies_idempotently(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let first = app
        .services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    assert_eq!(first.pools_created, 2);
    assert_eq!(first.users_created, 4);
    assert_eq!(first.clients_created, 1);
    let (acme, _) = app.services.find_pool("acme").await.unwrap();
    assert_eq!(acme.id.as_str(), "us-east-1_AcmeDemo1");
    let clients = app.services.store.list_clients(&acme.id).await.unwrap();
    let default = clients.iter().find(|c| c.is_default).unwrap();
    assert_eq!(default.refresh_grace_seconds, 10);
    let reporting = clients.iter().find(|c| c.name == "reporting").unwrap();
    assert_eq!(reporting.id.as_str(), "acmereporting0000000000001");
    assert_eq!(reporting.validity.access_token_seconds, 900);
    assert_eq!(reporting.validity.refresh_token_seconds, 86_400);
    let before = snapshot(&app, &acme).await;

    let second = app
        .services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    assert_eq!(second.pools_created, 0);
    assert_eq!(second.clients_created, 0);
    assert_eq!(second.users_created, 0);
    assert_eq!(second.users_updated, 0);
    assert_eq!(second.pools, first.pools);
    assert_eq!(snapshot(&app, &acme).await, before, "nothing changed");

    // The seeded users behave as declared.
    let alice = app.sign_in("acme", "alice", "Correct-Horse-9").await;
    let claims = crate::helpers::jwt_part(alice["IdToken"].as_str().unwrap(), 1);
    assert_eq!(claims["aud"], "acmedemoclient000000000001");
    assert_eq!(
        claims["cognito:groups"],
        serde_json::json!(["admin", "staff"])
    );
    assert_eq!(claims["custom:team"], "platform");
    let bob = app.login("acme", "bob", "Temporary-Pass-1").await;
    let bob: serde_json::Value = bob.json().await.unwrap();
    assert_eq!(
        bob["cognitoToken"]["ChallengeName"],
        "NEW_PASSWORD_REQUIRED"
    );
    assert_eq!(
        app.login("acme", "carol", "Correct-Horse-9").await.status(),
        401
    );
    app.sign_in("globex", "alice", "Another-Secret-7").await;

    // Re-applying after bob chose his own password keeps it.
    let answer = serde_json::json!({
        "TenantName": "acme", "UserName": "bob", "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": bob["cognitoToken"]["Session"],
        "ChallengeResponses": {"NEW_PASSWORD": "Bobs-Own-Pass-3"},
    });
    assert_eq!(app.respond_to_challenge(&answer).await.status(), 200);
    let third = app
        .services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    assert_eq!(third.users_updated, 0);
    app.sign_in("acme", "bob", "Bobs-Own-Pass-3").await;
    app.stop().await;
}

/// Everything the seed could have touched, in comparable form.
async fn snapshot(app: &TestApp, pool: &gatehouse::domain::pool::UserPool) -> Vec<String> {
    let mut rows = Vec::new();
    for user in app.services.store.list_users(&pool.id).await.unwrap() {
        use secrecy::ExposeSecret;
        let groups = app.services.store.groups_of_user(&user.sub).await.unwrap();
        rows.push(format!(
            "{} {} {} {} {:?} {} {:?} {:?}",
            user.username,
            user.sub,
            user.status.as_str(),
            user.enabled,
            user.attributes,
            user.updated_at,
            user.password
                .as_ref()
                .map(|p| p.phc.expose_secret().to_owned()),
            groups
        ));
    }
    for client in app.services.store.list_clients(&pool.id).await.unwrap() {
        rows.push(format!("{client:?}"));
    }
    rows.push(format!(
        "{:?}",
        app.services.store.list_groups(&pool.id).await.unwrap()
    ));
    rows
}

async fn seed_files_are_validated(backend: Db) {
    let app = TestApp::spawn(backend).await;
    for bad in [
        r#"{"Pools": [{"Name": "acme", "Unknown": 1}]}"#,
        r#"{"Pools": [{"Name": "acme", "DefaultClient": {"RefreshTokenGraceSeconds": 61}}]}"#,
        r#"{"Pools": [{"Name": "acme", "Clients": [{"Name": "c", "AccessTokenValiditySeconds": 60}]}]}"#,
        r#"{"Pools": [{"Name": "acme", "Clients": [{"Name": "c", "Colour": "red"}]}]}"#,
        r#"{"Pools": [{"Name": " bad name"}]}"#,
        r#"{"Pools": [{"Name": "acme", "PoolId": "local_abc"}]}"#,
        r#"{"Pools": [{"Name": "acme", "Users": [{"Username": "a b", "Password": "Correct-Horse-9"}]}]}"#,
        r#"{"Pools": [{"Name": "acme", "Users": [{"Username": "weak", "Password": "weak"}]}]}"#,
        r#"{"Pools": [{"Name": "acme", "Users": [{"Username": "x", "Password": "Correct-Horse-9", "Groups": ["undeclared"]}]}]}"#,
        r#"{"Pools": [{"Name": "acme", "Users": [{"Username": "x", "Password": "Correct-Horse-9", "Attributes": {"colour": "red"}}]}]}"#,
        "not json",
    ] {
        let result = match SeedFile::parse(bad) {
            Ok(seed) => app.services.apply_seed(seed).await,
            Err(e) => Err(e),
        };
        let error = result.expect_err(bad);
        assert!(
            matches!(
                error,
                gatehouse::auth::AuthError::InvalidParameter(_)
                    | gatehouse::auth::AuthError::InvalidPassword(_)
            ),
            "{bad}: {error:?}"
        );
    }
    app.stop().await;
}

async fn reseeding_renews_an_expired_temporary_password(backend: Db) {
    let app = TestApp::spawn(backend).await;
    app.services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    app.clock.advance(8 * 86_400);
    let expired = app.login("acme", "bob", "Temporary-Pass-1").await;
    assert_eq!(expired.status(), 401);
    let report = app
        .services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    assert_eq!(report.users_updated, 1, "only bob changed");
    let renewed: serde_json::Value = app
        .login("acme", "bob", "Temporary-Pass-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        renewed["cognitoToken"]["ChallengeName"],
        "NEW_PASSWORD_REQUIRED"
    );
    app.stop().await;
}

/// Seed files written before the CLI said "pool" list their pools under `Tenants`; they apply
/// exactly as the same file under `Pools` does. A file with both is refused.
async fn files_that_say_tenants_still_apply(backend: Db) {
    let app = TestApp::spawn(backend).await;
    assert!(EXAMPLE.contains("\"Pools\""));
    let old_style = EXAMPLE.replacen("\"Pools\"", "\"Tenants\"", 1);
    let first = app
        .services
        .apply_seed(SeedFile::parse(&old_style).unwrap())
        .await
        .unwrap();
    assert_eq!(first.pools_created, 2);
    assert_eq!(first.users_created, 4);
    let (acme, _) = app.services.find_pool("acme").await.unwrap();
    assert_eq!(acme.id.as_str(), "us-east-1_AcmeDemo1");
    let again = app
        .services
        .apply_seed(SeedFile::parse(EXAMPLE).unwrap())
        .await
        .unwrap();
    assert_eq!(again.pools_created, 0);
    assert_eq!(again.users_updated, 0);
    assert_eq!(again.pools, first.pools);

    let both = r#"{"Pools": [{"Name": "a"}], "Tenants": [{"Name": "b"}]}"#;
    let error = SeedFile::parse(both).expect_err("both keys");
    assert!(error.to_string().contains("duplicate field"), "{error}");
    app.stop().await;
}

const LAMBDA: &str = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up";
const ROLE: &str = "arn:aws:iam::123456789012:role/admins";

/// One pool, client and group, in CreateUserPool's, CreateUserPoolClient's and CreateGroup's
/// members, as infrastructure code would declare them.
fn parity_declaration() -> Value {
    json!({
        "PoolName": "parity",
        "Pool": {
            "Policies": {"PasswordPolicy": {
                "MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": true,
                "RequireNumbers": false, "RequireSymbols": true,
                "TemporaryPasswordValidityDays": 3}},
            "Schema": [
                {"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true},
                {"Name": "team", "AttributeDataType": "String", "Mutable": true,
                 "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}},
                {"Name": "level", "AttributeDataType": "Number", "Mutable": false,
                 "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"}},
            ],
            "AliasAttributes": ["email", "preferred_username"],
            "UsernameConfiguration": {"CaseSensitive": false},
            "AutoVerifiedAttributes": ["email"],
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "VerificationMessageTemplate": {"EmailSubject": "Your code",
                                            "EmailMessage": "Your code is {####}",
                                            "DefaultEmailOption": "CONFIRM_WITH_CODE"},
            "SmsAuthenticationMessage": "Sign-in code {####}",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true,
                                      "InviteMessageTemplate": {"EmailSubject": "Welcome",
                                                                "EmailMessage": "{username}: {####}"}},
            "EmailConfiguration": {"EmailSendingAccount": "DEVELOPER",
                                   "From": "Parity <no-reply@parity.example>"},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
            "DeletionProtection": "ACTIVE",
            "LambdaConfig": {"PreSignUp": LAMBDA},
            "MfaConfiguration": "OFF",
            "UserPoolTags": {"team": "identity"},
        },
        "Client": {
            "ClientName": "web",
            "GenerateSecret": true,
            "RefreshTokenValidity": 10,
            "AccessTokenValidity": 30,
            "IdTokenValidity": 45,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                                   "RefreshToken": "days"},
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": true,
            "ReadAttributes": ["email", "email_verified", "preferred_username", "custom:team"],
            "WriteAttributes": ["email", "preferred_username", "custom:team"],
            "CallbackURLs": ["https://app.parity.example/callback"],
            "LogoutURLs": ["https://app.parity.example/signed-out"],
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "SupportedIdentityProviders": ["COGNITO"],
            "AuthSessionValidity": 10,
        },
        "Groups": [
            {"GroupName": "admins", "Description": "Administrators", "Precedence": 1,
             "RoleArn": ROLE},
        ],
    })
}

/// The declaration as a seed file: the pool's members as they are, the client's and the
/// groups' under the file's `Name`.
fn seed_of(declaration: &Value) -> SeedFile {
    let mut pool = declaration["Pool"].clone();
    pool["Name"] = declaration["PoolName"].clone();
    let mut client = declaration["Client"].clone();
    let name = client
        .as_object_mut()
        .unwrap()
        .remove("ClientName")
        .unwrap();
    client["Name"] = name;
    pool["Clients"] = json!([client]);
    let groups: Vec<Value> = declaration["Groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            let mut group = group.clone();
            let name = group.as_object_mut().unwrap().remove("GroupName").unwrap();
            group["Name"] = name;
            group
        })
        .collect();
    pool["Groups"] = json!(groups);
    SeedFile::parse(&json!({"Pools": [pool]}).to_string()).unwrap()
}

/// The same pool, client and group, declared in a seed file and created through boto3, read
/// back the same through DescribeUserPool, DescribeUserPoolClient and GetGroup
/// (tests/clients/boto3_seed_parity.py compares them field by field); applied again later,
/// the file changes nothing of the pool and client, not even their dates.
async fn a_seeded_pool_is_described_as_boto3_creates_it(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let declaration = parity_declaration();
    let report = app
        .services
        .apply_seed(seed_of(&declaration))
        .await
        .unwrap();
    assert_eq!((report.pools_created, report.clients_created), (1, 1));
    let (pool, _) = app.services.find_pool("parity").await.unwrap();
    let clients = app.services.store.list_clients(&pool.id).await.unwrap();
    let web = clients.iter().find(|c| c.name == "web").unwrap().clone();
    assert!(web.secret_encrypted.is_some(), "GenerateSecret");

    app.clock.advance(60);
    let again = app
        .services
        .apply_seed(seed_of(&declaration))
        .await
        .unwrap();
    assert_eq!((again.pools_created, again.clients_created), (0, 0));
    let (reread, _) = app.services.find_pool("parity").await.unwrap();
    assert_eq!(reread, pool, "applied again, nothing changed");
    let reread_web = app.services.store.client_by_id(&web.id).await.unwrap();
    assert_eq!(
        reread_web.as_ref(),
        Some(&web),
        "applied again, nothing changed"
    );

    let Some(python) = python_with("boto3") else {
        app.stop().await;
        return;
    };
    let mut command = std::process::Command::new(python);
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/boto3_seed_parity.py"
        ))
        .args([
            app.address.as_str(),
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
            &declaration.to_string(),
            pool.id.as_str(),
            web.id.as_str(),
        ]);
    crate::helpers::run_client(command, "boto3 seed parity: all checks passed").await;
    app.stop().await;
}
