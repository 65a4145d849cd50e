//! The login API serves a tenant's default client: a refresh token or challenge session that
//! another app client was issued is refused exactly like an unknown one, unless the Cognito
//! API would let a caller without the client secret use it (issue #10, item 3); `/Logout`
//! applies the same rule. The Cognito API's refresh operations and `RevokeToken` act only for
//! the client named in the request, proven by its secret, within what the client enables.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse::domain::app_client::{
    ADMIN_USER_PASSWORD_AUTH, AppClient, ClientSettings, REFRESH_TOKEN_AUTH, TokenValidity,
    USER_PASSWORD_AUTH,
};
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::secret::ExposeSecret;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{PASSWORD, TestApp, comparable, field};
use crate::hostile_input::cognito;
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    the_login_api_refuses_refresh_tokens_of_clients_it_cannot_act_for,
    the_login_api_refuses_challenges_of_clients_it_cannot_act_for,
    the_login_api_logout_leaves_sessions_of_clients_it_cannot_act_for,
    cognito_refresh_refuses_tokens_of_another_client_like_unknown_ones,
    cognito_refresh_needs_the_clients_secret,
    cognito_refresh_needs_the_refresh_flow_unless_get_tokens_rotates,
    revoke_token_leaves_tokens_of_another_client_alone,
    revoke_token_needs_the_clients_secret_and_revocation_enabled,
);

const NEW_PASSWORD: &str = "Brand-New-Horse-7";

/// A non-default client of `pool`, with its secret when it has one.
async fn client(
    app: &TestApp,
    pool: &UserPool,
    name: &str,
    secret: bool,
    flows: &[&str],
) -> (AppClient, Option<String>) {
    let settings = ClientSettings {
        explicit_auth_flows: flows.iter().map(|f| (*f).to_owned()).collect(),
        ..ClientSettings::default()
    };
    client_with(app, pool, name, secret, settings).await
}

async fn client_with(
    app: &TestApp,
    pool: &UserPool,
    name: &str,
    secret: bool,
    settings: ClientSettings,
) -> (AppClient, Option<String>) {
    let (client, secret) = app
        .services
        .create_app_client(
            pool,
            gatehouse::manage::clients::NewAppClient {
                name: name.into(),
                generate_secret: secret,
                validity: TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings,
            },
        )
        .await
        .unwrap();
    (client, secret.map(|s| s.expose_secret().to_owned()))
}

fn secret_hash(secret: &str, username: &str, client: &AppClient) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(username.as_bytes());
    mac.update(client.id.as_str().as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// InitiateAuth USER_PASSWORD_AUTH through the Cognito API, with SECRET_HASH when needed.
async fn initiate(
    app: &TestApp,
    client: &AppClient,
    secret: Option<&str>,
    username: &str,
    password: &str,
) -> Value {
    let mut parameters = json!({"USERNAME": username, "PASSWORD": password});
    if let Some(secret) = secret {
        parameters["SECRET_HASH"] = json!(secret_hash(secret, username, client));
    }
    let response = cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": parameters}),
    )
    .await;
    assert_eq!(response.status(), 200, "sign-in through {}", client.name);
    response.json().await.unwrap()
}

async fn the_login_api_refuses_refresh_tokens_of_clients_it_cannot_act_for(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let (no_refresh, _) = client(&app, &pool, "no-refresh", false, &[USER_PASSWORD_AUTH]).await;
    let (public, _) = client(&app, &pool, "spa", false, &flows).await;

    let unknown = comparable(app.refresh(&"U".repeat(86)).await).await;
    assert_eq!(unknown.0, 401, "{unknown:?}");

    // A confidential client's token: refused by a burst of 50 parallel requests, each one
    // byte-for-byte the unknown token's answer, and nothing was consumed.
    let signed_in = initiate(&app, &confidential, secret.as_deref(), "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    let burst = (0..50).map(|_| app.refresh(&refresh));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &json!({"RefreshToken": refresh, "ClientId": confidential.id.to_string(),
                "ClientSecret": secret}),
    )
    .await;
    let status = response.status();
    assert_eq!(
        status,
        200,
        "the owner's refresh still works: {}",
        response.text().await.unwrap()
    );

    // A public client that does not allow REFRESH_TOKEN_AUTH: refused the same way.
    let signed_in = initiate(&app, &no_refresh, None, "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    assert_eq!(comparable(app.refresh(&refresh).await).await, unknown);

    // The other direction: a public client that allows refresh works, as in the Cognito
    // API, and so does the default client.
    let signed_in = initiate(&app, &public, None, "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    let response = app.refresh(&refresh).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let id_token = field(&body["cognitoToken"]["AuthenticationResult"], "IdToken");
    assert_eq!(
        crate::helpers::jwt_part(&id_token, 1)["aud"],
        public.id.as_str()
    );
    let tokens = app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.refresh(&field(&tokens, "RefreshToken")).await.status(),
        200
    );
    app.stop().await;
}

