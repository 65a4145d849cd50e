//! Lambda triggers (issue #17): a pool's `LambdaConfig` calls functions through the AWS
//! Lambda Invoke API. The functions are real Lambda handlers (tests/clients/lambda/handlers.py)
//! served by a small Invoke API server (tests/clients/lambda_host.py); each parses its event
//! with aws-lambda-powertools' Cognito data classes and records what it read. The tests
//! assert the events and that the answers were applied, and the failures: a function error,
//! a function too slow, a malformed answer and an endpoint that is down each fail the
//! operation with Cognito's error and leave nothing half-written.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use gatehouse::domain::pool::UserPool;
use gatehouse::domain::pool_config::{LambdaConfig, VersionedLambda};
use serde_json::{Value, json};

use crate::account_recovery::newest_code;
use crate::helpers::{Options, PASSWORD, TestApp, jwt_part, python_with};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    pre_sign_up_sees_the_sign_up_and_its_answer_is_applied,
    a_refused_sign_up_leaves_no_user,
    post_confirmation_follows_confirm_sign_up_and_confirm_forgot_password,
    sign_in_calls_pre_and_post_authentication_on_every_api,
    srp_and_new_password_sign_ins_call_the_triggers,
    hosted_sign_in_and_the_code_exchange_call_the_triggers,
    pre_token_generation_v1_changes_the_id_token_but_never_reserved_claims,
    pre_token_generation_v2_changes_both_tokens_and_the_scopes,
    failing_functions_fail_the_operation_with_cognitos_errors,
    invocations_are_signed_when_keys_are_configured,
    a_slow_function_holds_up_only_the_sign_ins_that_call_it,
    a_slow_function_cannot_keep_another_function_waiting_for_a_place,
    user_migration_creates_the_user_a_sign_in_names,
    parallel_sign_ins_of_one_migrating_user_create_one_user,
    forgot_password_migrates_the_user_without_a_password,
    custom_message_words_the_messages_and_never_sees_the_code,
    a_seed_file_says_where_functions_live,
    custom_message_words_sign_in_codes_and_never_sees_them,
    a_failing_sign_in_code_function_fails_the_sign_in_and_stores_nothing,
    a_burst_of_sign_ins_sends_worded_codes_only_as_the_lockout_allows,
    pre_token_generation_v3_changes_client_credentials_tokens,
    client_credentials_call_only_v3_functions_and_fail_with_them,
);

/// The Invoke API server with the test handlers, stopped when dropped.
pub(crate) struct LambdaHost {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl LambdaHost {
    /// None (the test is skipped) when the Python packages are missing outside CI.
    pub(crate) async fn start() -> Option<Self> {
        let python = python_with("aws_lambda_powertools")?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/lambda_host.py");
        let mut child = Command::new(python)
            .args([script, "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let port = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line.trim()
                .strip_prefix("listening on ")
                .unwrap()
                .to_owned()
        })
        .await
        .unwrap();
        Some(Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        })
    }

    /// How many invocations are running now.
    async fn in_flight(&self) -> u64 {
        let url = format!("{}/_in_flight", self.address);
        let answer: Value = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["count"].as_u64().unwrap()
    }

    /// Every invocation since the last [`Self::take`], in order.
    pub(crate) async fn take(&self) -> Vec<Value> {
        let url = format!("{}/_invocations", self.address);
        let seen: Vec<Value> = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.client.delete(&url).send().await.unwrap();
        seen
    }
}

impl Drop for LambdaHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn arn(function: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{function}")
}

/// A server whose functions are reached at `host`; `down` is routed to a closed port. Calls
/// time out after 2 s unless `options` say otherwise: well short of the `sleeps` function's
/// 3 s, well over what a function takes on a machine busy with other builds.
pub(crate) async fn app_with(backend: Db, host: &LambdaHost, options: Options) -> TestApp {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    TestApp::spawn_with(
        backend,
        Options {
            lambda_endpoint: Some(host.address.clone()),
            lambda_function_urls: Some(json!({ arn("down"): down }).to_string()),
            lambda_timeout_ms: options.lambda_timeout_ms.or(Some(2_000)),
            ..options
        },
    )
    .await
}

/// A pool open to sign-up whose triggers are `config`, and its client's id.
pub(crate) async fn pool_with(
    app: &TestApp,
    name: &str,
    config: LambdaConfig,
) -> (UserPool, String) {
    let (pool, client) = app.create_pool(name).await;
    let mut pool = app.allow_self_sign_up(&pool).await;
    pool.settings.lambda_config = config.normalised().unwrap();
    app.services
        .replace_pool_settings(&pool, pool.settings.clone())
        .await
        .unwrap();
    (pool, client.id.to_string())
}

/// Pool `slowpool`, whose PreAuthentication function (`sleeps`) takes 3 s, with the users
/// `sam0`, `sam1`, ...: one for each sign-in a test runs at once, since concurrent attempts
/// of one user are each a reserved lockout attempt.
async fn slow_pool_with_users(app: &TestApp, users: usize) {
    let config = LambdaConfig {
        pre_authentication: Some(arn("sleeps")),
        ..LambdaConfig::default()
    };
    let (slow, _) = pool_with(app, "slowpool", config).await;
    for index in 0..users {
        app.create_user(&slow, &format!("sam{index}"), false).await;
    }
}

/// `count` `/Login`s to `pool_name`, as `{prefix}0`, `{prefix}1`, ..., each on its own task;
/// each task ends with the answer's status.
fn spawn_sign_ins(
    app: &std::sync::Arc<TestApp>,
    pool_name: &'static str,
    prefix: &'static str,
    count: usize,
) -> Vec<tokio::task::JoinHandle<reqwest::StatusCode>> {
    (0..count)
        .map(|index| {
            let app = app.clone();
            tokio::spawn(async move {
                let name = format!("{prefix}{index}");
                app.login(pool_name, &name, PASSWORD).await.status()
            })
        })
        .collect()
}

pub(crate) async fn ok(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn assert_error(response: reqwest::Response, type_: &str, message: &str) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    if !message.is_empty() {
        assert_eq!(body["message"], message, "{body}");
    }
}

/// Whether the pool has a user by that name (AdminGetUser).
async fn user_exists(app: &TestApp, pool: &UserPool, name: &str) -> bool {
    let response = admin(
        app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": name}),
    )
    .await;
    match response.status().as_u16() {
        200 => true,
        _ => {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["__type"], "UserNotFoundException", "{body}");
            false
        }
    }
}

fn attribute<'a>(user: &'a Value, name: &str) -> Option<&'a str> {
    user["UserAttributes"]
        .as_array()
        .or_else(|| user["Attributes"].as_array())
        .unwrap()
        .iter()
        .find(|a| a["Name"] == name)
        .and_then(|a| a["Value"].as_str())
}

/// Asserts the envelope of one recorded invocation, as the handler read it.
pub(crate) fn assert_envelope(
    record: &Value,
    source: &str,
    pool: &UserPool,
    user: &str,
    client: &str,
) {
    let seen = &record["seen"];
    assert_eq!(seen["trigger_source"], source, "{record}");
    assert_eq!(seen["version"], "1", "{record}");
    assert_eq!(seen["region"], "us-east-1");
    assert_eq!(seen["user_pool_id"], pool.id.as_str());
    assert_eq!(seen["user_name"], user);
    assert_eq!(seen["aws_sdk_version"], "aws-sdk-unknown-unknown");
    assert_eq!(seen["client_id"], client);
}

