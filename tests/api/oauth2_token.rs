//! The OAuth 2.0 token endpoint (`POST /oauth2/token`, docs/oauth2.md): client
//! authentication, the grants, and RFC 6749's errors with Cognito's statuses.

use base64::Engine;
use gatehouse::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use gatehouse::domain::client_oauth::OAuthSettings;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::resource_server::ResourceServerScope;
use gatehouse::manage::clients::NewAppClient;
use gatehouse::manage::resource_servers::ResourceServerSpec;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::cognito_api::call;
use crate::helpers::{PASSWORD, TestApp, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    refresh_token_grant_serves_public_and_confidential_clients,
    refresh_token_grant_rotates_and_a_burst_exchanges_once,
    client_authentication_failures_are_invalid_client,
    malformed_token_requests_are_refused_with_rfc_6749_errors,
    client_credentials_grants_custom_scopes_only,
    client_credentials_tokens_pass_aws_jwt_verify,
    revoke_endpoint_ends_the_refresh_token_family,
    boto3_manages_resource_servers_and_domains,
    discovery_names_the_oauth_endpoints,
    a_custom_domain_serves_its_pool_at_the_root,
    bursts_of_creates_keep_one_domain_per_pool_and_unique_names,
);

/// How a test client authenticates.
pub(crate) enum Auth<'a> {
    /// `client_id` alone (a public client).
    Public(&'a str),
    /// HTTP Basic `client_id:client_secret`.
    Basic(&'a str, &'a str),
    /// `client_id` and `client_secret` in the body.
    Post(&'a str, &'a str),
}

/// `POST {path}` with a form body and the client's authentication.
pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    auth: &Auth<'_>,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        form.append_pair(name, value);
    }
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded");
    match auth {
        Auth::Public(id) => {
            form.append_pair("client_id", id);
        }
        Auth::Basic(id, secret) => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header("Authorization", format!("Basic {encoded}"));
        }
        Auth::Post(id, secret) => {
            form.append_pair("client_id", id);
            form.append_pair("client_secret", secret);
        }
    }
    request.body(form.finish()).send().await.unwrap()
}

/// Asserts an RFC 6749 error answer and returns its body.
pub(crate) async fn assert_oauth_error(
    response: reqwest::Response,
    status: u16,
    error: &str,
) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}

/// A client with a secret, the flows of the default client, and `settings` changed by `with`.
pub(crate) async fn confidential_client(
    app: &TestApp,
    pool: &UserPool,
    with: impl FnOnce(&mut ClientSettings),
) -> (AppClient, String) {
    let mut settings = ClientSettings::default();
    with(&mut settings);
    let (client, secret) = app
        .services
        .create_app_client(
            pool,
            NewAppClient {
                name: "backend".into(),
                generate_secret: true,
                validity: TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings,
            },
        )
        .await
        .unwrap();
    (client, secret.unwrap().expose_secret().to_owned())
}

