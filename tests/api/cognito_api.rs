//! The Cognito JSON API: the envelope and dispatch over raw HTTP, and boto3 unchanged.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    errors_use_the_aws_json_envelope_and_status_400,
    boto3_signs_in_refreshes_and_signs_out_unchanged,
    boto3_administers_pools_clients_users_and_groups,
    unsigned_admin_requests_are_refused,
    browsers_may_call_the_public_api,
    the_aws_cli_session_of_the_readme_works,
    javascript_sdks_and_verifiers_work_unchanged,
    without_admin_keys_admin_operations_say_how_to_configure_them,
    refresh_on_a_secret_client_checks_the_secret_hash,
);

/// One Cognito API call, unsigned, as the public operations take them.
pub(crate) async fn call(app: &TestApp, operation: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/", app.address))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn assert_aws_error(response: reqwest::Response, status: u16, type_: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        format!("{type_}:").as_str()
    );
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    body
}

async fn errors_use_the_aws_json_envelope_and_status_400(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let sign_in = |password: &str| {
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
               "AuthParameters": {"USERNAME": "alice", "PASSWORD": password}})
    };
    let ok = call(&app, "InitiateAuth", &sign_in(PASSWORD)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "application/x-amz-json-1.1");
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["AuthenticationResult"]["TokenType"], "Bearer");
    assert!(body.get("cognitoToken").is_none());

    let wrong = assert_aws_error(
        call(&app, "InitiateAuth", &sign_in("Wrong-Horse-9")).await,
        400,
        "NotAuthorizedException",
    )
    .await;
    assert_eq!(wrong["message"], "Incorrect username or password.");
    assert_aws_error(
        call(
            &app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH"}),
        )
        .await,
        400,
        "InvalidParameterException",
    )
    .await;
    assert_aws_error(
        call(
            &app,
            "InitiateAuth",
            &json!({"AuthFlow": "BOGUS", "ClientId": "abc"}),
        )
        .await,
        400,
        "InvalidParameterException",
    )
    .await;
    assert_aws_error(
        call(&app, "AdminDeleteUserPool", &json!({})).await,
        400,
        "UnknownOperationException",
    )
    .await;
    assert_aws_error(
        call(&app, "GetUser", &json!({"AccessToken": "not.a.token"})).await,
        400,
        "NotAuthorizedException",
    )
    .await;
    let no_target = app.post_raw("/", "application/x-amz-json-1.1", "{}").await;
    assert_aws_error(no_target, 400, "UnknownOperationException").await;
    let browser_nulls = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
        "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD, "DEVICE_KEY": null}});
    assert_eq!(
        call(&app, "InitiateAuth", &browser_nulls).await.status(),
        200
    );
    app.stop().await;
}

/// A Python with boto3, or None (outside CI) after saying the test was skipped.
fn boto3_python() -> Option<String> {
    crate::helpers::python_with("boto3")
}

async fn boto3_signs_in_refreshes_and_signs_out_unchanged(backend: Db) {
    let Some(python) = boto3_python() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "alice",
        PASSWORD,
        false,
        &[("email", "alice@example.com")],
    )
    .await;
    app.create_user_with(&pool, "bob", "Temporary-Pass-1", true, &[])
        .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/boto3_cognito.py"
    );
    let endpoint = app.address.clone();
    let client_id = client.id.to_string();
    let mut boto3 = Command::new(python);
    boto3.arg(script).args([&endpoint, &client_id]);
    crate::helpers::run_client(boto3, "boto3: all checks passed").await;
    app.stop().await;
}

async fn unsigned_admin_requests_are_refused(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let response = call(&app, "ListUserPools", &json!({"MaxResults": 10})).await;
    let body = assert_aws_error(response, 403, "MissingAuthenticationTokenException").await;
    assert_eq!(body["message"], "Missing Authentication Token");
    let forged = app
        .client
        .post(format!("{}/", app.address))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.ListUserPools",
        )
        .header("Authorization", "AWS4-HMAC-SHA256 garbage")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_aws_error(forged, 403, "IncompleteSignatureException").await;
    app.stop().await;
}

/// Runs boto3_admin.py, moving the test clock whenever it asks.
async fn boto3_administers_pools_clients_users_and_groups(backend: Db) {
    use std::io::{BufRead, BufReader, Write};
    let Some(python) = boto3_python() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/boto3_admin.py");
    let endpoint = app.address.clone();
    let clock = app.clock.clone();
    let services = app.services.clone();
    let runtime = tokio::runtime::Handle::current();
    let (ok, transcript) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python)
            .arg(script)
            .args([
                &endpoint,
                crate::helpers::ADMIN_KEY_ID,
                crate::helpers::ADMIN_SECRET,
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
            if let Some(request) = line.strip_prefix("CODE ") {
                let (pool, user) = request.split_once(' ').unwrap();
                let pool_id = gatehouse::domain::ids::UserPoolId::parse(pool).unwrap();
                let username = gatehouse::domain::username::Username::parse(user).unwrap();
                let code = runtime.block_on(async {
                    let pool = services.store.pool_by_id(&pool_id).await.unwrap().unwrap();
                    services
                        .pending_confirmation_code(&pool, &username)
                        .await
                        .unwrap()
                        .unwrap()
                });
                writeln!(stdin, "{}", secrecy::ExposeSecret::expose_secret(&code)).unwrap();
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
    assert!(ok, "boto3 admin run failed:\n{transcript}");
    assert!(
        transcript.contains("boto3 admin: all checks passed"),
        "{transcript}"
    );
    app.stop().await;
}

async fn browsers_may_call_the_public_api(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/", app.address))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,x-amz-target,x-amz-user-agent,cache-control",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("x-amz-target"), "{allowed}");
    let response = app
        .client
        .post(format!("{}/", app.address))
        .header("Origin", "https://app.example")
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Wrong-Horse-9"}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("x-amzn-errortype") && exposed.contains("x-amzn-requestid"),
        "{exposed}"
    );
    let jwks = app
        .client
        .get(app.jwks_url(&pool))
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        jwks.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    app.stop().await;
}

