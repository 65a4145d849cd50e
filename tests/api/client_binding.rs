//! The login API serves a tenant's default client: a refresh token or challenge session that
//! another app client was issued is refused exactly like an unknown one, unless the Cognito
//! API would let a caller without the client secret use it (issue #10, item 3).

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
    let (client, secret) = app
        .services
        .create_app_client(
            pool,
            gatehouse::manage::clients::NewAppClient {
                name: name.into(),
                generate_secret: secret,
                validity: TokenValidity::default(),
                refresh_grace_seconds: 0,
                settings: ClientSettings {
                    explicit_auth_flows: flows.iter().map(|f| (*f).to_owned()).collect(),
                    ..ClientSettings::default()
                },
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
    let (pool, _) = app.create_tenant("acme").await;
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
    assert_eq!(response.status(), 200, "the owner's refresh still works");

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
    let (pool, _) = app.create_tenant("acme").await;
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