/// Signs `username` in through `InitiateAuth` on a client with a secret.
async fn sign_in_with_secret(app: &TestApp, client: &AppClient, secret: &str) -> Value {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(b"alice");
    mac.update(client.id.as_str().as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let response = call(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": hash}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["AuthenticationResult"].clone()
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
}

async fn refreshed(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(jwt_part(text(&body, "id_token"), 1)["token_use"], "id");
    assert_eq!(
        jwt_part(text(&body, "access_token"), 1)["token_use"],
        "access"
    );
    body
}

async fn refresh_token_grant_serves_public_and_confidential_clients(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, public) = app.create_pool("acme").await;
    let (other_pool, _) = app.create_pool("other").await;
    app.create_user(&pool, "alice", false).await;
    let signed_in = app.sign_in("acme", "alice", PASSWORD).await;
    let refresh = text(&signed_in, "RefreshToken");
    let public_id = public.id.to_string();
    let grant = [("grant_type", "refresh_token"), ("refresh_token", refresh)];

    // At the root and under the pool's own path; without rotation no new refresh token.
    for path in [
        "/oauth2/token".to_owned(),
        format!("/{}/oauth2/token", pool.id),
    ] {
        let body = refreshed(post_form(&app, &path, &Auth::Public(&public_id), &grant).await).await;
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert_eq!(
            jwt_part(text(&body, "id_token"), 1)["cognito:username"],
            "alice"
        );
    }
    // Under another pool's path the client does not exist.
    let elsewhere = format!("/{}/oauth2/token", other_pool.id);
    let response = post_form(&app, &elsewhere, &Auth::Public(&public_id), &grant).await;
    assert_oauth_error(response, 401, "invalid_client").await;

    // A confidential client, by HTTP Basic and by client_secret_post.
    let (backend_client, secret) = confidential_client(&app, &pool, |_| {}).await;
    let signed_in = sign_in_with_secret(&app, &backend_client, &secret).await;
    let refresh = text(&signed_in, "RefreshToken");
    let id = backend_client.id.to_string();
    let grant = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    for auth in [Auth::Basic(&id, &secret), Auth::Post(&id, &secret)] {
        let body = refreshed(post_form(&app, "/oauth2/token", &auth, &grant).await).await;
        assert_eq!(jwt_part(text(&body, "access_token"), 1)["client_id"], id);
    }
    // Another client's refresh token is refused as an unknown one.
    let response = post_form(&app, "/oauth2/token", &Auth::Public(&public_id), &grant).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
    let unknown = [("grant_type", "refresh_token"), ("refresh_token", "nope")];
    let response = post_form(&app, "/oauth2/token", &Auth::Basic(&id, &secret), &unknown).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
}

async fn refresh_token_grant_rotates_and_a_burst_exchanges_once(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (client, secret) =
        confidential_client(&app, &pool, |s| s.refresh_token_rotation = true).await;
    let id = client.id.to_string();
    let auth = Auth::Basic(&id, &secret);
    let first = sign_in_with_secret(&app, &client, &secret).await;
    let first = text(&first, "RefreshToken").to_owned();

    // 50 presentations of one token at once: exactly one is exchanged.
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first.as_str()),
    ];
    let answers = futures_util::future::join_all(
        (0..50).map(|_| post_form(&app, "/oauth2/token", &auth, &grant)),
    )
    .await;
    let mut successors = Vec::new();
    for answer in answers {
        match answer.status().as_u16() {
            200 => {
                let body: Value = answer.json().await.unwrap();
                successors.push(text(&body, "refresh_token").to_owned());
            }
            400 => {
                let body: Value = answer.json().await.unwrap();
                assert_eq!(body["error"], "invalid_grant", "{body}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(successors.len(), 1, "one exchange of one token");
    let second = successors.pop().unwrap();
    assert_ne!(second, first);

    // The successor works (the right answer, last) and rotates again.
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", second.as_str()),
    ];
    let body = refreshed(post_form(&app, "/oauth2/token", &auth, &grant).await).await;
    let third = text(&body, "refresh_token").to_owned();

    // A spent token presented later is reuse: the whole family ends.
    app.clock.advance(2);
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first.as_str()),
    ];
    let response = post_form(&app, "/oauth2/token", &auth, &grant).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", third.as_str()),
    ];
    let response = post_form(&app, "/oauth2/token", &auth, &grant).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
}

async fn client_authentication_failures_are_invalid_client(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, public) = app.create_pool("acme").await;
    let (client, secret) = confidential_client(&app, &pool, |_| {}).await;
    let id = client.id.to_string();
    let public_id = public.id.to_string();
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
    ];
    // The secret with its last character changed (never to itself).
    let last = if secret.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{last}", &secret[..secret.len() - 1]);

    for (auth, basic) in [
        (Auth::Basic(&id, &wrong), true),
        (Auth::Post(&id, &wrong), false),
        (Auth::Public(&id), false),
        (Auth::Basic("1example23456789abcdefghij", &secret), true),
        (Auth::Post("not a client id", &secret), false),
        (Auth::Post(&public_id, "a-secret-it-does-not-have"), false),
    ] {
        let response = post_form(&app, "/oauth2/token", &auth, &grant).await;
        let challenge = response.headers().get("www-authenticate").cloned();
        assert_eq!(
            challenge.is_some(),
            basic,
            "a Basic challenge only after Basic"
        );
        if let Some(challenge) = challenge {
            assert!(challenge.to_str().unwrap().starts_with("Basic "));
        }
        assert_oauth_error(response, 401, "invalid_client").await;
    }
    // No client at all.
    let response = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&refresh_token=x")
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, 401, "invalid_client").await;
    // A malformed Authorization header.
    let response = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", "Basic not-base64!")
        .body("grant_type=refresh_token&refresh_token=x")
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, 401, "invalid_client").await;
}

