//! Attribute trust (issue #10 item 1): users write only what their app client's
//! `WriteAttributes` allow, the new-password challenge only fills in what is missing, and
//! GetUser and ID tokens show only the client's `ReadAttributes`.

use std::time::{Duration, UNIX_EPOCH};

use futures_util::future::join_all;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::username::Username;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::cognito_api::call;
use crate::helpers::{PASSWORD, TestApp, assert_error, field, jwt_part};
use crate::hostile_input::sigv4_headers;
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(
    the_login_api_challenge_cannot_forge_attributes,
    the_cognito_api_challenge_cannot_forge_attributes,
    sign_up_cannot_claim_a_verified_address_or_unlisted_custom_attributes,
    clients_write_and_read_only_their_listed_attributes,
    a_changed_email_is_unverified_again,
    update_user_pool_client_round_trips_and_resets_what_it_omits,
    the_cli_and_the_seed_file_carry_both_lists,
    concurrent_attribute_writes_never_undo_each_other,
);

const TEMPORARY: &str = "Temporary-Pass-1";
const CHOSEN: &str = "Chosen-Password-2";
const AMZ_JSON: &str = "application/x-amz-json-1.1";
const UNAUTHORIZED: &str = "A client attempted to write unauthorized attribute";

/// A SigV4-signed admin call, as an AWS SDK makes it.
async fn admin(app: &TestApp, operation: &str, body: &Value) -> reqwest::Response {
    let url = format!("{}/", app.address);
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let body = body.to_string().into_bytes();
    let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(app.services.clock.now()).unwrap());
    let mut request = app
        .client
        .post(&url)
        .header("Content-Type", AMZ_JSON)
        .header("X-Amz-Target", &target);
    for (name, value) in sigv4_headers(&url, &host, AMZ_JSON, &target, &body, now) {
        request = request.header(name, value);
    }
    request.body(body).send().await.unwrap()
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// A Cognito API refusal: 400 with `__type` and message.
async fn refused(response: reqwest::Response, type_: &str, message: &str) {
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        format!("{type_}:").as_str()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

/// What an administrator set on alice: an unverified address and an ordinary role.
const ADMIN_SET: &[(&str, &str)] = &[
    ("email", "alice@corp.example"),
    ("email_verified", "false"),
    ("custom:role", "user"),
];

async fn attributes_of(app: &TestApp, pool: &UserPool, username: &str) -> Value {
    let user = app
        .services
        .find_user(pool, &Username::parse(username).unwrap())
        .await
        .unwrap();
    serde_json::to_value(user.attributes.as_map()).unwrap()
}

fn admin_set() -> Value {
    ADMIN_SET
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The forgeries of the issue, one per answer.
fn forgeries() -> Vec<(&'static str, &'static str, &'static str, u16)> {
    // (attribute, forged value, expected message, login-API status)
    vec![
        ("email_verified", "true", UNAUTHORIZED, 401),
        ("custom:role", "admin", UNAUTHORIZED, 401),
        (
            "email",
            "eve@attacker.example",
            "Cannot modify an already provided email",
            401,
        ),
    ]
}

fn login_answer(session: &Value, extra: &[(&str, &str)]) -> Value {
    let mut responses = json!({"NEW_PASSWORD": CHOSEN});
    for (name, value) in extra {
        responses[format!("userAttributes.{name}")] = json!(value);
    }
    json!({
        "TenantName": "acme",
        "UserName": "alice",
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeResponses": responses,
    })
}

async fn the_login_api_challenge_cannot_forge_attributes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user_with(&pool, "alice", TEMPORARY, true, ADMIN_SET)
        .await;
    let challenge: Value = app
        .login("acme", "alice", TEMPORARY)
        .await
        .json()
        .await
        .unwrap();
    let session = &challenge["cognitoToken"]["Session"];

    for (name, value, message, status) in forgeries() {
        assert_error(
            app.respond_to_challenge(&login_answer(session, &[(name, value)]))
                .await,
            status,
            "NotAuthorizedException",
            message,
        )
        .await;
    }
    // A burst of forged answers at once: none gets through, and none spends the session.
    let burst = (0..50).map(|i| {
        let (name, value, _, _) = forgeries()[i % 3];
        let body = login_answer(session, &[("given_name", "Alice"), (name, value)]);
        let app = &app;
        async move { app.respond_to_challenge(&body).await.status().as_u16() }
    });
    assert!(join_all(burst).await.iter().all(|s| *s == 401));
    assert_eq!(attributes_of(&app, &pool, "alice").await, admin_set());

    // The honest answer, sent last, fills in what is missing and nothing else.
    let response = app
        .respond_to_challenge(&login_answer(session, &[("given_name", "Alice")]))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let claims = jwt_part(
        &field(&body["cognitoToken"]["AuthenticationResult"], "IdToken"),
        1,
    );
    assert_eq!(claims["email"], "alice@corp.example");
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims["custom:role"], "user");
    assert_eq!(claims["given_name"], "Alice");
    let mut expected = admin_set();
    expected["given_name"] = json!("Alice");
    assert_eq!(attributes_of(&app, &pool, "alice").await, expected);
    app.stop().await;
}