async fn pre_sign_up_sees_the_sign_up_and_its_answer_is_applied(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_sign_up: Some(arn("pre_sign_up")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "presignup", config).await;

    // Confirmed and verified by the function: no code is sent, and the user can sign in.
    let signed_up = ok(cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "ada", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}],
                "ValidationData": [{"Name": "invite", "Value": "X-1"}],
                "ClientMetadata": {"autoConfirmUser": "true", "autoVerifyEmail": "true"}}),
    )
    .await)
    .await;
    assert_eq!(signed_up["UserConfirmed"], true);
    assert!(
        signed_up.get("CodeDeliveryDetails").is_none(),
        "{signed_up}"
    );
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    let record = &invocations[0];
    assert_envelope(record, "PreSignUp_SignUp", &pool, "ada", &client);
    assert_eq!(
        record["seen"]["user_attributes"]["email"],
        "ada@example.com"
    );
    assert_eq!(record["seen"]["validation_data"], json!({"invite": "X-1"}));
    assert_eq!(
        record["seen"]["client_metadata"],
        json!({"autoConfirmUser": "true", "autoVerifyEmail": "true"})
    );
    // No password reaches the function.
    assert!(!record["event"].to_string().contains(PASSWORD));
    let ada = ok(admin(
        &app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "ada"}),
    )
    .await)
    .await;
    assert_eq!(ada["UserStatus"], "CONFIRMED");
    assert_eq!(attribute(&ada, "email_verified"), Some("true"));
    app.sign_in("presignup", "ada", PASSWORD).await;

    // Left as they were, the answer changes nothing.
    let signed_up = ok(cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "bob", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "bob@example.com"}]}),
    )
    .await)
    .await;
    assert_eq!(signed_up["UserConfirmed"], false);
    let record = &host.take().await[0];
    assert_eq!(record["event"]["request"]["validationData"], Value::Null);
    assert_eq!(record["seen"]["client_metadata"], json!({}));

    // AdminCreateUser: its own source, no client, and the user is still invited.
    let created = ok(admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "cy", "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "phone_number", "Value": "+15555550100"}],
                "ClientMetadata": {"autoConfirmUser": "true", "autoVerifyPhone": "true"}}),
    )
    .await)
    .await;
    assert_eq!(created["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(
        attribute(&created["User"], "phone_number_verified"),
        Some("true")
    );
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "PreSignUp_AdminCreateUser",
        &pool,
        "cy",
        "CLIENT_ID_NOT_APPLICABLE",
    );
    app.stop().await;
}

async fn a_refused_sign_up_leaves_no_user(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_sign_up: Some(arn("pre_sign_up")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "refusing", config).await;
    assert_error(
        cognito(
            &app,
            "SignUp",
            &json!({"ClientId": client, "Username": "eve", "Password": PASSWORD,
                    "ClientMetadata": {"refuse": "Not on the guest list"}}),
        )
        .await,
        "UserLambdaValidationException",
        "PreSignUp failed with error Not on the guest list.",
    )
    .await;
    assert!(!user_exists(&app, &pool, "eve").await);
    assert_error(
        admin(
            &app,
            "AdminCreateUser",
            &json!({"UserPoolId": pool.id.as_str(), "Username": "eve",
                    "ClientMetadata": {"refuse": "No"}}),
        )
        .await,
        "UserLambdaValidationException",
        "PreSignUp failed with error No.",
    )
    .await;
    assert!(!user_exists(&app, &pool, "eve").await);
    // The name is free: the same sign-up goes through once the function lets it.
    ok(cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "eve", "Password": PASSWORD}),
    )
    .await)
    .await;
    assert!(user_exists(&app, &pool, "eve").await);
    app.stop().await;
}

async fn post_confirmation_follows_confirm_sign_up_and_confirm_forgot_password(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        post_confirmation: Some(arn("post_confirmation")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "confirming", config).await;
    for name in ["dora", "unwelcome-ugo"] {
        ok(cognito(
            &app,
            "SignUp",
            &json!({"ClientId": client, "Username": name, "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")}]}),
        )
        .await)
        .await;
    }
    let code = newest_code(&app, "dora@example.com").await;
    ok(cognito(
        &app,
        "ConfirmSignUp",
        &json!({"ClientId": client, "Username": "dora", "ConfirmationCode": code,
                "ClientMetadata": {"source": "web"}}),
    )
    .await)
    .await;
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    let record = &invocations[0];
    assert_envelope(
        record,
        "PostConfirmation_ConfirmSignUp",
        &pool,
        "dora",
        &client,
    );
    let attributes = &record["seen"]["user_attributes"];
    assert_eq!(attributes["cognito:user_status"], "CONFIRMED");
    assert_eq!(attributes["email"], "dora@example.com");
    assert!(attributes["sub"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(record["seen"]["client_metadata"], json!({"source": "web"}));

    // A function error is the caller's answer; the confirmation itself stands, as in Cognito.
    let code = newest_code(&app, "unwelcome-ugo@example.com").await;
    assert_error(
        cognito(
            &app,
            "ConfirmSignUp",
            &json!({"ClientId": client, "Username": "unwelcome-ugo", "ConfirmationCode": code}),
        )
        .await,
        "UserLambdaValidationException",
        "PostConfirmation failed with error Welcome mail bounced.",
    )
    .await;
    host.take().await;

    // ConfirmForgotPassword: its own source.
    ok(cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": "dora"}),
    )
    .await)
    .await;
    let code = newest_code(&app, "dora@example.com").await;
    ok(cognito(
        &app,
        "ConfirmForgotPassword",
        &json!({"ClientId": client, "Username": "dora", "ConfirmationCode": code,
                "Password": "Brand-New-Secret-7"}),
    )
    .await)
    .await;
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "PostConfirmation_ConfirmForgotPassword",
        &pool,
        "dora",
        &client,
    );
    app.stop().await;
}

async fn sign_in_calls_pre_and_post_authentication_on_every_api(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_authentication: Some(arn("pre_authentication")),
        post_authentication: Some(arn("post_authentication")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "signin", config).await;
    app.create_user_with(
        &pool,
        "fay",
        PASSWORD,
        false,
        &[("email", "fay@example.com")],
    )
    .await;
    app.create_user(&pool, "blocked-bo", false).await;

    // The login API.
    app.sign_in("signin", "fay", PASSWORD).await;
    let invocations = host.take().await;
    let sources: Vec<&Value> = invocations
        .iter()
        .map(|r| &r["seen"]["trigger_source"])
        .collect();
    assert_eq!(
        sources,
        [
            "PreAuthentication_Authentication",
            "PostAuthentication_Authentication"
        ]
    );
    assert_envelope(
        &invocations[0],
        "PreAuthentication_Authentication",
        &pool,
        "fay",
        &client,
    );
    assert_eq!(
        invocations[0]["seen"]["user_attributes"]["email"],
        "fay@example.com"
    );
    assert_eq!(invocations[0]["seen"]["user_not_found"], false);
    assert_eq!(invocations[1]["seen"]["new_device_used"], false);

    // InitiateAuth: ClientMetadata is the PreAuthentication function's validationData.
    ok(cognito(
        &app,
        "InitiateAuth",
        &json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "fay", "PASSWORD": PASSWORD},
                "ClientMetadata": {"app": "mobile"}}),
    )
    .await)
    .await;
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 2);
    assert_eq!(
        invocations[0]["seen"]["validation_data"],
        json!({"app": "mobile"})
    );
    assert_eq!(
        invocations[1]["seen"]["client_metadata"],
        json!({"app": "mobile"})
    );

    // AdminInitiateAuth.
    ok(admin(
        &app,
        "AdminInitiateAuth",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": client,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "fay", "PASSWORD": PASSWORD}}),
    )
    .await)
    .await;
    assert_eq!(host.take().await.len(), 2);

    // A wrong password never reaches the functions.
    let refused = app.login("signin", "fay", "Wrong-Password-1").await;
    assert_eq!(refused.status(), 401);
    assert!(host.take().await.is_empty());

    // The function's refusal ends the sign-in on both APIs, before PostAuthentication.
    let refused = app.login("signin", "blocked-bo", PASSWORD).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["__type"], "UserLambdaValidationException");
    assert_eq!(
        body["message"],
        "PreAuthentication failed with error This account is blocked."
    );
    assert_error(
        cognito(
            &app,
            "InitiateAuth",
            &json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": "blocked-bo", "PASSWORD": PASSWORD}}),
        )
        .await,
        "UserLambdaValidationException",
        "PreAuthentication failed with error This account is blocked.",
    )
    .await;
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 2);
    assert!(
        invocations
            .iter()
            .all(|r| r["function"] == "pre_authentication")
    );
    app.stop().await;
}