async fn malformed_token_requests_are_refused_with_rfc_6749_errors(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (_, public) = app.create_pool("acme").await;
    let id = public.id.to_string();
    let auth = Auth::Public(&id);

    let json_body = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(json_body, 400, "invalid_request").await;

    let response = post_form(&app, "/oauth2/token", &auth, &[]).await;
    let body = assert_oauth_error(response, 400, "invalid_request").await;
    assert_eq!(body["error_description"], "grant_type is required");

    let twice = [("grant_type", "refresh_token"), ("grant_type", "password")];
    let response = post_form(&app, "/oauth2/token", &auth, &twice).await;
    assert_oauth_error(response, 400, "invalid_request").await;

    for grant_type in ["password", "urn:x"] {
        let response = post_form(&app, "/oauth2/token", &auth, &[("grant_type", grant_type)]).await;
        assert_oauth_error(response, 400, "unsupported_grant_type").await;
    }
    // The code grant is served; without its code it is a malformed request.
    let response = post_form(
        &app,
        "/oauth2/token",
        &auth,
        &[("grant_type", "authorization_code")],
    )
    .await;
    let body = assert_oauth_error(response, 400, "invalid_request").await;
    assert_eq!(body["error_description"], "code is required");

    let response = post_form(
        &app,
        "/oauth2/token",
        &auth,
        &[("grant_type", "refresh_token")],
    )
    .await;
    let body = assert_oauth_error(response, 400, "invalid_request").await;
    assert_eq!(body["error_description"], "refresh_token is required");

    // HTTP Basic and client_secret together: one method per request.
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:s"));
    let response = app
        .client
        .post(format!("{}/oauth2/token", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", format!("Basic {encoded}"))
        .body("grant_type=refresh_token&refresh_token=x&client_secret=s")
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, 400, "invalid_request").await;

    // A body over the limit is refused before it is read whole.
    let big = "a".repeat(20 * 1024);
    let response = post_form(&app, "/oauth2/token", &auth, &[("grant_type", &big)]).await;
    assert_oauth_error(response, 400, "invalid_request").await;
}

/// A resource server `orders` with `read` and `write`, and `billing` with `charge`.
pub(crate) async fn resource_servers(app: &TestApp, pool: &UserPool) {
    for (identifier, scopes) in [
        ("orders", &["read", "write"][..]),
        ("billing", &["charge"][..]),
    ] {
        app.services
            .create_resource_server(
                pool,
                ResourceServerSpec {
                    identifier: identifier.into(),
                    name: identifier.into(),
                    scopes: scopes
                        .iter()
                        .map(|name| ResourceServerScope {
                            scope_name: (*name).into(),
                            scope_description: format!("{name} access"),
                        })
                        .collect(),
                },
            )
            .await
            .unwrap();
    }
}

/// A confidential client allowed the client_credentials flow and `scopes`.
pub(crate) async fn service_client(
    app: &TestApp,
    pool: &UserPool,
    scopes: &[&str],
) -> (AppClient, String) {
    confidential_client(app, pool, |settings| {
        settings.oauth = OAuthSettings {
            allowed_oauth_flows: vec!["client_credentials".into()],
            allowed_oauth_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            allowed_oauth_flows_user_pool_client: true,
            ..OAuthSettings::default()
        };
    })
    .await
}

async fn client_credentials_grants_custom_scopes_only(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, public) = app.create_pool("acme").await;
    resource_servers(&app, &pool).await;
    let (client, secret) = service_client(&app, &pool, &["orders/read", "orders/write"]).await;
    let id = client.id.to_string();
    let grant = |scope: Option<&'static str>| {
        let mut params = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            params.push(("scope", scope));
        }
        params
    };

    // Basic and post; the scope defaults to every custom scope the client is allowed.
    for auth in [Auth::Basic(&id, &secret), Auth::Post(&id, &secret)] {
        let response = post_form(&app, "/oauth2/token", &auth, &grant(None)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
        let claims = jwt_part(text(&body, "access_token"), 1);
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["client_id"], id.as_str());
        assert_eq!(claims["token_use"], "access");
        assert_eq!(claims["scope"], "orders/read orders/write");
        assert_eq!(claims["version"], 2);
        assert!(claims.get("username").is_none());
        for claim in ["auth_time", "iat", "exp", "jti", "iss"] {
            assert!(claims.get(claim).is_some(), "{claim} in {claims}");
        }
        // A client's token names no user: userInfo refuses it.
        let info = app.user_info(text(&body, "access_token")).await;
        assert_eq!(info.status(), 401);
    }
    let auth = Auth::Basic(&id, &secret);
    let response = post_form(&app, "/oauth2/token", &auth, &grant(Some("orders/read"))).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        jwt_part(text(&body, "access_token"), 1)["scope"],
        "orders/read"
    );

    // Unknown, not allowed, and standard scopes are invalid_scope.
    for scope in [
        "orders/delete",
        "billing/charge",
        "openid",
        "orders/read email",
    ] {
        let response = post_form(&app, "/oauth2/token", &auth, &grant(Some(scope))).await;
        assert_oauth_error(response, 400, "invalid_scope").await;
    }
    // A public client, and a confidential one without the flow: unauthorized_client.
    let public_id = public.id.to_string();
    let response = post_form(
        &app,
        "/oauth2/token",
        &Auth::Public(&public_id),
        &grant(None),
    )
    .await;
    assert_oauth_error(response, 400, "unauthorized_client").await;
    let (plain, plain_secret) = confidential_client(&app, &pool, |_| {}).await;
    let plain_id = plain.id.to_string();
    let response = post_form(
        &app,
        "/oauth2/token",
        &Auth::Basic(&plain_id, &plain_secret),
        &grant(None),
    )
    .await;
    assert_oauth_error(response, 400, "unauthorized_client").await;

    // A scope whose resource server is gone is no longer granted.
    app.services
        .delete_resource_server(&pool, "orders")
        .await
        .unwrap();
    let response = post_form(&app, "/oauth2/token", &auth, &grant(Some("orders/read"))).await;
    assert_oauth_error(response, 400, "invalid_scope").await;
    let response = post_form(&app, "/oauth2/token", &auth, &grant(None)).await;
    assert_oauth_error(response, 400, "invalid_scope").await;
}