async fn the_login_api_refuses_challenges_of_clients_it_cannot_act_for(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let (admin_only, _) = client(
        &app,
        &pool,
        "admin-only",
        false,
        &[ADMIN_USER_PASSWORD_AUTH],
    )
    .await;
    let (public, _) = client(&app, &pool, "spa", false, &flows).await;
    for user in ["bob", "carol", "dave"] {
        app.create_user(&pool, user, true).await;
    }
    let respond = |username: &str, session: &str| {
        json!({"TenantName": "acme", "UserName": username,
               "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
               "ChallengeResponses": {"NEW_PASSWORD": NEW_PASSWORD}})
    };
    let unknown = comparable(
        app.respond_to_challenge(&respond("bob", &"S".repeat(44)))
            .await,
    )
    .await;
    assert_eq!(unknown.0, 400, "{unknown:?}");

    // The confidential client's challenge: 50 parallel answers through the login API, all
    // refused as an unknown session would be; the session stays usable by its client.
    let challenge = initiate(&app, &confidential, secret.as_deref(), "bob", PASSWORD).await;
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let body = respond("bob", &session);
    let burst = (0..50).map(|_| app.respond_to_challenge(&body));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }
    let response = cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ClientId": confidential.id.to_string(), "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "Session": session,
                "ChallengeResponses": {"USERNAME": "bob", "NEW_PASSWORD": NEW_PASSWORD,
                    "SECRET_HASH": secret_hash(secret.as_deref().unwrap(), "bob", &confidential)}}),
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "the owner answers its own challenge"
    );

    // A challenge a client without USER_PASSWORD_AUTH started (through AdminInitiateAuth,
    // which a signed operator may call): refused the same way.
    let started = crate::hostile_input::admin(
        &app,
        "AdminInitiateAuth",
        &json!({"UserPoolId": pool.id.to_string(), "ClientId": admin_only.id.to_string(),
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": "carol", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let session = started["Session"].as_str().unwrap().to_owned();
    assert_eq!(
        comparable(app.respond_to_challenge(&respond("carol", &session)).await).await,
        unknown
    );

    // The other direction: a public client that takes password sign-ins may be answered
    // through the login API, as the Cognito API would allow without a secret.
    let challenge = initiate(&app, &public, None, "dave", PASSWORD).await;
    let session = challenge["Session"].as_str().unwrap().to_owned();
    let response = app.respond_to_challenge(&respond("dave", &session)).await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

/// A Cognito API refusal: status 400 with this `__type` and message.
async fn assert_cognito_error(response: reqwest::Response, type_: &str, message: &str) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], type_, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

fn get_tokens(refresh: &str, client: &AppClient, secret: Option<&str>) -> Value {
    json!({"RefreshToken": refresh, "ClientId": client.id.to_string(), "ClientSecret": secret})
}

/// InitiateAuth REFRESH_TOKEN_AUTH for `client`, with a SECRET_HASH when given.
fn refresh_auth(refresh: &str, client: &AppClient, secret_hash: Option<&str>) -> Value {
    let mut parameters = json!({"REFRESH_TOKEN": refresh});
    if let Some(hash) = secret_hash {
        parameters["SECRET_HASH"] = json!(hash);
    }
    json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client.id.to_string(),
           "AuthParameters": parameters})
}

fn revoke(refresh: &str, client: &AppClient, secret: Option<&str>) -> Value {
    json!({"Token": refresh, "ClientId": client.id.to_string(), "ClientSecret": secret})
}

/// Whether the session behind `access_token` is still alive (GetUser answers 200).
async fn session_alive(app: &TestApp, access_token: &str) -> bool {
    let response = cognito(app, "GetUser", &json!({"AccessToken": access_token})).await;
    response.status() == 200
}

const UNKNOWN: &str =
    "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU";