async fn srp_and_new_password_sign_ins_call_the_triggers(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let Some(python) = python_with("pycognito") else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_authentication: Some(arn("pre_authentication")),
        post_authentication: Some(arn("post_authentication")),
        pre_token_generation: Some(arn("tokens_v1")),
        ..LambdaConfig::default()
    };
    let (pool, default_client) = pool_with(&app, "srpnew", config).await;
    app.create_user(&pool, "lee", false).await;
    let created = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientName": "srp",
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await)
    .await;
    let client = created["UserPoolClient"]["ClientId"].as_str().unwrap();

    // SRP through pycognito: both authentication triggers, then the tokens'.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/lambda/srp_sign_in.py"
    );
    let mut srp = Command::new(python);
    srp.arg(script)
        .args([&app.address, pool.id.as_str(), client, "lee", PASSWORD]);
    let printed = crate::helpers::run_client(srp, "srp sign-in: passed").await;
    let id = jwt_part(printed.lines().next().unwrap(), 1);
    assert_eq!(id["tier"], "gold", "{id}");
    let sources: Vec<Value> = host
        .take()
        .await
        .iter()
        .map(|r| r["seen"]["trigger_source"].clone())
        .collect();
    assert_eq!(
        sources,
        [
            "PreAuthentication_Authentication",
            "PostAuthentication_Authentication",
            "TokenGeneration_Authentication"
        ]
    );

    // NEW_PASSWORD_REQUIRED on the login API: the tokens come from the challenge's answer.
    app.create_user(&pool, "nia", true).await;
    let response = app.login("srpnew", "nia", PASSWORD).await;
    let token = ok(response).await["cognitoToken"].clone();
    assert_eq!(token["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let answered = app
        .respond_to_challenge(&json!({
            "TenantName": "srpnew",
            "UserName": "nia",
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": token["Session"],
            "ChallengeResponses": {"NEW_PASSWORD": "Brand-New-Secret-7"},
        }))
        .await;
    let tokens = ok(answered).await["cognitoToken"]["AuthenticationResult"].clone();
    let id = jwt_part(tokens["IdToken"].as_str().unwrap(), 1);
    assert_eq!(id["tier"], "gold", "{id}");
    let sources: Vec<Value> = host
        .take()
        .await
        .iter()
        .map(|r| r["seen"]["trigger_source"].clone())
        .collect();
    assert_eq!(
        sources,
        [
            "PreAuthentication_Authentication",
            "PostAuthentication_Authentication",
            "TokenGeneration_NewPasswordChallenge"
        ]
    );

    // On the Cognito API the answer's ClientMetadata reaches the functions it runs.
    app.create_user(&pool, "oz", true).await;
    let started = ok(cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": default_client,
                "AuthParameters": {"USERNAME": "oz", "PASSWORD": PASSWORD}}),
    )
    .await)
    .await;
    assert_eq!(
        started["ChallengeName"], "NEW_PASSWORD_REQUIRED",
        "{started}"
    );
    ok(cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": default_client,
                "Session": started["Session"], "ClientMetadata": {"from": "respond"},
                "ChallengeResponses": {"USERNAME": "oz", "NEW_PASSWORD": "Brand-New-Secret-7"}}),
    )
    .await)
    .await;
    let post = host
        .take()
        .await
        .into_iter()
        .find(|r| r["seen"]["trigger_source"] == "PostAuthentication_Authentication")
        .unwrap();
    assert_eq!(post["seen"]["client_metadata"], json!({"from": "respond"}));
    app.stop().await;
}

async fn hosted_sign_in_and_the_code_exchange_call_the_triggers(backend: Db) {
    use crate::oauth2_code::{Browser, CALLBACK, authorize_url, code_client, pkce, query_of};
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_authentication: Some(arn("pre_authentication")),
        post_authentication: Some(arn("post_authentication")),
        pre_token_generation: Some(arn("tokens_v1")),
        ..LambdaConfig::default()
    };
    let (pool, _) = pool_with(&app, "hosted", config).await;
    app.create_user(&pool, "mo", false).await;
    app.create_user(&pool, "blocked-max", false).await;
    let client = code_client(&app, &pool, false).await;
    let (verifier, challenge) = pkce();

    // The function's refusal keeps the browser on the sign-in form: no code is issued.
    let refused = Browser::new(&app)
        .sign_in(
            &authorize_url(&client, &challenge, &[]),
            "blocked-max",
            PASSWORD,
        )
        .await;
    assert_ne!(refused.status, 302, "{}", refused.body);
    host.take().await;

    let mut browser = Browser::new(&app);
    let answer = browser
        .sign_in(&authorize_url(&client, &challenge, &[]), "mo", PASSWORD)
        .await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let code = query_of(&answer.location())["code"].clone();
    let sources = |records: Vec<Value>| -> Vec<Value> {
        records
            .iter()
            .map(|r| r["seen"]["trigger_source"].clone())
            .collect()
    };
    assert_eq!(
        sources(host.take().await),
        [
            "PreAuthentication_Authentication",
            "PostAuthentication_Authentication",
            "TokenGeneration_Authentication"
        ]
    );
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("client_id", client.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
        ])
        .finish();
    let exchanged = app
        .post_raw("/oauth2/token", "application/x-www-form-urlencoded", body)
        .await;
    let tokens = ok(exchanged).await;
    let id = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["tier"], "gold", "{id}");
    assert_eq!(id["cognito:username"], "mo");
    assert_eq!(sources(host.take().await), ["TokenGeneration_HostedAuth"]);
    app.stop().await;
}

async fn pre_token_generation_v1_changes_the_id_token_but_never_reserved_claims(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_token_generation: Some(arn("tokens_v1")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "tokensone", config).await;
    app.create_user_with(
        &pool,
        "gus",
        PASSWORD,
        false,
        &[
            ("email", "gus@example.com"),
            ("phone_number", "+15555550111"),
        ],
    )
    .await;
    ok(admin(
        &app,
        "CreateGroup",
        &json!({"UserPoolId": pool.id.as_str(), "GroupName": "staff"}),
    )
    .await)
    .await;
    ok(admin(
        &app,
        "AdminAddUserToGroup",
        &json!({"UserPoolId": pool.id.as_str(), "GroupName": "staff", "Username": "gus"}),
    )
    .await)
    .await;

    let tokens = app.sign_in("tokensone", "gus", PASSWORD).await;
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "TokenGeneration_Authentication",
        &pool,
        "gus",
        &client,
    );
    assert_eq!(record["seen"]["groups"], json!(["staff"]));
    assert_eq!(
        record["event"]["response"],
        json!({"claimsOverrideDetails": null})
    );
    let check = |tokens: &Value| {
        let id = jwt_part(tokens["IdToken"].as_str().unwrap(), 1);
        assert_eq!(id["tier"], "gold", "{id}");
        assert_eq!(id["email"], "override@example.com");
        assert!(id.get("phone_number").is_none(), "{id}");
        assert_eq!(id["cognito:groups"], json!(["from-trigger"]));
        assert_eq!(
            id["cognito:preferred_role"],
            "arn:aws:iam::123456789012:role/trigger"
        );
        // Reserved claims stay as Gatehouse made them.
        assert_ne!(id["sub"], "forged-sub");
        assert_eq!(id["cognito:username"], "gus");
        assert_eq!(id["aud"], client.as_str());
        // V1 leaves the access token's own claims alone (only the groups follow).
        let access = jwt_part(tokens["AccessToken"].as_str().unwrap(), 1);
        assert!(access.get("tier").is_none(), "{access}");
        assert_eq!(access["cognito:groups"], json!(["from-trigger"]));
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    };
    check(&tokens);

    // Refresh: its own source, the same changes.
    let refreshed = app.refresh(tokens["RefreshToken"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    check(&refreshed["cognitoToken"]["AuthenticationResult"]);
    let record = &host.take().await[0];
    assert_eq!(
        record["seen"]["trigger_source"],
        "TokenGeneration_RefreshTokens"
    );
    app.stop().await;
}

async fn pre_token_generation_v2_changes_both_tokens_and_the_scopes(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        pre_token_generation_config: Some(VersionedLambda {
            lambda_version: "V2_0".into(),
            lambda_arn: arn("tokens_v2"),
        }),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "tokenstwo", config).await;
    app.create_user_with(
        &pool,
        "hal",
        PASSWORD,
        false,
        &[("email", "hal@example.com")],
    )
    .await;
    let tokens = ok(cognito(
        &app,
        "InitiateAuth",
        &json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "hal", "PASSWORD": PASSWORD}}),
    )
    .await)
    .await["AuthenticationResult"]
        .clone();
    let record = &host.take().await[0];
    assert_eq!(
        record["seen"]["trigger_source"],
        "TokenGeneration_Authentication"
    );
    assert_eq!(record["seen"]["version"], "2");
    assert_eq!(
        record["seen"]["scopes"],
        json!(["aws.cognito.signin.user.admin"])
    );
    let id = jwt_part(tokens["IdToken"].as_str().unwrap(), 1);
    assert_eq!(id["tier"], json!({"level": 3, "tags": ["a", "b"]}));
    assert!(id.get("email").is_none(), "{id}");
    assert_ne!(id["iss"], "forged");
    let access = jwt_part(tokens["AccessToken"].as_str().unwrap(), 1);
    assert_eq!(access["org"], json!(["north", "south"]));
    assert_eq!(access["client_id"], client.as_str());
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["scope"], "api/read");
    app.stop().await;
}

