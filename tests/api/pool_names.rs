//! Pool names and clients as Cognito has them (issue #13, item 4): `CreateUserPool` allows
//! two pools with one name and creates no app client; the login API's `TenantName` is a
//! pool's login name, unique, set by the CLI, seed files or the `gatehouse:tenant` tag
//! (`UserPoolTags`, `TagResource`, `UntagResource`, `ListTagsForResource`). A pool without a
//! default client is served by its oldest client without a secret that allows password
//! sign-in (docs/api.md, "Which app client").

use std::process::Command;

use gatehouse::domain::ids::UserPoolId;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error, field, jwt_part};
use crate::hostile_input::admin;
use crate::on_both_backends;
use crate::support::Db;

const INVALID: &str = "InvalidParameterException";
const INCORRECT: &str = "Incorrect username or password.";

on_both_backends!(
    create_user_pool_allows_shared_names_and_creates_no_client,
    the_tenant_tag_makes_a_pool_reachable_by_the_login_api,
    tags_are_validated_and_resources_named_by_arn,
    of_many_pools_claiming_one_login_name_exactly_one_gets_it,
    boto3_sees_pools_as_cognito_has_them,
);

/// A Cognito API refusal: 400, the `__type`, and `message` when one is given.
async fn cognito_error(response: reqwest::Response, type_: &str, message: &str) {
    assert_eq!(response.status(), 400);
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

async fn ok(app: &TestApp, operation: &str, body: Value) -> Value {
    let response = admin(app, operation, &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{operation}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn create_pool(app: &TestApp, body: Value) -> String {
    let created = ok(app, "CreateUserPool", body).await;
    created["UserPool"]["Id"].as_str().unwrap().to_owned()
}

async fn describe(app: &TestApp, pool_id: &str) -> Value {
    ok(app, "DescribeUserPool", json!({"UserPoolId": pool_id})).await["UserPool"].clone()
}

async fn arn(app: &TestApp, pool_id: &str) -> String {
    describe(app, pool_id).await["Arn"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A user with a permanent password in a pool made through the Cognito API.
async fn confirmed_user(app: &TestApp, pool_id: &str, username: &str) {
    ok(
        app,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"}),
    )
    .await;
    ok(
        app,
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": username, "Password": PASSWORD,
               "Permanent": true}),
    )
    .await;
}

/// Creates a client a second after the last, so "oldest" is never a tie.
async fn create_client(app: &TestApp, pool_id: &str, body: Value) -> String {
    app.clock.advance(1);
    let mut body = body;
    body["UserPoolId"] = json!(pool_id);
    let created = ok(app, "CreateUserPoolClient", body).await;
    created["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_user_pool_allows_shared_names_and_creates_no_client(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let first = create_pool(&app, json!({"PoolName": "shared"})).await;
    let second = create_pool(&app, json!({"PoolName": "shared"})).await;
    assert_ne!(first, second);
    for id in [&first, &second] {
        let clients = ok(
            &app,
            "ListUserPoolClients",
            json!({"UserPoolId": id, "MaxResults": 60}),
        )
        .await;
        assert_eq!(
            clients["UserPoolClients"],
            json!([]),
            "no client was asked for"
        );
        let described = describe(&app, id).await;
        assert_eq!(described["Name"], "shared");
        assert_eq!(described["UserPoolTags"], json!({}));
    }
    let listed = ok(&app, "ListUserPools", json!({"MaxResults": 60})).await;
    let shared: Vec<&str> = listed["UserPools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["Name"] == "shared")
        .map(|p| p["Id"].as_str().unwrap())
        .collect();
    assert_eq!(shared.len(), 2, "{listed}");

    // Neither is the login API's: a pool gets a login name only when asked for one.
    confirmed_user(&app, &first, "alice").await;
    assert_error(
        app.login("shared", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;

    // The CLI's pools are the login API's, under their name, with a default client; the
    // name may be one CreateUserPool pools have, the login name may not be taken twice.
    let (tenant, client) = app.create_pool("shared").await;
    assert_eq!(tenant.login_name.as_deref(), Some("shared"));
    assert!(client.is_default);
    app.create_user(&tenant, "alice", false).await;
    let tokens = app.sign_in("shared", "alice", PASSWORD).await;
    assert_eq!(
        jwt_part(&field(&tokens, "IdToken"), 1)["aud"],
        client.id.to_string()
    );
    let again = app
        .services
        .create_pool(
            &gatehouse::domain::pool::PoolName::parse("shared").unwrap(),
            gatehouse::domain::pool::PoolSettings::default(),
            gatehouse::manage::pools::FixedIds::default(),
        )
        .await;
    assert!(again.unwrap_err().to_string().contains("already exists"));
    // The CLI pool's login name shows as its tag.
    let described = describe(&app, tenant.id.as_str()).await;
    assert_eq!(
        described["UserPoolTags"],
        json!({"gatehouse:tenant": "shared"})
    );
    app.stop().await;
}

async fn the_tenant_tag_makes_a_pool_reachable_by_the_login_api(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let pool_id = create_pool(
        &app,
        json!({"PoolName": "Globex production",
               "UserPoolTags": {"gatehouse:tenant": "globex", "team": "identity"}}),
    )
    .await;
    let described = describe(&app, &pool_id).await;
    assert_eq!(
        described["UserPoolTags"],
        json!({"gatehouse:tenant": "globex", "team": "identity"})
    );
    confirmed_user(&app, &pool_id, "alice").await;

    // No client yet, then only clients the login API cannot act for (a secret, or no
    // password sign-in): answered like an unknown pool.
    assert_error(
        app.login("globex", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;
    create_client(
        &app,
        &pool_id,
        json!({"ClientName": "backend", "GenerateSecret": true,
               "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}),
    )
    .await;
    create_client(&app, &pool_id, json!({"ClientName": "srp-only"})).await;
    assert_error(
        app.login("globex", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;

    // The oldest public client that allows password sign-in serves it.
    let web = create_client(
        &app,
        &pool_id,
        json!({"ClientName": "web",
               "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await;
    create_client(
        &app,
        &pool_id,
        json!({"ClientName": "later", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}),
    )
    .await;
    let tokens = app.sign_in("globex", "alice", PASSWORD).await;
    assert_eq!(jwt_part(&field(&tokens, "IdToken"), 1)["aud"], web);
    let refreshed = app
        .post_json(
            "/RefreshToken",
            &json!({"RefreshToken": field(&tokens, "RefreshToken"), "TenantName": "globex"}),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    // The pool's name is not its login name.
    assert_error(
        app.login("Globex production", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;

    // UpdateUserPool without UserPoolTags keeps them (and the login API's access).
    ok(
        &app,
        "UpdateUserPool",
        json!({"UserPoolId": pool_id, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}),
    )
    .await;
    assert_eq!(
        describe(&app, &pool_id).await["UserPoolTags"],
        json!({"gatehouse:tenant": "globex", "team": "identity"})
    );
    app.sign_in("globex", "alice", PASSWORD).await;

    // UntagResource takes the login name away; TagResource gives another.
    let arn = arn(&app, &pool_id).await;
    ok(
        &app,
        "UntagResource",
        json!({"ResourceArn": arn, "TagKeys": ["gatehouse:tenant", "not-there"]}),
    )
    .await;
    assert_error(
        app.login("globex", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;
    let listed = ok(&app, "ListTagsForResource", json!({"ResourceArn": arn})).await;
    assert_eq!(listed, json!({"Tags": {"team": "identity"}}));
    ok(
        &app,
        "TagResource",
        json!({"ResourceArn": arn, "Tags": {"gatehouse:tenant": "globex-eu", "tier": "gold"}}),
    )
    .await;
    app.sign_in("globex-eu", "alice", PASSWORD).await;
    let listed = ok(&app, "ListTagsForResource", json!({"ResourceArn": arn})).await;
    assert_eq!(
        listed["Tags"],
        json!({"gatehouse:tenant": "globex-eu", "team": "identity", "tier": "gold"})
    );

    // UpdateUserPool with UserPoolTags replaces them all.
    ok(
        &app,
        "UpdateUserPool",
        json!({"UserPoolId": pool_id, "UserPoolTags": {"owner": "ops"}}),
    )
    .await;
    assert_eq!(
        describe(&app, &pool_id).await["UserPoolTags"],
        json!({"owner": "ops"})
    );
    assert_error(
        app.login("globex-eu", "alice", PASSWORD).await,
        401,
        "NotAuthorizedException",
        INCORRECT,
    )
    .await;

    // The CLI finds the pool by its id now that it has no login name.
    let pool = app.services.pool_named(&pool_id).await.unwrap();
    assert_eq!(pool.id, UserPoolId::parse(&pool_id).unwrap());
    app.stop().await;
}

async fn tags_are_validated_and_resources_named_by_arn(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, _) = app.create_pool("acme").await;
    // A login name another pool has, and a login name that is no pool name, are refused.
    for (tags, message) in [
        (
            json!({"gatehouse:tenant": "acme"}),
            "Another user pool already has the login name (gatehouse:tenant) \"acme\"",
        ),
        (json!({"gatehouse:tenant": " acme"}), ""),
        (json!({"gatehouse:tenant": ""}), ""),
        (json!({"": "empty key"}), ""),
        (json!({"bad#key": "v"}), ""),
        (json!({"k": "x".repeat(257)}), ""),
    ] {
        let response = admin(
            &app,
            "CreateUserPool",
            &json!({"PoolName": "other", "UserPoolTags": tags}),
        )
        .await;
        cognito_error(response, INVALID, message).await;
    }
    let too_many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let response = admin(
        &app,
        "CreateUserPool",
        &json!({"PoolName": "other", "UserPoolTags": too_many}),
    )
    .await;
    cognito_error(response, INVALID, "").await;
    // Nothing was created by the refusals.
    let listed = ok(&app, "ListUserPools", json!({"MaxResults": 60})).await;
    assert_eq!(listed["UserPools"].as_array().unwrap().len(), 1, "{listed}");

    let pool_id = create_pool(&app, json!({"PoolName": "other"})).await;
    let arn = arn(&app, &pool_id).await;
    assert!(arn.ends_with(&format!(":userpool/{pool_id}")), "{arn}");
    // A login name taken by another pool refuses the update, and changes nothing.
    let response = admin(
        &app,
        "TagResource",
        &json!({"ResourceArn": arn, "Tags": {"gatehouse:tenant": "acme", "x": "y"}}),
    )
    .await;
    cognito_error(response, INVALID, "").await;
    let response = admin(
        &app,
        "UpdateUserPool",
        &json!({"UserPoolId": pool_id, "UserPoolTags": {"gatehouse:tenant": "acme"}}),
    )
    .await;
    cognito_error(response, INVALID, "").await;
    assert_eq!(describe(&app, &pool_id).await["UserPoolTags"], json!({}));

    let unknown = arn.replace(pool_id.split('_').nth(1).unwrap(), "NoSuchPol");
    // Each operation with only its own members (unknown members may be refused).
    let body = |operation: &str, resource: Option<&str>| {
        let mut body = match operation {
            "TagResource" => json!({"Tags": {"k": "v"}}),
            "UntagResource" => json!({"TagKeys": ["k"]}),
            _ => json!({}),
        };
        if let Some(resource) = resource {
            body["ResourceArn"] = json!(resource);
        }
        body
    };
    for operation in ["ListTagsForResource", "UntagResource", "TagResource"] {
        cognito_error(
            admin(&app, operation, &body(operation, Some(&unknown))).await,
            "ResourceNotFoundException",
            "",
        )
        .await;
        let malformed = body(operation, Some("not-an-arn-at-all-but-long"));
        cognito_error(admin(&app, operation, &malformed).await, INVALID, "").await;
        cognito_error(
            admin(&app, operation, &body(operation, None)).await,
            INVALID,
            "",
        )
        .await;
    }
    cognito_error(
        admin(&app, "TagResource", &json!({"ResourceArn": arn})).await,
        INVALID,
        "",
    )
    .await;
    cognito_error(
        admin(
            &app,
            "UntagResource",
            &json!({"ResourceArn": arn, "TagKeys": [""]}),
        )
        .await,
        INVALID,
        "",
    )
    .await;
    app.stop().await;
}

/// 60 `CreateUserPool` calls claiming one login name at once, then `TagResource` calls on
/// a dozen other pools (each pool costs two RSA keys) claiming another: exactly one of each
/// wins, the rest are refused.
async fn of_many_pools_claiming_one_login_name_exactly_one_gets_it(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let creations = futures_util::future::join_all((0..60).map(|i| {
        let app = &app;
        async move {
            let body = json!({"PoolName": format!("racer {i}"),
                              "UserPoolTags": {"gatehouse:tenant": "prize"}});
            admin(app, "CreateUserPool", &body).await
        }
    }))
    .await;
    let statuses: Vec<u16> = creations.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        59,
        "{statuses:?}"
    );
    let listed = ok(&app, "ListUserPools", json!({"MaxResults": 60})).await;
    assert_eq!(listed["UserPools"].as_array().unwrap().len(), 1);

    let mut arns = Vec::new();
    for i in 0..12 {
        let id = create_pool(&app, json!({"PoolName": format!("tagger {i}")})).await;
        arns.push(arn(&app, &id).await);
    }
    let tagged = futures_util::future::join_all(arns.iter().map(|arn| {
        let app = &app;
        async move {
            let body = json!({"ResourceArn": arn, "Tags": {"gatehouse:tenant": "trophy"}});
            admin(app, "TagResource", &body).await
        }
    }))
    .await;
    let winners = tagged.iter().filter(|r| r.status() == 200).count();
    assert_eq!(winners, 1);
    assert!(
        app.services
            .store
            .pool_by_login_name("trophy")
            .await
            .unwrap()
            .is_some()
    );
    app.stop().await;
}

async fn boto3_sees_pools_as_cognito_has_them(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/boto3_pool_names.py"
    );
    let mut boto3 = Command::new(python);
    boto3.arg(script).args([
        app.address.as_str(),
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(boto3, "boto3 pool names: all checks passed").await;
    app.stop().await;
}
