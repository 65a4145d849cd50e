//! How users sign in (issue #13, item 2): by an e-mail address or phone number that is their
//! username (`UsernameAttributes`), by a verified e-mail alias or a preferred_username
//! (`AliasAttributes`), with or without regard to case (`UsernameConfiguration`), on the
//! login API and the Cognito API, by password and by SRP with real clients.

use gatehouse::domain::app_client::AppClient;
use gatehouse::domain::pool::{PoolName, PoolSettings, UserPool};
use gatehouse::domain::secret::ExposeSecret;
use gatehouse::domain::sign_in_names::{SignInAttribute, SignInNames};
use gatehouse::domain::username::Username;
use gatehouse::manage::pools::FixedIds;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, comparable, field, jwt_part, python_with, run_client};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    sign_in_by_email_alias_on_both_apis,
    sign_in_by_email_as_username_on_both_apis,
    sign_up_confirmation_and_recovery_take_the_email,
    one_of_two_users_confirming_one_email_holds_the_alias,
    fifty_users_verifying_one_email_in_parallel_leave_one_holder,
    case_sensitive_pools_keep_names_apart,
    lockout_and_unknown_aliases_behave_as_for_usernames,
    srp_by_email_works_with_real_clients,
    boto3_drives_sign_in_names,
);

const WRONG: &str = "Wrong-Horse-9";

/// A pool whose users sign in by the given names, open to sign-up, with its default client.
async fn pool_with(
    app: &TestApp,
    name: &str,
    username: &[SignInAttribute],
    alias: &[SignInAttribute],
    case_sensitive: bool,
) -> (UserPool, AppClient) {
    let mut settings = PoolSettings {
        sign_in_names: SignInNames {
            username_attributes: username.to_vec(),
            alias_attributes: alias.to_vec(),
            case_sensitive,
        },
        ..PoolSettings::default()
    };
    settings
        .admin_create_user_config
        .allow_admin_create_user_only = false;
    app.services
        .create_pool(
            &PoolName::parse(name).unwrap(),
            settings,
            FixedIds::default(),
        )
        .await
        .unwrap()
}

async fn alias_pool(app: &TestApp) -> (UserPool, AppClient) {
    pool_with(
        app,
        "aliases",
        &[],
        &[SignInAttribute::Email, SignInAttribute::PreferredUsername],
        false,
    )
    .await
}

async fn email_pool(app: &TestApp) -> (UserPool, AppClient) {
    pool_with(app, "by-email", &[SignInAttribute::Email], &[], false).await
}

async fn initiate(
    app: &TestApp,
    client: &AppClient,
    name: &str,
    password: &str,
) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"ClientId": client.id.to_string(), "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": name, "PASSWORD": password}}),
    )
    .await
}

async fn admin_initiate(
    app: &TestApp,
    pool: &UserPool,
    client: &AppClient,
    name: &str,
) -> reqwest::Response {
    admin(
        app,
        "AdminInitiateAuth",
        &json!({"UserPoolId": pool.id.to_string(), "ClientId": client.id.to_string(),
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD}}),
    )
    .await
}