async fn the_cognito_api_challenge_cannot_forge_attributes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user_with(&pool, "alice", TEMPORARY, true, ADMIN_SET)
        .await;
    let challenge = ok(call(
        &app,
        "InitiateAuth",
        &json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client.id.as_str(),
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": TEMPORARY},
        }),
    )
    .await)
    .await;
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let answer = |extra: &[(&str, &str)]| {
        let mut responses = json!({"USERNAME": "alice", "NEW_PASSWORD": CHOSEN});
        for (name, value) in extra {
            responses[format!("userAttributes.{name}")] = json!(value);
        }
        json!({
            "ClientId": client.id.as_str(),
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": challenge["Session"],
            "ChallengeResponses": responses,
        })
    };
    for (name, value, message, _) in forgeries() {
        refused(
            call(&app, "RespondToAuthChallenge", &answer(&[(name, value)])).await,
            "NotAuthorizedException",
            message,
        )
        .await;
        // The admin variant takes a ClientId too, and that client's rules apply.
        let mut signed = answer(&[(name, value)]);
        signed["UserPoolId"] = json!(pool.id.as_str());
        refused(
            admin(&app, "AdminRespondToAuthChallenge", &signed).await,
            "NotAuthorizedException",
            message,
        )
        .await;
    }
    let burst = (0..50).map(|i| {
        let (name, value, _, _) = forgeries()[i % 3];
        let body = answer(&[(name, value)]);
        let app = &app;
        async move {
            call(app, "RespondToAuthChallenge", &body)
                .await
                .status()
                .as_u16()
        }
    });
    assert!(join_all(burst).await.iter().all(|s| *s == 400));
    assert_eq!(attributes_of(&app, &pool, "alice").await, admin_set());

    let result = ok(call(&app, "RespondToAuthChallenge", &answer(&[])).await).await;
    let claims = jwt_part(&field(&result["AuthenticationResult"], "IdToken"), 1);
    assert_eq!(claims["email"], "alice@corp.example");
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims["custom:role"], "user");
    assert_eq!(attributes_of(&app, &pool, "alice").await, admin_set());
    app.stop().await;
}

async fn sign_up_cannot_claim_a_verified_address_or_unlisted_custom_attributes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let sign_up = |username: &str, attributes: Value| {
        json!({
            "ClientId": client.id.as_str(),
            "Username": username,
            "Password": PASSWORD,
            "UserAttributes": attributes,
        })
    };
    for forged in [
        json!([{"Name": "email", "Value": "eve@example.com"}, {"Name": "email_verified", "Value": "true"}]),
        json!([{"Name": "phone_number_verified", "Value": "true"}]),
        json!([{"Name": "custom:role", "Value": "admin"}]),
    ] {
        refused(
            call(&app, "SignUp", &sign_up("eve", forged)).await,
            "NotAuthorizedException",
            UNAUTHORIZED,
        )
        .await;
    }
    assert!(
        app.services
            .find_user(&pool, &Username::parse("eve").unwrap())
            .await
            .is_err(),
        "no refused sign-up left a user behind"
    );
    ok(call(
        &app,
        "SignUp",
        &sign_up(
            "eve",
            json!([{"Name": "email", "Value": "eve@example.com"}]),
        ),
    )
    .await)
    .await;
    assert_eq!(
        attributes_of(&app, &pool, "eve").await,
        json!({"email": "eve@example.com"})
    );
    app.stop().await;
}