async fn the_login_api_logout_leaves_sessions_of_clients_it_cannot_act_for(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let (no_refresh, _) = client(&app, &pool, "no-refresh", false, &[USER_PASSWORD_AUTH]).await;
    let (public, _) = client(&app, &pool, "spa", false, &flows).await;

    let unknown = comparable(app.logout(UNKNOWN).await).await;
    assert_eq!(unknown.0, 200, "{unknown:?}");

    // A confidential client's session: 50 parallel /Logout calls, each answered exactly like
    // the unknown token's, and none revoked it.
    let signed_in = initiate(&app, &confidential, secret.as_deref(), "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let refresh = field(result, "RefreshToken");
    let burst = (0..50).map(|_| app.logout(&refresh));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }
    assert!(session_alive(&app, &field(result, "AccessToken")).await);
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &get_tokens(&refresh, &confidential, secret.as_deref()),
    )
    .await;
    let status = response.status();
    assert_eq!(
        status,
        200,
        "the owner's refresh still works: {}",
        response.text().await.unwrap()
    );

    // A public client without REFRESH_TOKEN_AUTH: left alone the same way.
    let signed_in = initiate(&app, &no_refresh, None, "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let response = app.logout(&field(result, "RefreshToken")).await;
    assert_eq!(comparable(response).await, unknown);
    assert!(session_alive(&app, &field(result, "AccessToken")).await);

    // Clients the login API acts for are signed out: a public one allowing refresh, and the
    // tenant's default client.
    let signed_in = initiate(&app, &public, None, "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let refresh = field(result, "RefreshToken");
    assert_eq!(comparable(app.logout(&refresh).await).await, unknown);
    assert!(!session_alive(&app, &field(result, "AccessToken")).await);
    assert_eq!(app.refresh(&refresh).await.status(), 401);
    let tokens = app.sign_in("acme", "alice", PASSWORD).await;
    let refresh = field(&tokens, "RefreshToken");
    assert_eq!(app.logout(&refresh).await.status(), 200);
    assert_eq!(app.refresh(&refresh).await.status(), 401);
    app.stop().await;
}

async fn cognito_refresh_refuses_tokens_of_another_client_like_unknown_ones(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (owner, _) = client(&app, &pool, "owner", false, &flows).await;
    let (other, _) = client(&app, &pool, "other", false, &flows).await;
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let secret = secret.unwrap();
    let signed_in = initiate(&app, &owner, None, "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");

    // Owner's token, another client named: 50 parallel GetTokensFromRefreshToken, each the
    // unknown token's exact answer (NotAuthorizedException "Invalid Refresh Token").
    let unknown = comparable(
        cognito(
            &app,
            "GetTokensFromRefreshToken",
            &get_tokens(UNKNOWN, &other, None),
        )
        .await,
    )
    .await;
    assert_eq!(unknown.0, 400);
    assert!(unknown.2.contains("Invalid Refresh Token"), "{unknown:?}");
    let body = get_tokens(&refresh, &other, None);
    let burst = (0..50).map(|_| cognito(&app, "GetTokensFromRefreshToken", &body));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }

    // REFRESH_TOKEN_AUTH through InitiateAuth and AdminInitiateAuth: the same.
    let unknown =
        comparable(cognito(&app, "InitiateAuth", &refresh_auth(UNKNOWN, &other, None)).await).await;
    let body = refresh_auth(&refresh, &other, None);
    let burst = (0..50).map(|_| cognito(&app, "InitiateAuth", &body));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }
    let admin_body = |token: &str| {
        let mut body = refresh_auth(token, &other, None);
        body["UserPoolId"] = json!(pool.id.to_string());
        body
    };
    let unknown = comparable(
        crate::hostile_input::admin(&app, "AdminInitiateAuth", &admin_body(UNKNOWN)).await,
    )
    .await;
    assert_eq!(unknown.0, 400);
    let response =
        crate::hostile_input::admin(&app, "AdminInitiateAuth", &admin_body(&refresh)).await;
    assert_eq!(comparable(response).await, unknown);

    // A confidential client named with its own valid SECRET_HASH over the token's owner:
    // still the unknown token's answer; the binding is checked before the hash.
    let hash = secret_hash(&secret, "alice", &confidential);
    let unknown = comparable(
        cognito(
            &app,
            "InitiateAuth",
            &refresh_auth(UNKNOWN, &confidential, Some(&hash)),
        )
        .await,
    )
    .await;
    let body = refresh_auth(&refresh, &confidential, Some(&hash));
    assert_eq!(
        comparable(cognito(&app, "InitiateAuth", &body).await).await,
        unknown
    );

    // Sent last, with the right client: the token works, so none of the above spent it.
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &get_tokens(&refresh, &owner, None),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = cognito(&app, "InitiateAuth", &refresh_auth(&refresh, &owner, None)).await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn cognito_refresh_needs_the_clients_secret(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let secret = secret.unwrap();
    let signed_in = initiate(&app, &confidential, Some(&secret), "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    let id = &confidential.id;
    let missing = format!("Client {id} is configured for secret but secret was not received");
    let wrong =
        format!("Client {id} is configured for secret but secret was not received or is wrong");

    // GetTokensFromRefreshToken: no secret, then 50 parallel wrong ones, all refused; the
    // right one, sent last, works.
    assert_cognito_error(
        cognito(
            &app,
            "GetTokensFromRefreshToken",
            &get_tokens(&refresh, &confidential, None),
        )
        .await,
        "NotAuthorizedException",
        &wrong,
    )
    .await;
    let bodies: Vec<Value> = (0..50)
        .map(|i| get_tokens(&refresh, &confidential, Some(&format!("{secret}{i}"))))
        .collect();
    let burst = bodies
        .iter()
        .map(|body| cognito(&app, "GetTokensFromRefreshToken", body));
    for response in futures_util::future::join_all(burst).await {
        assert_cognito_error(response, "NotAuthorizedException", &wrong).await;
    }
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &get_tokens(&refresh, &confidential, Some(&secret)),
    )
    .await;
    assert_eq!(response.status(), 200);

    // REFRESH_TOKEN_AUTH: a missing SECRET_HASH is refused whatever the token, before the
    // token is looked at; 50 parallel wrong hashes are refused; the right one works.
    for token in [refresh.as_str(), UNKNOWN] {
        assert_cognito_error(
            cognito(
                &app,
                "InitiateAuth",
                &refresh_auth(token, &confidential, None),
            )
            .await,
            "NotAuthorizedException",
            &missing,
        )
        .await;
    }
    let bodies: Vec<Value> = (0..50)
        .map(|i| {
            let hash = secret_hash(&secret, &format!("alice{i}"), &confidential);
            refresh_auth(&refresh, &confidential, Some(&hash))
        })
        .collect();
    let burst = bodies
        .iter()
        .map(|body| cognito(&app, "InitiateAuth", body));
    for response in futures_util::future::join_all(burst).await {
        assert_cognito_error(
            response,
            "NotAuthorizedException",
            &format!("Unable to verify secret hash for client {id}"),
        )
        .await;
    }
    let hash = secret_hash(&secret, "alice", &confidential);
    let response = cognito(
        &app,
        "InitiateAuth",
        &refresh_auth(&refresh, &confidential, Some(&hash)),
    )
    .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn cognito_refresh_needs_the_refresh_flow_unless_get_tokens_rotates(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let (no_refresh, _) = client(&app, &pool, "no-refresh", false, &[USER_PASSWORD_AUTH]).await;
    let rotating_settings = ClientSettings {
        explicit_auth_flows: vec![USER_PASSWORD_AUTH.to_owned()],
        refresh_token_rotation: true,
        ..ClientSettings::default()
    };
    let (rotating, _) = client_with(&app, &pool, "rotating", false, rotating_settings).await;

    // Without ALLOW_REFRESH_TOKEN_AUTH neither operation refreshes; the answer is the same
    // for a real token and an unknown one, and a burst of 50 spends nothing.
    let signed_in = initiate(&app, &no_refresh, None, "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    for token in [refresh.as_str(), UNKNOWN] {
        assert_cognito_error(
            cognito(
                &app,
                "GetTokensFromRefreshToken",
                &get_tokens(token, &no_refresh, None),
            )
            .await,
            "InvalidParameterException",
            "GetTokensFromRefreshToken flow not enabled for this client",
        )
        .await;
    }
    let body = refresh_auth(&refresh, &no_refresh, None);
    let burst = (0..50).map(|_| cognito(&app, "InitiateAuth", &body));
    for response in futures_util::future::join_all(burst).await {
        assert_cognito_error(
            response,
            "InvalidParameterException",
            "REFRESH_TOKEN_AUTH flow not enabled for this client",
        )
        .await;
    }
    let mut admin_body = body.clone();
    admin_body["UserPoolId"] = json!(pool.id.to_string());
    assert_cognito_error(
        crate::hostile_input::admin(&app, "AdminInitiateAuth", &admin_body).await,
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )
    .await;
    assert!(
        session_alive(
            &app,
            &field(&signed_in["AuthenticationResult"], "AccessToken")
        )
        .await
    );

    // A rotating client refreshes through GetTokensFromRefreshToken only, as Cognito
    // completes rotation there.
    let signed_in = initiate(&app, &rotating, None, "alice", PASSWORD).await;
    let refresh = field(&signed_in["AuthenticationResult"], "RefreshToken");
    assert_cognito_error(
        cognito(
            &app,
            "InitiateAuth",
            &refresh_auth(&refresh, &rotating, None),
        )
        .await,
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )
    .await;
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &get_tokens(&refresh, &rotating, None),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_ne!(
        field(&body["AuthenticationResult"], "RefreshToken"),
        refresh
    );
    app.stop().await;
}

async fn revoke_token_leaves_tokens_of_another_client_alone(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (owner, _) = client(&app, &pool, "owner", false, &flows).await;
    let (other, _) = client(&app, &pool, "other", false, &flows).await;
    let signed_in = initiate(&app, &owner, None, "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let refresh = field(result, "RefreshToken");

    // 50 parallel RevokeToken naming another client: each the unknown token's answer, and
    // the session lives on.
    let unknown =
        comparable(cognito(&app, "RevokeToken", &revoke(UNKNOWN, &other, None)).await).await;
    assert_eq!(unknown.0, 200);
    let body = revoke(&refresh, &other, None);
    let burst = (0..50).map(|_| cognito(&app, "RevokeToken", &body));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(comparable(response).await, unknown);
    }
    assert!(session_alive(&app, &field(result, "AccessToken")).await);

    // Sent last, by its own client: revoked.
    let response = cognito(&app, "RevokeToken", &revoke(&refresh, &owner, None)).await;
    assert_eq!(comparable(response).await, unknown);
    assert!(!session_alive(&app, &field(result, "AccessToken")).await);
    assert_cognito_error(
        cognito(
            &app,
            "GetTokensFromRefreshToken",
            &get_tokens(&refresh, &owner, None),
        )
        .await,
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )
    .await;

    // An app client that does not exist is named as such.
    let mut body = revoke(&refresh, &other, None);
    body["ClientId"] = json!("nosuchclient0000000000000");
    let response = cognito(&app, "RevokeToken", &body).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "ResourceNotFoundException", "{body}");
    app.stop().await;
}