/// The `cognito:username` of a successful Cognito API sign-in.
async fn signed_in_as(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let id_token = field(&body["AuthenticationResult"], "IdToken");
    jwt_part(&id_token, 1)["cognito:username"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A Cognito API error: 400, its `__type` and, unless empty, its message.
async fn assert_cognito_error(
    response: reqwest::Response,
    status: u16,
    type_: &str,
    message: &str,
) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
}

async fn refused(response: reqwest::Response) {
    assert_cognito_error(
        response,
        400,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
}

async fn admin_call(app: &TestApp, operation: &str, body: Value) -> reqwest::Response {
    admin(app, operation, &body).await
}

async fn sign_in_by_email_alias_on_both_apis(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = alias_pool(&app).await;
    let verified = [("email", "Alice@Example.com"), ("email_verified", "true")];
    app.create_user_with(&pool, "alice", PASSWORD, false, &verified)
        .await;
    let unverified = [("email", "bob@example.com"), ("email_verified", "false")];
    app.create_user_with(&pool, "bob", PASSWORD, false, &unverified)
        .await;

    // The login API, by the alias in any case.
    let tokens = app.sign_in("aliases", "alice@EXAMPLE.com", PASSWORD).await;
    let claims = jwt_part(&field(&tokens, "IdToken"), 1);
    assert_eq!(claims["cognito:username"], "alice");
    // The Cognito API: InitiateAuth and AdminInitiateAuth.
    assert_eq!(
        signed_in_as(initiate(&app, &client, "alice@example.com", PASSWORD).await).await,
        "alice"
    );
    assert_eq!(
        signed_in_as(admin_initiate(&app, &pool, &client, "ALICE@example.com").await).await,
        "alice"
    );
    // Admin operations by the alias.
    let got = admin_call(
        &app,
        "AdminGetUser",
        json!({"UserPoolId": pool.id.to_string(), "Username": "alice@example.com"}),
    )
    .await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.json::<Value>().await.unwrap()["Username"], "alice");

    // An unverified address is no alias: refused like an unknown name, on both APIs.
    let login = app.login("aliases", "bob@example.com", PASSWORD).await;
    assert_eq!(login.status(), 401);
    refused(initiate(&app, &client, "bob@example.com", PASSWORD).await).await;
    // Verified later, it becomes one.
    let verify = admin_call(
        &app,
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool.id.to_string(), "Username": "bob",
               "UserAttributes": [{"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    assert_eq!(verify.status(), 200);
    assert_eq!(
        signed_in_as(initiate(&app, &client, "bob@example.com", PASSWORD).await).await,
        "bob"
    );
    // A changed address leaves the old one behind.
    let change = admin_call(
        &app,
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool.id.to_string(), "Username": "bob",
               "UserAttributes": [{"Name": "email", "Value": "robert@example.com"},
                                  {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    assert_eq!(change.status(), 200);
    refused(initiate(&app, &client, "bob@example.com", PASSWORD).await).await;
    assert_eq!(
        signed_in_as(initiate(&app, &client, "robert@example.com", PASSWORD).await).await,
        "bob"
    );
    app.stop().await;
}

async fn sign_in_by_email_as_username_on_both_apis(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = email_pool(&app).await;
    app.create_user(&pool, "Carol@Example.com", false).await;
    let user = app
        .services
        .find_user(&pool, &Username::parse("carol@example.com").unwrap())
        .await
        .unwrap();
    // The stored username is the sub; the address is the email attribute.
    assert_eq!(user.username, user.sub.to_string());
    assert_eq!(user.attributes.get("email"), Some("Carol@Example.com"));

    let tokens = app.sign_in("by-email", "carol@example.com", PASSWORD).await;
    let claims = jwt_part(&field(&tokens, "IdToken"), 1);
    assert_eq!(claims["cognito:username"], user.username.as_str());
    assert_eq!(claims["sub"], user.username.as_str());
    assert_eq!(
        signed_in_as(initiate(&app, &client, "CAROL@example.com", PASSWORD).await).await,
        user.username
    );
    assert_eq!(
        signed_in_as(admin_initiate(&app, &pool, &client, "carol@example.com").await).await,
        user.username
    );
    // The UUID signs in too, as in Cognito.
    assert_eq!(
        signed_in_as(initiate(&app, &client, &user.username, PASSWORD).await).await,
        user.username
    );

    // AdminCreateUser takes the address as Username; a taken one, or a name that is no
    // address, is refused in Cognito's words.
    let pool_id = pool.id.to_string();
    let created = admin_call(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": "dan@example.com", "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    let dan = created["User"]["Username"].as_str().unwrap();
    assert_eq!(dan.len(), 36, "{created}");
    let taken = admin_call(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": "CAROL@example.com", "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_cognito_error(
        taken,
        400,
        "UsernameExistsException",
        "An account with the given email already exists.",
    )
    .await;
    let not_an_address = admin_call(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": "dan", "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_cognito_error(
        not_an_address,
        400,
        "InvalidParameterException",
        "Username should be an email.",
    )
    .await;
    // Unknown addresses are refused like wrong passwords.
    refused(initiate(&app, &client, "nobody@example.com", PASSWORD).await).await;
    refused(initiate(&app, &client, "carol@example.com", WRONG).await).await;

    // DescribeUserPool returns the setting.
    let described = admin_call(&app, "DescribeUserPool", json!({"UserPoolId": pool_id})).await;
    let described: Value = described.json().await.unwrap();
    assert_eq!(
        described["UserPool"]["UsernameAttributes"],
        json!(["email"])
    );
    assert_eq!(
        described["UserPool"]["UsernameConfiguration"],
        json!({"CaseSensitive": false})
    );
    app.stop().await;
}

async fn sign_up_confirmation_and_recovery_take_the_email(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = email_pool(&app).await;
    let client_id = client.id.to_string();
    let signed_up = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client_id, "Username": "erin@example.com", "Password": PASSWORD}),
    )
    .await;
    assert_eq!(signed_up.status(), 200);
    let signed_up: Value = signed_up.json().await.unwrap();
    let sub = signed_up["UserSub"].as_str().unwrap().to_owned();
    let erin = Username::parse("erin@example.com").unwrap();

    // Resend and confirm by the address.
    let resent = cognito(
        &app,
        "ResendConfirmationCode",
        &json!({"ClientId": client_id, "Username": "Erin@example.com"}),
    )
    .await;
    assert_eq!(resent.status(), 200);
    let code = app
        .services
        .pending_confirmation_code(&pool, &erin)
        .await
        .unwrap()
        .unwrap();
    let confirmed = cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client_id, "Username": "erin@example.com",
                "ConfirmationCode": code.expose_secret()}),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let tokens = app.sign_in("by-email", "erin@example.com", PASSWORD).await;
    assert_eq!(jwt_part(&field(&tokens, "IdToken"), 1)["sub"], sub.as_str());
    assert_eq!(
        jwt_part(&field(&tokens, "IdToken"), 1)["email_verified"],
        true
    );

    // ForgotPassword by the address sends a code to it.
    let forgot = cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client_id, "Username": "erin@example.com"}),
    )
    .await;
    assert_eq!(forgot.status(), 200);
    let forgot: Value = forgot.json().await.unwrap();
    assert_eq!(
        forgot["CodeDeliveryDetails"]["AttributeName"], "email",
        "{forgot}"
    );
    // A second sign-up under the same address is refused.
    let again = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client_id, "Username": "ERIN@example.com", "Password": PASSWORD}),
    )
    .await;
    assert_cognito_error(
        again,
        400,
        "UsernameExistsException",
        "An account with the given email already exists.",
    )
    .await;
    app.stop().await;
}