async fn failing_functions_fail_the_operation_with_cognitos_errors(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let cases = [
        (
            "throws",
            "UserLambdaValidationException",
            "PreSignUp failed with error No sign-ups from this domain.",
        ),
        (
            "sleeps",
            "UnexpectedLambdaException",
            "PreSignUp invocation failed due to error TimeoutError.",
        ),
        (
            "malformed",
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output",
        ),
        (
            "down",
            "UnexpectedLambdaException",
            "PreSignUp invocation failed due to error AccessDeniedException.",
        ),
        (
            "no_such_function",
            "UnexpectedLambdaException",
            "PreSignUp invocation failed due to error AccessDeniedException.",
        ),
    ];
    for (index, (function, type_, message)) in cases.into_iter().enumerate() {
        let config = LambdaConfig {
            pre_sign_up: Some(arn(function)),
            pre_token_generation: Some(arn(function)),
            ..LambdaConfig::default()
        };
        let name = format!("failing{index}");
        let (pool, client) = pool_with(&app, &name, config).await;
        assert_error(
            cognito(
                &app,
                "SignUp",
                &json!({"ClientId": client, "Username": "ivy", "Password": PASSWORD}),
            )
            .await,
            type_,
            message,
        )
        .await;
        assert!(!user_exists(&app, &pool, "ivy").await, "{function}");

        // The same failure ends a sign-in before any token is issued.
        app.create_user(&pool, "jo", false).await;
        let refused = app.login(&name, "jo", PASSWORD).await;
        assert_eq!(refused.status(), 400, "{function}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["__type"], type_, "{body}");
        assert_eq!(
            body["message"],
            message.replace("PreSignUp", "PreTokenGeneration"),
            "{body}"
        );
    }
    app.stop().await;
}

async fn invocations_are_signed_when_keys_are_configured(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(
        backend,
        &host,
        Options {
            lambda_keys: Some(("AKIDLAMBDATEST".into(), "lambda/secret+key".into())),
            ..Options::default()
        },
    )
    .await;
    let config = LambdaConfig {
        pre_authentication: Some(arn("pre_authentication")),
        ..LambdaConfig::default()
    };
    let (pool, _) = pool_with(&app, "signed", config).await;
    app.create_user(&pool, "kim", false).await;
    app.sign_in("signed", "kim", PASSWORD).await;
    let record = &host.take().await[0];
    assert_eq!(record["signed"], true, "{record}");
    let authorization = record["authorization"].as_str().unwrap();
    assert!(
        authorization.contains("Credential=AKIDLAMBDATEST/")
            && authorization.contains("/us-east-1/lambda/aws4_request"),
        "{authorization}"
    );
    assert!(!authorization.contains("lambda/secret+key"));
    app.stop().await;
}

async fn a_slow_function_holds_up_only_the_sign_ins_that_call_it(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    // The function sleeps 3 s, within this server's time limit.
    let app = std::sync::Arc::new(
        app_with(
            backend,
            &host,
            Options {
                lambda_timeout_ms: Some(10_000),
                ..Options::default()
            },
        )
        .await,
    );
    slow_pool_with_users(&app, 6).await;
    let (fast, _) = app.create_pool("fastpool").await;
    app.create_user(&fast, "fay", false).await;

    // More sign-ins waiting on the function than the server has HTTP workers (2)...
    let waiting = spawn_sign_ins(&app, "slowpool", "sam", 6);
    // ...and the other pool's users still sign in, while all of those are in flight.
    for _ in 0..10 {
        app.sign_in("fastpool", "fay", PASSWORD).await;
    }
    assert!(
        waiting.iter().all(|task| !task.is_finished()),
        "the slow sign-ins answered before the fast ones: the test proves nothing"
    );
    for task in waiting {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(host.take().await.len(), 6);
}

async fn a_slow_function_cannot_keep_another_function_waiting_for_a_place(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    // Four places for calls in flight, three of which one function may hold; a call's time
    // limit (5 s) covers its wait for a place and the slow function's 3 s.
    let app = std::sync::Arc::new(
        app_with(
            backend,
            &host,
            Options {
                lambda_timeout_ms: Some(5_000),
                lambda_concurrency: Some(4),
                ..Options::default()
            },
        )
        .await,
    );
    slow_pool_with_users(&app, 50).await;
    let fast_config = LambdaConfig {
        pre_authentication: Some(arn("pre_authentication")),
        ..LambdaConfig::default()
    };
    let (fast, _) = pool_with(&app, "fastpool", fast_config).await;
    for index in 0..5 {
        app.create_user(&fast, &format!("fay{index}"), false).await;
    }

    // Fifty sign-ins call the slow function: three hold all the places it may take, the
    // others wait for one.
    let slow_sign_ins = spawn_sign_ins(&app, "slowpool", "sam", 50);
    let started = std::time::Instant::now();
    // Once those three are held and no sign-in is left at the password check, the other 47
    // are queued for a place.
    while host.in_flight().await < 3 || app.services.hasher.occupancy().0 > 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the slow function never held its places"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // The other pool's sign-ins, each calling its own function, take the place kept for other
    // functions: they all answer before any slow sign-in does (in one first-come queue they
    // waited behind all 47, until those reached their time limit).
    let fast_sign_ins = spawn_sign_ins(&app, "fastpool", "fay", 5);
    for task in fast_sign_ins {
        assert_eq!(task.await.unwrap(), 200);
    }
    let answered = slow_sign_ins
        .iter()
        .filter(|task| task.is_finished())
        .count();
    assert_eq!(
        answered, 0,
        "slow sign-ins answered before the other pool's"
    );
    // The three that held places signed in; the others answer 200 or, past their time limit,
    // Cognito's UnexpectedLambdaException (400).
    let mut statuses = Vec::new();
    for task in slow_sign_ins {
        statuses.push(task.await.unwrap().as_u16());
    }
    assert!(
        statuses.iter().all(|status| [200, 400].contains(status)),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|status| **status == 200).count() >= 3,
        "{statuses:?}"
    );
    let calls = host.take().await;
    assert_eq!(
        calls
            .iter()
            .filter(|call| call["function"] == "pre_authentication")
            .count(),
        5
    );
}

const LEGACY_PASSWORD: &str = "Legacy-Passw0rd!";

async fn password_auth(
    app: &TestApp,
    client: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user, "PASSWORD": password},
                "ClientMetadata": {"app": "web"}}),
    )
    .await
}

async fn user_status(app: &TestApp, pool: &UserPool, name: &str) -> Value {
    ok(admin(
        app,
        "AdminGetUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": name}),
    )
    .await)
    .await
}