async fn clients_write_and_read_only_their_listed_attributes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let created = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({
            "UserPoolId": pool.id.as_str(),
            "ClientName": "team-app",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "ReadAttributes": ["email", "given_name", "custom:team"],
            "WriteAttributes": ["given_name", "custom:team"],
        }),
    )
    .await)
    .await;
    let client_id = created["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created["UserPoolClient"]["WriteAttributes"],
        json!(["given_name", "custom:team"])
    );
    app.create_user_with(
        &pool,
        "carol",
        PASSWORD,
        false,
        &[
            ("email", "carol@corp.example"),
            ("email_verified", "true"),
            ("given_name", "Carol"),
            ("custom:role", "admin"),
            ("custom:team", "blue"),
        ],
    )
    .await;
    let signed_in = ok(call(
        &app,
        "InitiateAuth",
        &json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": "carol", "PASSWORD": PASSWORD},
        }),
    )
    .await)
    .await;
    let result = &signed_in["AuthenticationResult"];
    let access = field(result, "AccessToken");

    // The ID token carries only what the client reads; sub and the token's own claims stay.
    let claims = jwt_part(&field(result, "IdToken"), 1);
    assert_eq!(claims["email"], "carol@corp.example");
    assert_eq!(claims["custom:team"], "blue");
    assert!(claims.get("custom:role").is_none(), "{claims}");
    assert!(claims.get("email_verified").is_none(), "{claims}");
    assert!(claims["sub"].is_string());
    assert_eq!(claims["cognito:username"], "carol");

    // The listed custom attribute is writable; the unlisted one and email are not.
    let update = |attributes: Value| json!({"AccessToken": access, "UserAttributes": attributes});
    ok(call(
        &app,
        "UpdateUserAttributes",
        &update(json!([{"Name": "custom:team", "Value": "red"}])),
    )
    .await)
    .await;
    for forged in [
        json!([{"Name": "custom:role", "Value": "root"}]),
        json!([{"Name": "email", "Value": "x@example.com"}]),
        json!([{"Name": "given_name", "Value": "C"}, {"Name": "email_verified", "Value": "false"}]),
    ] {
        refused(
            call(&app, "UpdateUserAttributes", &update(forged)).await,
            "NotAuthorizedException",
            UNAUTHORIZED,
        )
        .await;
    }
    // A burst of forged updates changes nothing.
    let burst = (0..50).map(|_| {
        let body = update(json!([{"Name": "custom:role", "Value": "root"}]));
        let app = &app;
        async move {
            call(app, "UpdateUserAttributes", &body)
                .await
                .status()
                .as_u16()
        }
    });
    assert!(join_all(burst).await.iter().all(|s| *s == 400));
    refused(
        call(
            &app,
            "DeleteUserAttributes",
            &json!({"AccessToken": access, "UserAttributeNames": ["custom:role"]}),
        )
        .await,
        "NotAuthorizedException",
        UNAUTHORIZED,
    )
    .await;

    // GetUser shows sub and the readable attributes only.
    let user = ok(call(&app, "GetUser", &json!({"AccessToken": access})).await).await;
    let mut shown: Vec<(String, String)> = user["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (field(a, "Name"), field(a, "Value")))
        .filter(|(name, _)| name != "sub")
        .collect();
    shown.sort();
    assert_eq!(
        shown,
        [
            ("custom:team".to_owned(), "red".to_owned()),
            ("email".to_owned(), "carol@corp.example".to_owned()),
            ("given_name".to_owned(), "Carol".to_owned()),
        ]
    );
    assert!(
        user["UserAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["Name"] == "sub")
    );
    let info: Value = app.user_info(&access).await.json().await.unwrap();
    assert_eq!(info["custom:team"], "red");
    assert!(info.get("custom:role").is_none(), "{info}");
    assert!(info.get("email_verified").is_none(), "{info}");
    // The admin view is unfiltered, and the administrator's values are intact.
    let full = attributes_of(&app, &pool, "carol").await;
    assert_eq!(full["custom:role"], "admin");
    assert_eq!(full["email_verified"], "true");

    // The new-password challenge shows the user only what the client reads, too.
    app.create_user_with(
        &pool,
        "frank",
        TEMPORARY,
        true,
        &[("email", "frank@corp.example"), ("custom:role", "admin")],
    )
    .await;
    let challenge = ok(call(
        &app,
        "InitiateAuth",
        &json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": "frank", "PASSWORD": TEMPORARY},
        }),
    )
    .await)
    .await;
    assert_eq!(
        challenge["ChallengeParameters"]["userAttributes"],
        "{\"email\":\"frank@corp.example\"}"
    );

    // Through the default client (no lists), custom attributes are not writable.
    let default_access = field(&app.sign_in("acme", "carol", PASSWORD).await, "AccessToken");
    refused(
        call(
            &app,
            "UpdateUserAttributes",
            &json!({"AccessToken": default_access, "UserAttributes": [{"Name": "custom:team", "Value": "green"}]}),
        )
        .await,
        "NotAuthorizedException",
        UNAUTHORIZED,
    )
    .await;
    app.stop().await;
}