/// Two users sign up with one address; the second to confirm gets AliasExistsException,
/// unless it asks to take the alias over, as Cognito's ConfirmSignUp does.
async fn one_of_two_users_confirming_one_email_holds_the_alias(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = alias_pool(&app).await;
    let client_id = client.id.to_string();
    for name in ["first", "second"] {
        let response = cognito(
            &app,
            "SignUp",
            &json!({"ClientId": client_id, "Username": name, "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": "shared@example.com"}]}),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let confirm = |name: &'static str, force: Option<bool>| {
        let app = &app;
        let pool = &pool;
        let client_id = client_id.clone();
        async move {
            let code = app
                .services
                .pending_confirmation_code(pool, &Username::parse(name).unwrap())
                .await
                .unwrap()
                .unwrap();
            let mut body = json!({"ClientId": client_id, "Username": name,
                                  "ConfirmationCode": code.expose_secret()});
            if let Some(force) = force {
                body["ForceAliasCreation"] = json!(force);
            }
            cognito(app, "ConfirmSignUp", &body).await
        }
    };
    assert_eq!(confirm("first", None).await.status(), 200);
    assert_eq!(
        signed_in_as(initiate(&app, &client, "shared@example.com", PASSWORD).await).await,
        "first"
    );
    assert_cognito_error(
        confirm("second", Some(false)).await,
        400,
        "AliasExistsException",
        "An account with the email already exists.",
    )
    .await;
    // Refused before anything changed: still unconfirmed.
    let second = app
        .services
        .find_user(&pool, &Username::parse("second").unwrap())
        .await
        .unwrap();
    assert_eq!(second.status.as_str(), "UNCONFIRMED");
    assert_eq!(confirm("second", Some(true)).await.status(), 200);
    assert_eq!(
        signed_in_as(initiate(&app, &client, "shared@example.com", PASSWORD).await).await,
        "second"
    );
    // The first user keeps their username.
    assert_eq!(
        signed_in_as(initiate(&app, &client, "first", PASSWORD).await).await,
        "first"
    );
    app.stop().await;
}