async fn client_credentials_tokens_pass_aws_jwt_verify(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            aws_issuer: true,
            ..Default::default()
        },
    )
    .await;
    let (pool, _) = app.create_pool("acme").await;
    resource_servers(&app, &pool).await;
    let (client, secret) = service_client(&app, &pool, &["orders/read", "billing/charge"]).await;
    let mut node = std::process::Command::new("node");
    node.arg("client_credentials.mjs")
        .args([
            app.address.as_str(),
            pool.id.as_str(),
            client.id.as_str(),
            &secret,
            "orders/read",
            "billing/charge",
        ])
        .current_dir(dir);
    crate::helpers::run_client(node, "client credentials js: all checks passed").await;
}

async fn revoke_endpoint_ends_the_refresh_token_family(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, public) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (client, secret) =
        confidential_client(&app, &pool, |s| s.refresh_token_rotation = true).await;
    let id = client.id.to_string();
    let auth = Auth::Basic(&id, &secret);
    let signed_in = sign_in_with_secret(&app, &client, &secret).await;
    let first = text(&signed_in, "RefreshToken").to_owned();
    let access = text(&signed_in, "AccessToken").to_owned();
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first.as_str()),
    ];
    let body = refreshed(post_form(&app, "/oauth2/token", &auth, &grant).await).await;
    let second = text(&body, "refresh_token").to_owned();

    // An access token cannot be revoked on its own; a missing token is a bad request.
    let response = post_form(&app, "/oauth2/revoke", &auth, &[("token", &access)]).await;
    assert_oauth_error(response, 400, "unsupported_token_type").await;
    let response = post_form(&app, "/oauth2/revoke", &auth, &[]).await;
    assert_oauth_error(response, 400, "invalid_request").await;
    let wrong = Auth::Basic(&id, "wrong-secret");
    let response = post_form(&app, "/oauth2/revoke", &wrong, &[("token", &second)]).await;
    assert_oauth_error(response, 401, "invalid_client").await;
    // Another client's revocation leaves the token alone, with the same empty 200.
    let public_id = public.id.to_string();
    let response = post_form(
        &app,
        "/oauth2/revoke",
        &Auth::Public(&public_id),
        &[("token", &second)],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");

    // Revoking the first token ends the family: the newest one too, and its access token.
    let response = post_form(&app, "/oauth2/revoke", &auth, &[("token", &first)]).await;
    assert_eq!(response.status(), 200);
    let grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", second.as_str()),
    ];
    let response = post_form(&app, "/oauth2/token", &auth, &grant).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
    assert_eq!(app.user_info(&access).await.status(), 401);
    // Unknown tokens get the same answer.
    let response = post_form(&app, "/oauth2/revoke", &auth, &[("token", "no-such-token")]).await;
    assert_eq!(response.status(), 200);

    // A client without token revocation.
    let (closed, closed_secret) =
        confidential_client(&app, &pool, |s| s.enable_token_revocation = false).await;
    let closed_id = closed.id.to_string();
    let response = post_form(
        &app,
        "/oauth2/revoke",
        &Auth::Post(&closed_id, &closed_secret),
        &[("token", "anything")],
    )
    .await;
    assert_oauth_error(response, 400, "invalid_request").await;
}