async fn user_migration_creates_the_user_a_sign_in_names(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        user_migration: Some(arn("user_migration")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "migrate", config).await;

    // InitiateAuth: the function gets the password and the metadata, and the user it
    // vouched for is created and signed in at once.
    let signed_in = ok(password_auth(&app, &client, "legacy-alice", LEGACY_PASSWORD).await).await;
    assert!(
        signed_in["AuthenticationResult"]["IdToken"].is_string(),
        "{signed_in}"
    );
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    assert_envelope(
        &invocations[0],
        "UserMigration_Authentication",
        &pool,
        "legacy-alice",
        &client,
    );
    let seen = &invocations[0]["seen"];
    assert_eq!(seen["password"], LEGACY_PASSWORD);
    assert_eq!(seen["validation_data"], json!({"app": "web"}));
    assert_eq!(seen["client_metadata"], json!({"app": "web"}));
    let alice = user_status(&app, &pool, "legacy-alice").await;
    assert_eq!(alice["UserStatus"], "CONFIRMED");
    assert_eq!(attribute(&alice, "email"), Some("alice@legacy.example"));
    assert_eq!(attribute(&alice, "email_verified"), Some("true"));

    // Once migrated, the stored password is hers: no more calls, the wrong one is refused.
    ok(password_auth(&app, &client, "legacy-alice", LEGACY_PASSWORD).await).await;
    assert_error(
        password_auth(&app, &client, "legacy-alice", "Another-Passw0rd!").await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    assert!(host.take().await.is_empty());

    // A function that throws (unknown user, wrong legacy password) leaves the name unknown,
    // with the answer any unknown user gets.
    for (name, password) in [
        ("nobody", LEGACY_PASSWORD),
        ("legacy-bob", "Wrong-Passw0rd!"),
    ] {
        assert_error(
            password_auth(&app, &client, name, password).await,
            "NotAuthorizedException",
            "Incorrect username or password.",
        )
        .await;
        assert!(!user_exists(&app, &pool, name).await);
    }
    assert_eq!(host.take().await.len(), 2);

    // RESET_REQUIRED: created, and the sign-in asks for a new password as for any such user.
    assert_error(
        password_auth(&app, &client, "legacy-bob", LEGACY_PASSWORD).await,
        "PasswordResetRequiredException",
        "",
    )
    .await;
    assert_eq!(
        user_status(&app, &pool, "legacy-bob").await["UserStatus"],
        "RESET_REQUIRED"
    );

    // The login API and AdminInitiateAuth migrate too.
    app.sign_in("migrate", "legacy-carol", LEGACY_PASSWORD)
        .await;
    ok(admin(
        &app,
        "AdminInitiateAuth",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": client,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "legacy-dave", "PASSWORD": LEGACY_PASSWORD}}),
    )
    .await)
    .await;
    let invocations = host.take().await;
    let users: Vec<&Value> = invocations
        .iter()
        .map(|r| &r["seen"]["user_name"])
        .collect();
    assert_eq!(users, ["legacy-bob", "legacy-carol", "legacy-dave"]);
    assert!(user_exists(&app, &pool, "legacy-carol").await);
    assert!(user_exists(&app, &pool, "legacy-dave").await);
    app.stop().await;
}

async fn parallel_sign_ins_of_one_migrating_user_create_one_user(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        user_migration: Some(arn("user_migration")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "migrate-burst", config).await;
    let attempts = (0..50).map(|_| password_auth(&app, &client, "legacy-erin", LEGACY_PASSWORD));
    let mut signed_in = 0;
    for response in futures_util::future::join_all(attempts).await {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        match status {
            200 => signed_in += 1,
            // Attempts beyond the lockout's free failures (counted before the password is
            // checked) are refused before any call; every other one signs in, including those
            // that lost the race to create the user.
            _ => {
                assert_eq!(body["__type"], "NotAuthorizedException", "{body}");
                assert_eq!(body["message"], "Password attempts exceeded", "{body}");
            }
        }
    }
    assert!(signed_in >= 1);
    // Only attempts that found no user called the function, and each of them signed in.
    let calls = host.take().await.len();
    assert!(
        (1..=signed_in).contains(&calls),
        "{calls} calls, {signed_in} sign-ins"
    );
    let listed = ok(admin(
        &app,
        "ListUsers",
        &json!({"UserPoolId": pool.id.as_str(), "Filter": "username = \"legacy-erin\""}),
    )
    .await)
    .await;
    assert_eq!(listed["Users"].as_array().unwrap().len(), 1, "{listed}");
    ok(password_auth(&app, &client, "legacy-erin", LEGACY_PASSWORD).await).await;
    app.stop().await;
}

async fn forgot_password_migrates_the_user_without_a_password(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        user_migration: Some(arn("user_migration")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "migrate-reset", config).await;

    // An unknown name the function does not know: the simulated delivery any unknown user
    // gets, and nobody is created.
    let unknown = ok(cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": "nobody"}),
    )
    .await)
    .await;
    assert!(unknown["CodeDeliveryDetails"].is_object(), "{unknown}");
    assert!(!user_exists(&app, &pool, "nobody").await);
    host.take().await;

    // A legacy user: created without a password, RESET_REQUIRED, and the code is sent.
    let sent = ok(cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client, "Username": "legacy-frank"}),
    )
    .await)
    .await;
    assert_eq!(
        sent["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL",
        "{sent}"
    );
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    assert_envelope(
        &invocations[0],
        "UserMigration_ForgotPassword",
        &pool,
        "legacy-frank",
        &client,
    );
    // No password in this event.
    assert!(
        invocations[0]["event"]["request"].get("password").is_none(),
        "{}",
        invocations[0]
    );
    let frank = user_status(&app, &pool, "legacy-frank").await;
    assert_eq!(frank["UserStatus"], "RESET_REQUIRED");
    let code = newest_code(&app, "frank@legacy.example").await;
    ok(cognito(
        &app,
        "ConfirmForgotPassword",
        &json!({"ClientId": client, "Username": "legacy-frank", "ConfirmationCode": code,
                "Password": "Brand-New-Secret-7"}),
    )
    .await)
    .await;
    ok(password_auth(&app, &client, "legacy-frank", "Brand-New-Secret-7").await).await;
    // The old system's password never became his.
    assert_error(
        password_auth(&app, &client, "legacy-frank", LEGACY_PASSWORD).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    app.stop().await;
}

/// The newest message to `destination`.
async fn newest_message(
    app: &TestApp,
    destination: &str,
) -> gatehouse::domain::message::MessageContent {
    let messages = app
        .services
        .outbox(&gatehouse::store::OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 1,
        })
        .await
        .unwrap();
    messages
        .first()
        .expect("a message was sent")
        .content
        .clone()
}

async fn custom_message_words_the_messages_and_never_sees_the_code(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let config = LambdaConfig {
        custom_message: Some(arn("custom_message")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(&app, "wording", config).await;

    // SignUp: the function's wording, the code filled in where it put the placeholder.
    ok(cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client, "Username": "cora", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "cora@example.com"}]}),
    )
    .await)
    .await;
    let message = newest_message(&app, "cora@example.com").await;
    let code = newest_code(&app, "cora@example.com").await;
    assert_eq!(message.subject, "Custom CustomMessage_SignUp");
    assert_eq!(message.text, format!("Hello cora, your code is {code}."));
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    let record = &invocations[0];
    assert_eq!(record["seen"]["trigger_source"], "CustomMessage_SignUp");
    assert_eq!(record["seen"]["code_parameter"], "{####}");
    assert_eq!(record["seen"]["username_parameter"], Value::Null);
    assert_eq!(
        record["seen"]["user_attributes"]["email"],
        "cora@example.com"
    );
    assert!(!record["event"].to_string().contains(&code), "{record}");

    // ResendConfirmationCode: its own source.
    ok(cognito(
        &app,
        "ResendConfirmationCode",
        &json!({"ClientId": client, "Username": "cora"}),
    )
    .await)
    .await;
    let message = newest_message(&app, "cora@example.com").await;
    assert_eq!(message.subject, "Custom CustomMessage_ResendCode");
    let code = newest_code(&app, "cora@example.com").await;
    let record = &host.take().await[0];
    assert_eq!(record["seen"]["trigger_source"], "CustomMessage_ResendCode");
    assert!(!record["event"].to_string().contains(&code), "{record}");

    // AdminCreateUser: the user name's placeholder too; the temporary password never goes
    // to the function.
    ok(admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "dina",
                "TemporaryPassword": "Temp-Passw0rd-42",
                "UserAttributes": [{"Name": "email", "Value": "dina@example.com"}]}),
    )
    .await)
    .await;
    let message = newest_message(&app, "dina@example.com").await;
    assert_eq!(message.subject, "Custom CustomMessage_AdminCreateUser");
    assert_eq!(message.text, "Hello dina, your code is Temp-Passw0rd-42.");
    let record = &host.take().await[0];
    assert_eq!(
        record["seen"]["trigger_source"],
        "CustomMessage_AdminCreateUser"
    );
    assert_eq!(record["seen"]["username_parameter"], "{username}");
    assert!(
        !record["event"].to_string().contains("Temp-Passw0rd-42"),
        "{record}"
    );

    // An answer without the code's placeholder is refused, as Cognito refuses it.
    let config = LambdaConfig {
        custom_message: Some(arn("custom_message_without_code")),
        ..LambdaConfig::default()
    };
    let (_, client) = pool_with(&app, "wording-bad", config).await;
    assert_error(
        cognito(
            &app,
            "SignUp",
            &json!({"ClientId": client, "Username": "cora", "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": "cora2@example.com"}]}),
        )
        .await,
        "InvalidLambdaResponseException",
        "Unrecognizable lambda output",
    )
    .await;
    app.stop().await;
}