async fn a_changed_email_is_unverified_again(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user_with(
        &pool,
        "dave",
        PASSWORD,
        false,
        &[("email", "dave@corp.example"), ("email_verified", "true")],
    )
    .await;
    let access = field(&app.sign_in("acme", "dave", PASSWORD).await, "AccessToken");
    let body = ok(call(
        &app,
        "UpdateUserAttributes",
        &json!({"AccessToken": access, "UserAttributes": [{"Name": "email", "Value": "dave@home.example"}]}),
    )
    .await)
    .await;
    // The new address is sent a code for VerifyUserAttribute (tests/api/verify_attribute.rs).
    assert_eq!(
        body["CodeDeliveryDetailsList"],
        json!([{"Destination": "d***@h***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}])
    );
    assert_eq!(
        attributes_of(&app, &pool, "dave").await,
        json!({"email": "dave@home.example", "email_verified": "false"})
    );
    let id_token = field(&app.sign_in("acme", "dave", PASSWORD).await, "IdToken");
    assert_eq!(jwt_part(&id_token, 1)["email_verified"], false);

    // An administrator may vouch in the same call; otherwise the change unverifies too.
    let admin_update = |attributes: Value| json!({"UserPoolId": pool.id.as_str(), "Username": "dave", "UserAttributes": attributes});
    ok(admin(
        &app,
        "AdminUpdateUserAttributes",
        &admin_update(json!([
            {"Name": "email", "Value": "dave@corp.example"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "custom:role", "Value": "auditor"},
        ])),
    )
    .await)
    .await;
    assert_eq!(
        attributes_of(&app, &pool, "dave").await,
        json!({"custom:role": "auditor", "email": "dave@corp.example", "email_verified": "true"})
    );
    ok(admin(
        &app,
        "AdminUpdateUserAttributes",
        &admin_update(json!([{"Name": "email", "Value": "d@corp.example"}])),
    )
    .await)
    .await;
    assert_eq!(
        attributes_of(&app, &pool, "dave").await["email_verified"],
        "false"
    );
    refused(
        admin(
            &app,
            "AdminUpdateUserAttributes",
            &admin_update(json!([{"Name": "sub", "Value": "forged"}])),
        )
        .await,
        "InvalidParameterException",
        "1 validation error detected: Value at 'userAttributes' failed to satisfy constraint: \
         attribute names are standard attributes, or custom: followed by 1-20 letters, \
         digits, symbols or punctuation",
    )
    .await;
    ok(admin(
        &app,
        "AdminDeleteUserAttributes",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "dave", "UserAttributeNames": ["custom:role"]}),
    )
    .await)
    .await;
    assert!(
        attributes_of(&app, &pool, "dave")
            .await
            .get("custom:role")
            .is_none()
    );
    app.stop().await;
}

async fn update_user_pool_client_round_trips_and_resets_what_it_omits(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let created = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({
            "UserPoolId": pool.id.as_str(),
            "ClientName": "web",
            "GenerateSecret": true,
            "AccessTokenValidity": 10,
            "TokenValidityUnits": {"AccessToken": "minutes"},
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "PreventUserExistenceErrors": "LEGACY",
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 5},
            "ReadAttributes": ["email", "email_verified"],
        }),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    let id = created["ClientId"].as_str().unwrap().to_owned();
    let secret = created["ClientSecret"].as_str().unwrap().to_owned();
    assert_eq!(
        created["ReadAttributes"],
        json!(["email", "email_verified"])
    );
    assert!(
        created.get("WriteAttributes").is_none(),
        "Cognito's default is not listed"
    );

    let describe = || {
        let app = &app;
        let body = json!({"UserPoolId": pool.id.as_str(), "ClientId": id});
        async move {
            ok(admin(app, "DescribeUserPoolClient", &body).await).await["UserPoolClient"].clone()
        }
    };
    let updated = ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({
            "UserPoolId": pool.id.as_str(),
            "ClientId": id,
            "ClientName": "web-2",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "ReadAttributes": ["email", "given_name", "custom:team"],
            "WriteAttributes": ["given_name", "custom:team"],
        }),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    let now = describe().await;
    assert_eq!(updated, now, "Update answers with what Describe then shows");
    assert_eq!(now["ClientName"], "web-2");
    assert_eq!(now["ClientSecret"], secret.as_str(), "the secret stays");
    assert_eq!(
        now["ReadAttributes"],
        json!(["email", "given_name", "custom:team"])
    );
    assert_eq!(now["WriteAttributes"], json!(["given_name", "custom:team"]));
    // What the update left out is back to Cognito's defaults.
    assert_eq!(now["AccessTokenValidity"], 1);
    assert_eq!(now["TokenValidityUnits"]["AccessToken"], "hours");
    assert_eq!(now["PreventUserExistenceErrors"], "ENABLED");
    assert_eq!(now["RefreshTokenRotation"]["Feature"], "DISABLED");

    let cleared = ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": id}),
    )
    .await)
    .await["UserPoolClient"]
        .clone();
    assert_eq!(
        cleared["ClientName"], "web-2",
        "the name stays unless given"
    );
    assert!(cleared.get("ReadAttributes").is_none());
    assert!(cleared.get("WriteAttributes").is_none());
    assert_eq!(
        cleared["ExplicitAuthFlows"],
        json!([
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_CUSTOM_AUTH"
        ])
    );

    for (lists, message) in [
        (
            json!({"ReadAttributes": ["colour"]}),
            "Invalid read attributes specified while updating a client",
        ),
        (
            json!({"WriteAttributes": ["sub"]}),
            "Invalid write attributes specified while updating a client",
        ),
        (
            json!({"ReadAttributes": ["email"], "WriteAttributes": ["given_name"]}),
            "Invalid write attributes specified while updating a client",
        ),
    ] {
        let mut body = lists.clone();
        body["UserPoolId"] = json!(pool.id.as_str());
        body["ClientId"] = json!(id);
        refused(
            admin(&app, "UpdateUserPoolClient", &body).await,
            "InvalidParameterException",
            message,
        )
        .await;
    }
    refused(
        admin(
            &app,
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool.id.as_str(), "ClientName": "bad", "WriteAttributes": ["custom:"]}),
        )
        .await,
        "InvalidParameterException",
        "Invalid write attributes specified while creating a client",
    )
    .await;
    app.stop().await;
}