/// 50 users with one unverified address verify it at once: exactly one holds the alias, the
/// others get AliasExistsException, and the address signs in the one that holds it.
async fn fifty_users_verifying_one_email_in_parallel_leave_one_holder(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = alias_pool(&app).await;
    let unverified = [("email", "race@example.com"), ("email_verified", "false")];
    for i in 0..50 {
        app.create_user_with(&pool, &format!("racer{i}"), PASSWORD, false, &unverified)
            .await;
    }
    let pool_id = pool.id.to_string();
    let verifications = (0..50).map(|i| {
        let app = &app;
        let pool_id = pool_id.clone();
        async move {
            let response = admin_call(
                app,
                "AdminUpdateUserAttributes",
                json!({"UserPoolId": pool_id, "Username": format!("racer{i}"),
                       "UserAttributes": [{"Name": "email_verified", "Value": "true"}]}),
            )
            .await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (i, status, body)
        }
    });
    let results = futures_util::future::join_all(verifications).await;
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .map(|(i, _, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (_, status, body) in results.iter().filter(|(_, status, _)| *status != 200) {
        assert_eq!(*status, 400);
        assert_eq!(body["__type"], "AliasExistsException", "{body}");
    }
    assert_eq!(
        signed_in_as(initiate(&app, &client, "race@example.com", PASSWORD).await).await,
        format!("racer{}", winners[0])
    );
    app.stop().await;
}

async fn case_sensitive_pools_keep_names_apart(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (strict, strict_client) =
        pool_with(&app, "strict", &[], &[SignInAttribute::Email], true).await;
    let verified = [("email", "Frank@Example.com"), ("email_verified", "true")];
    app.create_user_with(&strict, "Frank", PASSWORD, false, &verified)
        .await;
    // Another user whose name differs only by case is a different user.
    app.create_user_with(&strict, "frank", WRONG, false, &[])
        .await;
    assert_eq!(
        signed_in_as(initiate(&app, &strict_client, "Frank", PASSWORD).await).await,
        "Frank"
    );
    assert_eq!(
        signed_in_as(initiate(&app, &strict_client, "frank", WRONG).await).await,
        "frank"
    );
    refused(initiate(&app, &strict_client, "FRANK", PASSWORD).await).await;
    assert_eq!(
        signed_in_as(initiate(&app, &strict_client, "Frank@Example.com", PASSWORD).await).await,
        "Frank"
    );
    refused(initiate(&app, &strict_client, "frank@example.com", PASSWORD).await).await;

    // A case-insensitive pool: one user whatever the case.
    let (loose, loose_client) = alias_pool(&app).await;
    app.create_user_with(&loose, "Grace", PASSWORD, false, &[])
        .await;
    assert_eq!(
        signed_in_as(initiate(&app, &loose_client, "GRACE", PASSWORD).await).await,
        "Grace"
    );
    let duplicate = admin_call(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": loose.id.to_string(), "Username": "grace",
               "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_cognito_error(duplicate, 400, "UsernameExistsException", "").await;

    // CreateUserPool without UsernameConfiguration makes a case-sensitive pool, as Cognito's
    // API does; with it, what it says.
    let created = admin_call(&app, "CreateUserPool", json!({"PoolName": "api-default"})).await;
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["UserPool"]["UsernameConfiguration"],
        json!({"CaseSensitive": true})
    );
    let missing = admin_call(
        &app,
        "CreateUserPool",
        json!({"PoolName": "x", "UsernameConfiguration": {}}),
    )
    .await;
    assert_cognito_error(
        missing,
        400,
        "InvalidParameterException",
        "1 validation error detected: Value at 'usernameConfiguration.caseSensitive' failed \
         to satisfy constraint: Member must not be null",
    )
    .await;
    let both = admin_call(
        &app,
        "CreateUserPool",
        json!({"PoolName": "x", "UsernameAttributes": ["email"], "AliasAttributes": ["email"]}),
    )
    .await;
    assert_cognito_error(
        both,
        400,
        "InvalidParameterException",
        "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
    )
    .await;
    app.stop().await;
}

/// Failures by alias count against the user (the username is locked by them too), and an
/// unknown alias gets exactly the answer an unknown username gets.
async fn lockout_and_unknown_aliases_behave_as_for_usernames(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = alias_pool(&app).await;
    let verified = [("email", "henry@example.com"), ("email_verified", "true")];
    app.create_user_with(&pool, "henry", PASSWORD, false, &verified)
        .await;

    let unknown_alias = comparable(app.login("aliases", "nobody@example.com", WRONG).await).await;
    let unknown_name = comparable(app.login("aliases", "nobody", WRONG).await).await;
    let wrong_password = comparable(app.login("aliases", "henry@example.com", WRONG).await).await;
    assert_eq!(unknown_alias, unknown_name);
    assert_eq!(unknown_alias, wrong_password);

    // Four more failures by alias (five in all): the next attempt, by username and with
    // the right password, is refused by the lock.
    for _ in 0..4 {
        refused(initiate(&app, &client, "henry@example.com", WRONG).await).await;
    }
    assert_cognito_error(
        initiate(&app, &client, "henry", PASSWORD).await,
        400,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
    let _ = pool;
    app.stop().await;
}

/// amazon-cognito-identity-js and pycognito sign in by SRP with an e-mail address, as an
/// alias and as the username.
async fn srp_by_email_works_with_real_clients(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (alias, alias_client) = alias_pool(&app).await;
    let verified = [("email", "alice@example.com"), ("email_verified", "true")];
    app.create_user_with(&alias, "alice", PASSWORD, false, &verified)
        .await;
    let (email, email_client) = email_pool(&app).await;
    app.create_user(&email, "bob@example.com", false).await;
    let (secret_client, secret) = app
        .services
        .create_app_client(
            &email,
            gatehouse::manage::clients::NewAppClient {
                name: "with-secret".into(),
                generate_secret: true,
                validity: gatehouse::domain::app_client::TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings: gatehouse::domain::app_client::ClientSettings::default(),
            },
        )
        .await
        .unwrap();
    let secret = secret.unwrap().expose_secret().to_owned();

    if let Some(dir) = crate::cognito_api::js_clients() {
        let mut node = std::process::Command::new("node");
        node.arg("srp_aliases.mjs")
            .args([
                app.address.clone(),
                alias.id.to_string(),
                alias_client.id.to_string(),
                email.id.to_string(),
                email_client.id.to_string(),
            ])
            .current_dir(dir);
        run_client(node, "srp aliases js: all checks passed").await;
    }
    if let Some(python) = python_with("boto3, pycognito") {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/pycognito_aliases.py"
        );
        let mut pycognito = std::process::Command::new(python);
        pycognito.arg(script).args([
            app.address.clone(),
            alias.id.to_string(),
            alias_client.id.to_string(),
            email.id.to_string(),
            email_client.id.to_string(),
            secret_client.id.to_string(),
            secret,
        ]);
        run_client(pycognito, "pycognito aliases: all checks passed").await;
    }
    app.stop().await;
}

async fn boto3_drives_sign_in_names(backend: Db) {
    let Some(python) = python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/boto3_aliases.py"
    );
    let mut command = std::process::Command::new(python);
    command.arg(script).args([
        app.address.clone(),
        crate::helpers::ADMIN_KEY_ID.to_owned(),
        crate::helpers::ADMIN_SECRET.to_owned(),
    ]);
    run_client(command, "boto3 aliases: all checks passed").await;
    app.stop().await;
}