const ALICE_EMAIL: &str = "alice@example.com";
const BOB_PHONE: &str = "+15555550123";
const CAROL_PHONE: &str = "+15555550199";
const DORA_EMAIL: &str = "dora@example.com";

/// A pool whose sign-in codes its `CustomMessage` function words: MFA `OPTIONAL` with e-mail
/// and SMS codes (and the pool's own wording, which the function replaces). Alice and dora
/// get e-mail codes, bob texted ones; carol has both and chooses.
async fn sign_in_code_pool(app: &TestApp) -> (UserPool, String) {
    let config = LambdaConfig {
        custom_message: Some(arn("sign_in_code_message")),
        ..LambdaConfig::default()
    };
    let (pool, client) = pool_with(app, "codewords", config).await;
    let users: [(&str, &[(&str, &str)]); 4] = [
        (
            "alice",
            &[("email", ALICE_EMAIL), ("email_verified", "true")],
        ),
        (
            "bob",
            &[
                ("phone_number", BOB_PHONE),
                ("phone_number_verified", "true"),
            ],
        ),
        (
            "carol",
            &[
                ("email", "carol@example.com"),
                ("email_verified", "true"),
                ("phone_number", CAROL_PHONE),
                ("phone_number_verified", "true"),
            ],
        ),
        ("dora", &[("email", DORA_EMAIL), ("email_verified", "true")]),
    ];
    for (name, attributes) in users {
        app.create_user_with(&pool, name, PASSWORD, false, attributes)
            .await;
    }
    ok(admin(
        app,
        "SetUserPoolMfaConfig",
        &json!({"UserPoolId": pool.id.as_str(), "MfaConfiguration": "OPTIONAL",
                "EmailMfaConfiguration": {"Message": "Pool code {####}", "Subject": "Pool"},
                "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Pool SMS {####}"}}),
    )
    .await)
    .await;
    let factors: [(&str, &[&str]); 4] = [
        ("alice", &["EmailMfaSettings"]),
        ("bob", &["SMSMfaSettings"]),
        ("carol", &["EmailMfaSettings", "SMSMfaSettings"]),
        ("dora", &["EmailMfaSettings"]),
    ];
    for (name, settings) in factors {
        let mut request = json!({"UserPoolId": pool.id.as_str(), "Username": name});
        for setting in settings {
            request[*setting] = json!({"Enabled": true});
        }
        ok(admin(app, "AdminSetUserMFAPreference", &request).await).await;
    }
    (pool, client)
}

/// Points the pool's `CustomMessage` member at `function`, keeping the rest of the pool.
async fn set_custom_message(app: &TestApp, pool: &UserPool, function: &str) {
    let mut pool = app.services.pool_by_id(&pool.id).await.unwrap().unwrap();
    pool.settings.lambda_config.custom_message = Some(arn(function));
    app.services
        .replace_pool_settings(&pool, pool.settings.clone())
        .await
        .unwrap();
}

/// `InitiateAuth` with the password, and `ClientMetadata` for the functions.
async fn code_sign_in(app: &TestApp, client: &str, user: &str) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD},
                "ClientMetadata": {"app": "web"}}),
    )
    .await
}

/// Answers an `EMAIL_OTP` or `SMS_MFA` challenge with `code`.
async fn answer_code(
    app: &TestApp,
    client: &str,
    (challenge, user): (&str, &str),
    session: &str,
    code: &str,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ClientId": client, "ChallengeName": challenge, "Session": session,
                "ChallengeResponses": {"USERNAME": user,
                                       format!("{challenge}_CODE"): code}}),
    )
    .await
}

/// Every message sent to `destination`, newest first.
async fn messages_to(
    app: &TestApp,
    destination: &str,
) -> Vec<gatehouse::domain::message::MessageContent> {
    app.services
        .outbox(&gatehouse::store::OutboxFilter {
            pool: None,
            destination: Some(destination.into()),
            limit: 200,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect()
}

/// Open sign-in challenges, straight from the database.
async fn stored_challenges(app: &TestApp) -> i64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&app.database_url())
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_challenges")
        .fetch_one(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    count
}

fn session_of(challenge: &Value) -> String {
    challenge["Session"].as_str().unwrap().to_owned()
}

async fn custom_message_words_sign_in_codes_and_never_sees_them(backend: Db) {
    use crate::mfa_email::newest_code as sign_in_code;
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let (pool, client) = sign_in_code_pool(&app).await;

    // EMAIL_OTP: the function's subject and wording, the code where it put the placeholder.
    let challenge = ok(code_sign_in(&app, &client, "alice").await).await;
    assert_eq!(challenge["ChallengeName"], "EMAIL_OTP", "{challenge}");
    let code = sign_in_code(&app, ALICE_EMAIL, 8).await;
    let message = newest_message(&app, ALICE_EMAIL).await;
    assert_eq!(message.subject, "Sign-in to web");
    assert_eq!(
        message.text,
        format!("alice, enter {code} to sign in (web).")
    );
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1, "{invocations:?}");
    let record = &invocations[0];
    assert_envelope(
        record,
        "CustomMessage_Authentication",
        &pool,
        "alice",
        &client,
    );
    let seen = &record["seen"];
    assert_eq!(seen["code_parameter"], "{####}");
    assert_eq!(seen["username_parameter"], Value::Null);
    assert_eq!(seen["link_parameter"], Value::Null);
    assert_eq!(seen["user_attributes"]["email"], ALICE_EMAIL);
    assert_eq!(seen["user_attributes"]["email_verified"], "true");
    assert_eq!(seen["user_attributes"]["cognito:user_status"], "CONFIRMED");
    assert_eq!(seen["client_metadata"], json!({"app": "web"}));
    assert_eq!(
        seen["request_members"],
        json!([
            "clientMetadata",
            "codeParameter",
            "linkParameter",
            "userAttributes",
            "usernameParameter"
        ])
    );
    assert_eq!(
        record["event"]["response"],
        json!({"smsMessage": null, "emailMessage": null, "emailSubject": null})
    );
    // The function never sees the code, nor the password.
    let event = record["event"].to_string();
    assert!(
        !event.contains(&code) && !event.contains(PASSWORD),
        "{event}"
    );
    let tokens = ok(answer_code(
        &app,
        &client,
        ("EMAIL_OTP", "alice"),
        &session_of(&challenge),
        &code,
    )
    .await)
    .await;
    assert!(tokens["AuthenticationResult"]["IdToken"].is_string());
    // Answering a code words no message.
    assert!(host.take().await.is_empty());

    // SMS_MFA: the function's text message.
    let challenge = ok(code_sign_in(&app, &client, "bob").await).await;
    assert_eq!(challenge["ChallengeName"], "SMS_MFA", "{challenge}");
    let code = sign_in_code(&app, BOB_PHONE, 6).await;
    assert_eq!(
        newest_message(&app, BOB_PHONE).await.text,
        format!("Sign-in code {code} for bob")
    );
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "CustomMessage_Authentication",
        &pool,
        "bob",
        &client,
    );
    assert!(!record["event"].to_string().contains(&code), "{record}");
    let tokens = ok(answer_code(
        &app,
        &client,
        ("SMS_MFA", "bob"),
        &session_of(&challenge),
        &code,
    )
    .await)
    .await;
    assert!(tokens["AuthenticationResult"]["AccessToken"].is_string());

    // The login API: its pool's client calls, with no metadata.
    let body = ok(app.login("codewords", "alice", PASSWORD).await).await;
    assert_eq!(body["cognitoToken"]["ChallengeName"], "EMAIL_OTP", "{body}");
    assert_eq!(
        newest_message(&app, ALICE_EMAIL).await.subject,
        "Sign-in to no app"
    );
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "CustomMessage_Authentication",
        &pool,
        "alice",
        &client,
    );
    assert_eq!(record["seen"]["client_metadata"], json!({}));

    // SELECT_MFA_TYPE: no code until carol chooses; the chosen factor's code is worded.
    let challenge = ok(code_sign_in(&app, &client, "carol").await).await;
    assert_eq!(challenge["ChallengeName"], "SELECT_MFA_TYPE", "{challenge}");
    assert!(host.take().await.is_empty());
    let chosen = ok(cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ClientId": client, "ChallengeName": "SELECT_MFA_TYPE",
                "Session": session_of(&challenge),
                "ChallengeResponses": {"USERNAME": "carol", "ANSWER": "SMS_MFA"}}),
    )
    .await)
    .await;
    assert_eq!(chosen["ChallengeName"], "SMS_MFA", "{chosen}");
    let code = sign_in_code(&app, CAROL_PHONE, 6).await;
    assert_eq!(
        newest_message(&app, CAROL_PHONE).await.text,
        format!("Sign-in code {code} for carol")
    );
    let record = &host.take().await[0];
    assert_envelope(
        record,
        "CustomMessage_Authentication",
        &pool,
        "carol",
        &client,
    );
    assert!(!record["event"].to_string().contains(&code), "{record}");
    ok(answer_code(
        &app,
        &client,
        ("SMS_MFA", "carol"),
        &session_of(&chosen),
        &code,
    )
    .await)
    .await;
    app.stop().await;
}