async fn the_cli_and_the_seed_file_carry_both_lists(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(&["migrate"], "");
    cli.ok(&["pool", "create", "initech"], "");
    let updated: Value = serde_json::from_str(&cli.ok(
        &[
            "client",
            "update",
            "--pool",
            "initech",
            "--read-attributes",
            "email,given_name,custom:team",
            "--write-attributes",
            "given_name",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(
        updated["ReadAttributes"],
        json!(["email", "given_name", "custom:team"])
    );
    assert_eq!(updated["WriteAttributes"], json!(["given_name"]));
    assert!(
        cli.fails(
            &[
                "client",
                "update",
                "--pool",
                "initech",
                "--write-attributes",
                "custom:role"
            ],
            ""
        )
        .contains("also read")
    );
    let listed: Value =
        serde_json::from_str(&cli.ok(&["client", "list", "--pool", "initech", "--json"], ""))
            .unwrap();
    assert_eq!(listed[0]["WriteAttributes"], json!(["given_name"]));
    drop(database);

    let app = TestApp::spawn(backend).await;
    let seed = json!({
        "Pools": [{
            "Name": "acme",
            "DefaultClient": {"ReadAttributes": ["email"], "WriteAttributes": []},
            "Clients": [{"Name": "reporting", "WriteAttributes": ["custom:team"]}],
        }]
    });
    app.services
        .apply_seed(SeedFile::parse(&seed.to_string()).unwrap())
        .await
        .unwrap();
    let (acme, _) = app.services.find_pool("acme").await.unwrap();
    let clients = app.services.store.list_clients(&acme.id).await.unwrap();
    let default = clients.iter().find(|c| c.is_default).unwrap();
    assert_eq!(
        default.settings.read_attributes,
        Some(vec!["email".to_owned()])
    );
    assert_eq!(default.settings.write_attributes, Some(vec![]));
    let reporting = clients.iter().find(|c| c.name == "reporting").unwrap();
    assert_eq!(reporting.settings.read_attributes, None);
    assert_eq!(
        reporting.settings.write_attributes,
        Some(vec!["custom:team".to_owned()])
    );
    app.stop().await;
}

/// Each write decides on the stored attributes and lands only if they are unchanged, so a
/// burst of users and administrators writing different attributes of one user loses none.
async fn concurrent_attribute_writes_never_undo_each_other(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let writable: Vec<String> = (0..50).map(|i| format!("custom:c{i}")).collect();
    let created = ok(admin(
        &app,
        "CreateUserPoolClient",
        &json!({
            "UserPoolId": pool.id.as_str(),
            "ClientName": "many",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "WriteAttributes": writable,
        }),
    )
    .await)
    .await;
    let client_id = created["UserPoolClient"]["ClientId"].clone();
    app.create_user_with(
        &pool,
        "erin",
        PASSWORD,
        false,
        &[("email", "erin@corp.example")],
    )
    .await;
    let signed_in = ok(call(
        &app,
        "InitiateAuth",
        &json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": "erin", "PASSWORD": PASSWORD},
        }),
    )
    .await)
    .await;
    let access = field(&signed_in["AuthenticationResult"], "AccessToken");
    let users = writable.iter().map(|name| {
        let body = json!({"AccessToken": access, "UserAttributes": [{"Name": name, "Value": "1"}]});
        let app = &app;
        async move {
            call(app, "UpdateUserAttributes", &body)
                .await
                .status()
                .as_u16()
        }
    });
    let admins = (0..10).map(|i| {
        let body = json!({
            "UserPoolId": pool.id.as_str(),
            "Username": "erin",
            "UserAttributes": [{"Name": format!("custom:a{i}"), "Value": "1"}],
        });
        let app = &app;
        async move {
            admin(app, "AdminUpdateUserAttributes", &body)
                .await
                .status()
                .as_u16()
        }
    });
    let (users, admins) = tokio::join!(join_all(users), join_all(admins));
    assert!(
        users.iter().chain(&admins).all(|s| *s == 200),
        "{users:?} {admins:?}"
    );
    let stored = attributes_of(&app, &pool, "erin").await;
    let stored = stored.as_object().unwrap();
    assert_eq!(stored.len(), 1 + 50 + 10, "{stored:?}");
    assert_eq!(stored["email"], "erin@corp.example");
    app.stop().await;
}