async fn the_aws_cli_session_of_the_readme_works(backend: Db) {
    let Some(python) = boto3_python() else {
        return;
    };
    let bin = std::path::Path::new(&python)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    if !bin.join("aws").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide the AWS CLI: run ./scripts/test"
        );
        eprintln!("the AWS CLI is not installed next to {python}: skipped (run ./scripts/test)");
        return;
    }
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/aws_cli_session.sh"
    );
    let endpoint = app.address.clone();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut session = Command::new("bash");
    session
        .arg(script)
        .args([
            &endpoint,
            crate::helpers::ADMIN_KEY_ID,
            crate::helpers::ADMIN_SECRET,
        ])
        .env("PATH", path)
        .env("HOME", &work)
        .current_dir(&work);
    crate::helpers::run_client(session, "aws cli session: ok").await;
    app.stop().await;
}

/// The JS clients' directory, or None (outside CI) after saying the test was skipped.
pub(crate) fn js_clients() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/js");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node || !dir.join("node_modules").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the JS clients: run ./scripts/test"
        );
        eprintln!(
            "node or tests/clients/js/node_modules missing: JS client test skipped (run ./scripts/test)"
        );
        return None;
    }
    Some(dir)
}

async fn javascript_sdks_and_verifiers_work_unchanged(backend: Db) {
    let Some(dir) = js_clients() else {
        return;
    };
    let own = TestApp::spawn(backend).await;
    let aws = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            aws_issuer: true,
            ..Default::default()
        },
    )
    .await;
    let mut args = Vec::new();
    for app in [&own, &aws] {
        let (pool, client) = app.create_pool("acme").await;
        app.create_user(&pool, "alice", false).await;
        args.extend([
            app.address.clone(),
            pool.id.to_string(),
            client.id.to_string(),
        ]);
    }
    let mut node = Command::new("node");
    node.arg("cognito_clients.mjs").args(&args).current_dir(dir);
    crate::helpers::run_client(node, "js clients: all checks passed").await;
    own.stop().await;
    aws.stop().await;
}

async fn without_admin_keys_admin_operations_say_how_to_configure_them(backend: Db) {
    let database = crate::support::TestDatabase::create(backend).await.unwrap();
    for (insecure, expected) in [(false, 403), (true, 200)] {
        let mut settings = crate::helpers::test_settings(&database.url);
        settings.admin.admin_access_key_id = None;
        settings.admin.admin_secret_access_key = None;
        if insecure {
            settings.admin.admin_auth = gatehouse::config::AdminAuthSetting::InsecureNone;
        }
        let app = gatehouse::app::App::build(settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}/", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_handle_stops());
        let response = crate::helpers::http_client()
            .post(&address)
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "X-Amz-Target",
                "AWSCognitoIdentityProviderService.ListUserPools",
            )
            .body(r#"{"MaxResults": 10}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
        if !insecure {
            let body = assert_aws_error(response, 403, "AccessDeniedException").await;
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("GATEHOUSE_ADMIN_ACCESS_KEY_ID")
            );
        }
        handle.stop(true).await;
    }
}

async fn refresh_on_a_secret_client_checks_the_secret_hash(backend: Db) {
    use base64::Engine;
    use hmac::Mac;
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (client, secret) = app
        .services
        .create_app_client(
            &pool,
            gatehouse::manage::clients::NewAppClient {
                name: "backend".into(),
                generate_secret: true,
                validity: Default::default(),
                refresh_grace_seconds: 0,
                settings: Default::default(),
            },
        )
        .await
        .unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&secret.unwrap()).to_owned();
    let secret_hash = |username: &str| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(username.as_bytes());
        mac.update(client.id.as_str().as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    let signed_in = call(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash("alice")}}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let body: Value = signed_in.json().await.unwrap();
    let refresh = body["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh_with = |hash: Option<String>| {
        let mut parameters = json!({"REFRESH_TOKEN": refresh});
        if let Some(hash) = hash {
            parameters["SECRET_HASH"] = json!(hash);
        }
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client.id.to_string(), "AuthParameters": parameters})
    };
    for wrong in [
        None,
        Some("bm90IHRoZSBoYXNo".to_owned()),
        Some(secret_hash("mallory")),
    ] {
        let response = call(&app, "InitiateAuth", &refresh_with(wrong)).await;
        assert_aws_error(response, 400, "NotAuthorizedException").await;
    }
    let ok = call(
        &app,
        "InitiateAuth",
        &refresh_with(Some(secret_hash("alice"))),
    )
    .await;
    assert_eq!(ok.status(), 200);
    app.stop().await;
}