async fn a_failing_sign_in_code_function_fails_the_sign_in_and_stores_nothing(backend: Db) {
    use crate::mfa_email::newest_code as sign_in_code;
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let (pool, client) = sign_in_code_pool(&app).await;
    // A challenge made while the function still worked: its code stays live throughout.
    let earlier = ok(code_sign_in(&app, &client, "alice").await).await;
    let earlier_code = sign_in_code(&app, ALICE_EMAIL, 8).await;
    // Carol is at SELECT_MFA_TYPE: choosing a sent-code factor words its message.
    let selecting = ok(code_sign_in(&app, &client, "carol").await).await;
    host.take().await;
    let challenges = stored_challenges(&app).await;
    let select = |session: String| {
        let (app, client) = (&app, client.clone());
        async move {
            cognito(
                app,
                "RespondToAuthChallenge",
                &json!({"ClientId": client, "ChallengeName": "SELECT_MFA_TYPE",
                        "Session": session,
                        "ChallengeResponses": {"USERNAME": "carol", "ANSWER": "EMAIL_OTP"}}),
            )
            .await
        }
    };

    let cases = [
        (
            "throws",
            "UserLambdaValidationException",
            "CustomMessage failed with error No sign-ups from this domain.",
        ),
        (
            "custom_message_without_code",
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output",
        ),
        (
            "down",
            "UnexpectedLambdaException",
            "CustomMessage invocation failed due to error AccessDeniedException.",
        ),
    ];
    for (function, type_, message) in cases {
        set_custom_message(&app, &pool, function).await;
        // E-mail and SMS codes (an answer without {####} in either is refused), and a
        // factor chosen at SELECT_MFA_TYPE.
        for user in ["alice", "bob"] {
            assert_error(code_sign_in(&app, &client, user).await, type_, message).await;
        }
        assert_error(select(session_of(&selecting)).await, type_, message).await;
    }
    // The login API answers with the same error.
    set_custom_message(&app, &pool, "throws").await;
    let refused = app.login("codewords", "bob", PASSWORD).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["__type"], "UserLambdaValidationException", "{body}");

    // Nothing was stored or sent: no challenge, no code, no message.
    assert_eq!(stored_challenges(&app).await, challenges);
    assert_eq!(messages_to(&app, ALICE_EMAIL).await.len(), 1);
    assert!(messages_to(&app, BOB_PHONE).await.is_empty());
    assert!(messages_to(&app, "carol@example.com").await.is_empty());
    // Alice's earlier code was not replaced: it still answers its challenge.
    let tokens = ok(answer_code(
        &app,
        &client,
        ("EMAIL_OTP", "alice"),
        &session_of(&earlier),
        &earlier_code,
    )
    .await)
    .await;
    assert!(tokens["AuthenticationResult"]["IdToken"].is_string());
    // Carol's choosing session was not spent (it holds no code): once the function works,
    // the same choice goes through.
    set_custom_message(&app, &pool, "sign_in_code_message").await;
    let chosen = ok(select(session_of(&selecting)).await).await;
    assert_eq!(chosen["ChallengeName"], "EMAIL_OTP", "{chosen}");
    let code = sign_in_code(&app, "carol@example.com", 8).await;
    ok(answer_code(
        &app,
        &client,
        ("EMAIL_OTP", "carol"),
        &session_of(&chosen),
        &code,
    )
    .await)
    .await;

    // Bob's refused sign-ins proved the password but not the code: each counted toward the
    // lockout, as a sign-in waiting for its code does, so a failing function wipes no count
    // of wrong codes. Four refusals and this fifth attempt reach the free failures...
    let challenge = ok(code_sign_in(&app, &client, "bob").await).await;
    let code = sign_in_code(&app, BOB_PHONE, 6).await;
    assert_error(
        answer_code(
            &app,
            &client,
            ("SMS_MFA", "bob"),
            &session_of(&challenge),
            &code,
        )
        .await,
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    .await;
    // ...and once the short lock has run out, the code still answers.
    app.clock.advance(2);
    ok(answer_code(
        &app,
        &client,
        ("SMS_MFA", "bob"),
        &session_of(&challenge),
        &code,
    )
    .await)
    .await;
    app.stop().await;
}

async fn a_burst_of_sign_ins_sends_worded_codes_only_as_the_lockout_allows(backend: Db) {
    use crate::mfa_email::newest_code as sign_in_code;
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let (_, client) = sign_in_code_pool(&app).await;

    // 50 parallel sign-ins of dora with her password: each one the lockout lets through
    // (a sign-in waiting for its code counts until the code is proven) gets a challenge,
    // one call and one worded message; the others are refused before any call.
    let responses =
        futures_util::future::join_all((0..50).map(|_| code_sign_in(&app, &client, "dora"))).await;
    let mut sessions = Vec::new();
    for response in responses {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            assert_eq!(body["ChallengeName"], "EMAIL_OTP", "{body}");
            sessions.push(session_of(&body));
        } else {
            assert_eq!(body["__type"], "NotAuthorizedException", "{body}");
            assert_eq!(body["message"], "Password attempts exceeded", "{body}");
        }
    }
    assert!((1..=5).contains(&sessions.len()), "{}", sessions.len());
    let invocations = host.take().await;
    assert_eq!(invocations.len(), sessions.len());
    let messages = messages_to(&app, DORA_EMAIL).await;
    assert_eq!(messages.len(), sessions.len());
    for message in &messages {
        let code = message
            .text
            .strip_prefix("dora, enter ")
            .and_then(|rest| rest.strip_suffix(" to sign in (web)."))
            .unwrap_or_else(|| panic!("{:?}", message.text));
        assert!(code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            invocations
                .iter()
                .all(|r| !r["event"].to_string().contains(code))
        );
    }

    // Once the counter is forgotten, a new sign-in gets a new worded code, and a burst of
    // 50 answers with it signs in once.
    app.clock.advance(901);
    let challenge = ok(code_sign_in(&app, &client, "dora").await).await;
    let code = sign_in_code(&app, DORA_EMAIL, 8).await;
    assert_eq!(host.take().await.len(), 1);
    let session = session_of(&challenge);
    let answers = futures_util::future::join_all(
        (0..50).map(|_| answer_code(&app, &client, ("EMAIL_OTP", "dora"), &session, &code)),
    )
    .await;
    let accepted = answers.iter().filter(|r| r.status() == 200).count();
    assert_eq!(accepted, 1, "one code, one sign-in");
    assert!(host.take().await.is_empty());
    app.stop().await;
}

/// A pool whose `PreTokenGeneration` is `function` in `version`, with the resource servers
/// `orders` and `billing`, and a service client allowed `orders/read` and `orders/write`.
async fn m2m_pool(
    app: &TestApp,
    name: &str,
    version: &str,
    function: &str,
) -> (UserPool, String, String) {
    use crate::oauth2_token::{resource_servers, service_client};
    let config = LambdaConfig {
        pre_token_generation_config: Some(VersionedLambda {
            lambda_version: version.into(),
            lambda_arn: arn(function),
        }),
        ..LambdaConfig::default()
    };
    let (pool, _) = pool_with(app, name, config).await;
    resource_servers(app, &pool).await;
    let (client, secret) = service_client(app, &pool, &["orders/read", "orders/write"]).await;
    (pool, client.id.to_string(), secret)
}

