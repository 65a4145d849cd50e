//! Self-registration: off by default for tenants and switchable per pool
//! (`AdminCreateUserConfig.AllowAdminCreateUserOnly`), and sign-up that does not tell who
//! exists beyond the one documented oracle, which is budgeted per address (issue #10, items
//! 4 and 5).

use std::time::Instant;

use gatehouse::domain::app_client::ClientSettings;
use gatehouse::domain::pool::UserPool;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::helpers::{PASSWORD, TestApp, comparable, test_settings};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(
    sign_up_is_refused_while_only_operators_create_users,
    create_and_update_user_pool_set_admin_create_user_config,
    cli_and_seed_pools_refuse_sign_up_unless_told_otherwise,
    confirm_sign_up_answers_every_user_that_is_not_unconfirmed_like_an_unknown_one,
    sign_ups_beyond_the_per_address_budget_get_429,
);

const NOT_PERMITTED: &str = "SignUp is not permitted for this user pool";

fn sign_up_body(client_id: &str, username: &str) -> Value {
    json!({"ClientId": client_id, "Username": username, "Password": PASSWORD,
           "UserAttributes": [{"Name": "email", "Value": "someone@example.com"}]})
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn sign_up_is_refused_while_only_operators_create_users(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let client_id = client.id.to_string();
    assert!(
        pool.settings
            .admin_create_user_config
            .allow_admin_create_user_only
    );

    // A burst of 50 parallel sign-ups: every one refused, nobody created.
    let burst = (0..50).map(|i| {
        let body = sign_up_body(&client_id, &format!("user{i}"));
        let app = &app;
        async move { error_of(cognito(app, "SignUp", &body).await).await }
    });
    for (status, body) in futures_util::future::join_all(burst).await {
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"__type": "NotAuthorizedException", "message": NOT_PERMITTED})
        );
    }
    assert_eq!(app.services.store.count_users(&pool.id).await.unwrap(), 0);

    // Switched on, the same request creates an UNCONFIRMED user.
    app.allow_self_sign_up(&pool).await;
    let response = cognito(&app, "SignUp", &sign_up_body(&client_id, "user0")).await;
    assert_eq!(response.status(), 200);
    let user = app
        .services
        .store
        .user_by_key(&pool.id, &crate::helpers::username_key("user0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status.as_str(), "UNCONFIRMED");
    app.stop().await;
}

async fn describe(app: &TestApp, pool_id: &str) -> Value {
    let response = admin(app, "DescribeUserPool", &json!({"UserPoolId": pool_id})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserPool"].clone()
}

/// A client for a pool made by `CreateUserPool`, which (as in Cognito) has none of its own.
async fn new_client_id(app: &TestApp, pool_id: &str) -> String {
    let response = admin(
        app,
        "CreateUserPoolClient",
        &json!({"UserPoolId": pool_id, "ClientName": "web"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_and_update_user_pool_set_admin_create_user_config(backend: Db) {
    let app = TestApp::spawn(backend).await;
    // CreateUserPool takes Cognito's default: anyone may sign up.
    let response = admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "open", "Policies": {"PasswordPolicy": {"MinimumLength": 12}}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.unwrap();
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["UserPool"]["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": false})
    );
    let client_id = new_client_id(&app, &pool_id).await;
    let long_password = json!({"ClientId": client_id, "Username": "erin",
                               "Password": "Long-Enough-Pass-1"});
    assert_eq!(cognito(&app, "SignUp", &long_password).await.status(), 200);

    // UpdateUserPool replaces the settings: AdminCreateUserConfig as given, the password
    // policy it leaves out back to Cognito's default.
    let response = admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    let described = describe(&app, &pool_id).await;
    assert_eq!(
        described["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": true})
    );
    assert_eq!(described["Policies"]["PasswordPolicy"]["MinimumLength"], 8);
    let (status, body) =
        error_of(cognito(&app, "SignUp", &sign_up_body(&client_id, "fay")).await).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some(NOT_PERMITTED))
    );

    // Left out, AdminCreateUserConfig returns to Cognito's default too.
    let response = admin(&app, "UpdateUserPool", &json!({"UserPoolId": pool_id})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        describe(&app, &pool_id).await["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": false})
    );

    // Created closed; bad input and unknown pools are clear errors.
    let response = admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "closed", "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}),
    )
    .await;
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["UserPool"]["AdminCreateUserConfig"],
        json!({"AllowAdminCreateUserOnly": true})
    );
    let (status, body) = error_of(
        admin(
            &app,
            "UpdateUserPool",
            &json!({"UserPoolId": "us-east-1_NoSuchPol"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
    for bad in [
        json!({"UserPoolId": pool_id, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": "yes"}}),
        json!({"UserPoolId": pool_id, "Policies": {"PasswordPolicy": {"MinimumLength": 5}}}),
    ] {
        let (status, body) = error_of(admin(&app, "UpdateUserPool", &bad).await).await;
        assert_eq!(
            (status, body["__type"].as_str()),
            (400, Some("InvalidParameterException")),
            "{bad}"
        );
    }
    app.stop().await;
}

async fn cli_and_seed_pools_refuse_sign_up_unless_told_otherwise(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(&["migrate"], "");
    let only_admins = |name: &str| -> bool {
        let shown: Value =
            serde_json::from_str(&cli.ok(&["pool", "show", name, "--json"], "")).unwrap();
        shown["Settings"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]
            .as_bool()
            .unwrap()
    };
    cli.ok(&["pool", "create", "closed"], "");
    assert!(only_admins("closed"));
    cli.ok(
        &[
            "pool",
            "create",
            "open",
            "--allow-admin-create-user-only",
            "false",
        ],
        "",
    );
    assert!(!only_admins("open"));
    cli.ok(
        &[
            "pool",
            "update",
            "closed",
            "--allow-admin-create-user-only",
            "false",
        ],
        "",
    );
    assert!(!only_admins("closed"));
    // An update that does not mention it keeps it.
    cli.ok(
        &["pool", "update", "closed", "--lockout-free-failures", "7"],
        "",
    );
    assert!(!only_admins("closed"));

    let seed = json!({"Pools": [
        {"Name": "seeded-closed"},
        {"Name": "seeded-open", "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false}},
    ]});
    let path = cli.dir.path().join("seed.json");
    std::fs::write(&path, seed.to_string()).unwrap();
    cli.ok(&["seed", path.to_str().unwrap()], "");
    assert!(only_admins("seeded-closed"));
    assert!(!only_admins("seeded-open"));
    // Re-seeding brings an existing tenant in line with the file.
    let seed = json!({"Pools": [
        {"Name": "seeded-open", "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}},
    ]});
    std::fs::write(&path, seed.to_string()).unwrap();
    cli.ok(&["seed", path.to_str().unwrap()], "");
    assert!(only_admins("seeded-open"));
}

async fn open_tenant(app: &TestApp) -> (UserPool, String) {
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    (pool, client.id.to_string())
}

async fn confirm_sign_up_answers_every_user_that_is_not_unconfirmed_like_an_unknown_one(
    backend: Db,
) {
    let app = TestApp::spawn(backend).await;
    let (pool, client_id) = open_tenant(&app).await;
    app.create_user(&pool, "confirmed", false).await;
    app.create_user(&pool, "temporary", true).await;
    let confirm = |username: &str| json!({"ClientId": client_id, "Username": username, "ConfirmationCode": "123456"});
    let unknown = comparable(cognito(&app, "ConfirmSignUp", &confirm("nobody")).await).await;
    assert_eq!(unknown.0, 400);
    assert!(
        unknown.2.contains("\"__type\":\"CodeMismatchException\""),
        "{unknown:?}"
    );
    for user in ["confirmed", "temporary"] {
        assert_eq!(
            comparable(cognito(&app, "ConfirmSignUp", &confirm(user)).await).await,
            unknown,
            "{user}"
        );
    }
    // A disabled user looks the same.
    app.services
        .store
        .set_enabled(
            &app.services
                .store
                .user_by_key(&pool.id, &crate::helpers::username_key("confirmed"))
                .await
                .unwrap()
                .unwrap()
                .sub,
            false,
            app.clock_now(),
        )
        .await
        .unwrap();
    assert_eq!(
        comparable(cognito(&app, "ConfirmSignUp", &confirm("confirmed")).await).await,
        unknown
    );

    // With existence errors not prevented (LEGACY), Cognito's own answers are kept.
    let (legacy, _) = app
        .services
        .create_app_client(
            &pool,
            gatehouse::manage::clients::NewAppClient {
                name: "legacy".into(),
                generate_secret: false,
                validity: gatehouse::domain::app_client::TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings: ClientSettings {
                    prevent_user_existence_errors: false,
                    ..ClientSettings::default()
                },
            },
        )
        .await
        .unwrap();
    let legacy_confirm = |username: &str| json!({"ClientId": legacy.id.to_string(), "Username": username, "ConfirmationCode": "123456"});
    let (_, body) =
        error_of(cognito(&app, "ConfirmSignUp", &legacy_confirm("temporary")).await).await;
    assert_eq!(
        body,
        json!({"__type": "NotAuthorizedException",
               "message": "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD"})
    );
    let (_, body) = error_of(cognito(&app, "ConfirmSignUp", &legacy_confirm("nobody")).await).await;
    assert_eq!(body["__type"], "UserNotFoundException");
    app.stop().await;
}

async fn sign_ups_beyond_the_per_address_budget_get_429(backend: Db) {
    const BUDGET: u32 = 5;
    let app = TestApp::spawn(backend).await;
    let (pool, client_id) = open_tenant(&app).await;
    app.create_user(&pool, "alice", false).await;
    let mut settings = test_settings(&app.database_url());
    settings.limits.sign_up_rate_per_ip = BUDGET;
    let server = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    let handle = server.handle();
    tokio::spawn(server.run_until_handle_stops());
    let http = crate::helpers::http_client();
    let sign_up = |body: Value| {
        http.post(format!("{address}/"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
            .body(body.to_string())
            .send()
    };

    // 50 parallel probes of a taken name: at most the budget learn it is taken.
    let started = Instant::now();
    let burst = (0..50).map(|_| {
        let probe = sign_up(sign_up_body(&client_id, "alice"));
        async move { error_of(probe.await.unwrap()).await }
    });
    let mut taken = 0;
    for (status, body) in futures_util::future::join_all(burst).await {
        match (status, body["__type"].as_str()) {
            (400, Some("UsernameExistsException")) => taken += 1,
            (429, Some("TooManyRequestsException")) => {}
            other => panic!("unexpected answer {other:?} {body}"),
        }
    }
    // The budget refills one request per 60/BUDGET seconds.
    let refilled = u32::try_from(started.elapsed().as_secs()).unwrap() / (60 / BUDGET);
    assert!(
        (1..=BUDGET + refilled).contains(&taken),
        "{taken} probes answered"
    );
    // Sent last, a free name is refused too: the 429 says nothing about the name.
    let response = sign_up(sign_up_body(&client_id, "fresh-name"))
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        app.services
            .store
            .user_by_key(&pool.id, &crate::helpers::username_key("fresh-name"))
            .await
            .unwrap()
            .is_none()
    );
    // Sign-ins have their own budget.
    let response = http
        .post(format!("{address}/Login"))
        .json(&json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    handle.stop(true).await;
    app.stop().await;
}