async fn boto3_manages_resource_servers_and_domains(backend: Db) {
    let Some(python) = crate::helpers::python_with("boto3") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/boto3_oauth.py");
    let mut boto3 = std::process::Command::new(python);
    boto3.arg(script).args([
        &app.address,
        crate::helpers::ADMIN_KEY_ID,
        crate::helpers::ADMIN_SECRET,
    ]);
    crate::helpers::run_client(boto3, "boto3 oauth: all checks passed").await;
    app.stop().await;
}

async fn discovery_names_the_oauth_endpoints(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let discovery: Value = app
        .get(&format!("/{}/.well-known/openid-configuration", pool.id))
        .await
        .json()
        .await
        .unwrap();
    let base = format!("{}/{}", app.address, pool.id);
    for (member, path) in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userInfo"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/logout"),
    ] {
        assert_eq!(discovery[member], format!("{base}{path}"), "{member}");
    }
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(discovery["response_types_supported"], json!(["code"]));
    assert_eq!(
        discovery["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        discovery["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let scopes = discovery["scopes_supported"].as_array().unwrap();
    for scope in [
        "openid",
        "email",
        "phone",
        "profile",
        "aws.cognito.signin.user.admin",
    ] {
        assert!(scopes.contains(&json!(scope)), "{scope}");
    }
    // The endpoints it names are served: the token and revocation endpoints answer in
    // OAuth's words, not 404.
    for member in ["token_endpoint", "revocation_endpoint"] {
        let response = app
            .client
            .post(discovery[member].as_str().unwrap())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_oauth_error(response, 400, "invalid_request").await;
    }
    let response = app
        .client
        .get(discovery["userinfo_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn a_custom_domain_serves_its_pool_at_the_root(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (other, other_public) = app.create_pool("other").await;
    app.create_user(&pool, "alice", false).await;
    app.services
        .create_domain(
            &pool,
            "auth.acme.example",
            Some("arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab".into()),
        )
        .await
        .unwrap();
    let (client, secret) = confidential_client(&app, &pool, |_| {}).await;
    let signed_in = sign_in_with_secret(&app, &client, &secret).await;
    let refresh = text(&signed_in, "RefreshToken");
    let post = |host: &'static str, id: String, secret: Option<String>| {
        let mut body = format!("grant_type=refresh_token&refresh_token={refresh}&client_id={id}");
        if let Some(secret) = secret {
            body.push_str(&format!("&client_secret={secret}"));
        }
        app.client
            .post(format!("{}/oauth2/token", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Host", host)
            .body(body)
            .send()
    };
    let id = client.id.to_string();
    let response = post("auth.acme.example", id.clone(), Some(secret.clone()))
        .await
        .unwrap();
    refreshed(response).await;
    // Another pool's client is not this domain's.
    let response = post("auth.acme.example", other_public.id.to_string(), None)
        .await
        .unwrap();
    assert_oauth_error(response, 401, "invalid_client").await;
    // Any other host serves every pool at the root.
    let response = post("localhost", other_public.id.to_string(), None)
        .await
        .unwrap();
    assert_oauth_error(response, 400, "invalid_grant").await;
    let _ = other;
}

/// One domain per pool, one pool per domain name, one resource server per identifier: each
/// attacked with 50 concurrent creates, exactly one of which may win.
async fn bursts_of_creates_keep_one_domain_per_pool_and_unique_names(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let names: Vec<String> = (0..50).map(|i| format!("acme-{i}")).collect();
    let results = futures_util::future::join_all(
        names
            .iter()
            .map(|name| app.services.create_domain(&pool, name, None)),
    )
    .await;
    let won: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
    assert_eq!(won.len(), 1, "one domain per pool");
    let kept = app.services.domain_of_pool(&pool).await.unwrap().unwrap();
    assert_eq!(kept.domain, won[0].domain);

    let mut pools = Vec::new();
    for i in 0..50 {
        pools.push(app.create_pool(&format!("pool-{i}")).await.0);
    }
    let results = futures_util::future::join_all(
        pools
            .iter()
            .map(|p| app.services.create_domain(p, "shared-name", None)),
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "one pool per name"
    );
    let owner = app
        .services
        .describe_domain("shared-name")
        .await
        .unwrap()
        .unwrap();
    assert!(pools.iter().any(|p| p.id == owner.pool_id));

    let results = futures_util::future::join_all((0..50).map(|i| {
        app.services.create_resource_server(
            &pool,
            ResourceServerSpec {
                identifier: "orders".into(),
                name: format!("Orders {i}"),
                scopes: Vec::new(),
            },
        )
    }))
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "one server per identifier"
    );
    let server = app.services.resource_server(&pool, "orders").await.unwrap();
    let winner = results.into_iter().find_map(Result::ok).unwrap();
    assert_eq!(server.name, winner.name);
}