/// The `client_credentials` grant for `client`, with `extra` parameters.
async fn client_token(
    app: &TestApp,
    (client, secret): (&str, &str),
    extra: &[(&str, &str)],
) -> reqwest::Response {
    use crate::oauth2_token::{Auth, post_form};
    let mut params = vec![("grant_type", "client_credentials")];
    params.extend_from_slice(extra);
    post_form(app, "/oauth2/token", &Auth::Basic(client, secret), &params).await
}

async fn pre_token_generation_v3_changes_client_credentials_tokens(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;
    let (pool, client, secret) = m2m_pool(&app, "machines", "V3_0", "tokens_v3").await;

    let body = ok(client_token(
        &app,
        (&client, &secret),
        &[
            ("scope", "orders/read orders/write"),
            ("aws_client_metadata", r#"{"tenant":"acme","env":"dev"}"#),
        ],
    )
    .await)
    .await;
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let access = jwt_part(body["access_token"].as_str().unwrap(), 1);
    // The function's claims, any JSON value, and its scope changes.
    assert_eq!(access["tenant"], "acme", "{access}");
    assert_eq!(
        access["limits"],
        json!({"rps": 10, "regions": ["eu", "us"]})
    );
    assert_eq!(access["scope"], "orders/read billing/charge");
    // Reserved claims stay as Gatehouse made them; nothing for an ID token or groups.
    assert_eq!(access["client_id"], client.as_str());
    assert_eq!(access["sub"], client.as_str());
    assert_eq!(access["version"], 2);
    assert_eq!(access["token_use"], "access");
    for claim in ["jti", "iss", "iat", "exp", "auth_time"] {
        assert!(access.get(claim).is_some(), "{claim} in {access}");
    }
    assert!(access.get("id_only").is_none(), "{access}");
    assert!(access.get("cognito:groups").is_none(), "{access}");
    assert!(access.get("username").is_none(), "{access}");

    // The event: no user, the client in its place; read raw (no data class has it).
    let invocations = host.take().await;
    assert_eq!(invocations.len(), 1);
    let seen = &invocations[0]["seen"];
    assert_eq!(seen["trigger_source"], "TokenGeneration_ClientCredentials");
    assert_eq!(seen["version"], "3");
    assert_eq!(seen["region"], "us-east-1");
    assert_eq!(seen["user_pool_id"], pool.id.as_str());
    assert_eq!(seen["user_name"], client.as_str());
    assert_eq!(seen["aws_sdk_version"], "aws-sdk-unknown-unknown");
    assert_eq!(seen["client_id"], client.as_str());
    assert_eq!(seen["user_attributes"], json!({}));
    assert_eq!(
        seen["group_configuration"],
        json!({"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": null})
    );
    assert_eq!(seen["scopes"], json!(["orders/read", "orders/write"]));
    assert_eq!(
        seen["client_metadata"],
        json!({"tenant": "acme", "env": "dev"})
    );
    assert_eq!(
        seen["response"],
        json!({"claimsAndScopeOverrideDetails": null})
    );
    // The secret never reaches the function.
    assert!(!invocations[0]["event"].to_string().contains(&secret));

    // Without aws_client_metadata: {}; the default scopes are the client's.
    let body = ok(client_token(&app, (&client, &secret), &[]).await).await;
    let access = jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(access["tenant"], "none");
    let seen = &host.take().await[0]["seen"];
    assert_eq!(seen["client_metadata"], json!({}));
    assert_eq!(seen["scopes"], json!(["orders/read", "orders/write"]));

    // A user's sign-in in the same pool is a V3 event of its own source.
    app.create_user(&pool, "uma", false).await;
    app.sign_in("machines", "uma", PASSWORD).await;
    let record = &host.take().await[0];
    assert_eq!(
        record["seen"]["trigger_source"],
        "TokenGeneration_Authentication"
    );
    assert_eq!(record["seen"]["version"], "3");
    app.stop().await;
}

async fn client_credentials_call_only_v3_functions_and_fail_with_them(backend: Db) {
    use crate::oauth2_token::assert_oauth_error;
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;

    // V1_0 and V2_0 functions are for users' tokens: machine tokens are issued unchanged.
    for (name, version, function) in [("mone", "V1_0", "tokens_v1"), ("mtwo", "V2_0", "tokens_v2")]
    {
        let (_, client, secret) = m2m_pool(&app, name, version, function).await;
        let body = ok(client_token(&app, (&client, &secret), &[]).await).await;
        let access = jwt_part(body["access_token"].as_str().unwrap(), 1);
        assert_eq!(access["scope"], "orders/read orders/write", "{access}");
        assert!(access.get("org").is_none() && access.get("tier").is_none());
        assert!(host.take().await.is_empty(), "{version}");
    }

    let (_, client, secret) = m2m_pool(&app, "mthree", "V3_0", "tokens_v3").await;
    // The function's refusal: no token, Cognito's message in the description.
    let refused = client_token(
        &app,
        (&client, &secret),
        &[("aws_client_metadata", r#"{"refuse":"Unknown machine"}"#)],
    )
    .await;
    let body = assert_oauth_error(refused, 400, "invalid_grant").await;
    assert_eq!(
        body["error_description"],
        "PreTokenGeneration failed with error Unknown machine."
    );
    assert_eq!(host.take().await.len(), 1);
    // Metadata that is not a JSON object of strings is refused before any call.
    for metadata in [r#"{"tenant":1}"#, "tenant=acme", "[]"] {
        let refused = client_token(
            &app,
            (&client, &secret),
            &[("aws_client_metadata", metadata)],
        )
        .await;
        assert_oauth_error(refused, 400, "invalid_request").await;
    }
    assert!(host.take().await.is_empty());

    // A malformed answer, a slow function and one that is down issue no token either.
    for (index, (function, error, description)) in [
        ("malformed", "server_error", "Unrecognizable lambda output"),
        (
            "sleeps",
            "server_error",
            "PreTokenGeneration invocation failed due to error TimeoutError.",
        ),
        (
            "down",
            "server_error",
            "PreTokenGeneration invocation failed due to error AccessDeniedException.",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (_, client, secret) = m2m_pool(&app, &format!("mbad{index}"), "V3_0", function).await;
        let refused = client_token(&app, (&client, &secret), &[]).await;
        let body = assert_oauth_error(refused, 500, error).await;
        assert_eq!(body["error_description"], description, "{function}");
    }
    app.stop().await;
}

/// `serve --seed` with `LambdaFunctionUrls`: the real binary reaches a function at the URL the
/// file gives, with no GATEHOUSE_LAMBDA_ENDPOINT; a file naming something that is not a
/// function ARN stops the server before it starts, naming the file's key.
async fn a_seed_file_says_where_functions_live(backend: Db) {
    use crate::cli::Cli;
    use crate::logs::Server;
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let database = crate::support::TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    let seed_path = cli.dir.path().join("seed.json");
    let pool = |urls: Value| {
        json!({"LambdaFunctionUrls": urls, "Pools": [{"Name": "seeded",
            "LambdaConfig": {"PreTokenGeneration": arn("tokens_v1")},
            "Users": [{"Username": "alice", "Password": PASSWORD}]}]})
        .to_string()
    };
    std::fs::write(&seed_path, pool(json!({ arn("tokens_v1"): host.address }))).unwrap();
    let server = Server::start(&cli, &seed_path);
    let signed_in: Value = reqwest::Client::new()
        .post(format!("{}/Login", server.address))
        .json(&json!({"UserName": "alice", "TenantName": "seeded", "Password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = signed_in["cognitoToken"]["AuthenticationResult"]["IdToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed_in}"));
    assert_eq!(jwt_part(id_token, 1)["tier"], "gold");
    assert_eq!(host.take().await.len(), 1);
    server.stop();

    std::fs::write(&seed_path, pool(json!({"not-an-arn": host.address}))).unwrap();
    let refused = cli
        .command()
        .args(["serve", "--seed"])
        .arg(&seed_path)
        .env("GATEHOUSE_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("LambdaFunctionUrls (seed file)"), "{said}");
}