async fn revoke_token_needs_the_clients_secret_and_revocation_enabled(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let flows = [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH];
    let (confidential, secret) = client(&app, &pool, "backend", true, &flows).await;
    let secret = secret.unwrap();
    let no_revocation = ClientSettings {
        explicit_auth_flows: flows.iter().map(|f| (*f).to_owned()).collect(),
        enable_token_revocation: false,
        ..ClientSettings::default()
    };
    let (kept, _) = client_with(&app, &pool, "kept", false, no_revocation).await;
    let wrong = format!(
        "Client {} is configured for secret but secret was not received or is wrong",
        confidential.id
    );

    // A confidential client's token: no secret, then 50 parallel wrong ones, all refused and
    // nothing revoked; the right secret, sent last, revokes.
    let signed_in = initiate(&app, &confidential, Some(&secret), "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let refresh = field(result, "RefreshToken");
    assert_cognito_error(
        cognito(&app, "RevokeToken", &revoke(&refresh, &confidential, None)).await,
        "UnauthorizedException",
        &wrong,
    )
    .await;
    let bodies: Vec<Value> = (0..50)
        .map(|i| revoke(&refresh, &confidential, Some(&format!("{secret}{i}"))))
        .collect();
    let burst = bodies.iter().map(|body| cognito(&app, "RevokeToken", body));
    for response in futures_util::future::join_all(burst).await {
        assert_cognito_error(response, "UnauthorizedException", &wrong).await;
    }
    assert!(session_alive(&app, &field(result, "AccessToken")).await);
    let response = cognito(
        &app,
        "RevokeToken",
        &revoke(&refresh, &confidential, Some(&secret)),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(!session_alive(&app, &field(result, "AccessToken")).await);

    // EnableTokenRevocation false: refused, for a real token and an unknown one alike, and
    // the session lives on.
    let signed_in = initiate(&app, &kept, None, "alice", PASSWORD).await;
    let result = &signed_in["AuthenticationResult"];
    let refresh = field(result, "RefreshToken");
    for token in [refresh.as_str(), UNKNOWN] {
        assert_cognito_error(
            cognito(&app, "RevokeToken", &revoke(token, &kept, None)).await,
            "UnsupportedOperationException",
            &format!("Token revocation is not enabled for client {}", kept.id),
        )
        .await;
    }
    assert!(session_alive(&app, &field(result, "AccessToken")).await);
    let response = cognito(
        &app,
        "GetTokensFromRefreshToken",
        &get_tokens(&refresh, &kept, None),
    )
    .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}
