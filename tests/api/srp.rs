//! SRP sign-in (`USER_SRP_AUTH` → `PASSWORD_VERIFIER`) over the Cognito API, driven by the
//! client side in `gatehouse::crypto::srp::SrpClient` (checked against an independent
//! implementation by the unit tests' known answers, and against pycognito and
//! amazon-cognito-identity-js below).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse::crypto::srp::{SrpClient, Verifier, pool_name};
use gatehouse::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::secret::ExposeSecret;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, python_with};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    srp_signs_in_through_both_apis,
    a_client_with_a_secret_needs_the_secret_hash_in_both_steps,
    unknown_users_get_a_stable_well_formed_challenge,
    a_wrong_proof_is_refused_and_spends_the_challenge,
    expired_challenges_are_refused,
    malformed_srp_input_gets_cognito_errors,
    clients_without_the_srp_flow_refuse_it,
    account_state_is_revealed_only_after_the_proof,
    parallel_answers_to_one_challenge_succeed_at_most_once,
    a_burst_of_wrong_proofs_locks_the_account_like_wrong_passwords,
    every_password_setting_path_yields_a_verifier_srp_accepts,
    users_without_a_verifier_get_one_at_their_next_password_sign_in,
    the_database_holds_no_plain_verifier,
    pycognito_signs_in_through_boto3,
    amazon_cognito_identity_js_signs_in_with_srp_by_default,
);

const NEW_PASSWORD: &str = "Brand-New-Horse-7";
const WRONG: &str = "Wrong-Horse-9";
const TIMESTAMP: &str = "Tue Sep 3 08:04:56 UTC 2019";

/// A client of `pool` allowing SRP (and password sign-in and refresh), with its secret.
async fn srp_client(app: &TestApp, pool: &UserPool, secret: bool) -> (AppClient, Option<String>) {
    let flows = [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ];
    client_with_flows(app, pool, secret, &flows).await
}

/// A client of `pool` allowing exactly `flows`, with its secret when `secret`.
async fn client_with_flows(
    app: &TestApp,
    pool: &UserPool,
    secret: bool,
    flows: &[&str],
) -> (AppClient, Option<String>) {
    let (client, secret) = app
        .services
        .create_app_client(
            pool,
            gatehouse::manage::clients::NewAppClient {
                name: if secret { "srp-secret" } else { "srp" }.into(),
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

fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// One SRP attempt in progress: the client's ephemeral pair and the server's challenge.
pub(crate) struct Attempt {
    pub(crate) client: SrpClient,
    pub(crate) challenge: Value,
}

pub(crate) fn random_a() -> [u8; 32] {
    gatehouse::crypto::opaque::os_random::<32>().unwrap()
}

/// `InitiateAuth` (or `AdminInitiateAuth` with `pool`) with `USER_SRP_AUTH`; the raw response.
async fn initiate(
    app: &TestApp,
    client: &AppClient,
    admin_pool: Option<&UserPool>,
    username: &str,
    extra: Value,
) -> (SrpClient, reqwest::Response) {
    let srp = SrpClient::new(random_a());
    let mut parameters = json!({"USERNAME": username, "SRP_A": srp.public_hex()});
    if let (Some(map), Value::Object(extra)) = (parameters.as_object_mut(), extra) {
        map.extend(extra);
    }
    let response = match admin_pool {
        None => {
            cognito(
                app,
                "InitiateAuth",
                &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client.id.to_string(),
                        "AuthParameters": parameters}),
            )
            .await
        }
        Some(pool) => {
            admin(
                app,
                "AdminInitiateAuth",
                &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client.id.to_string(),
                        "UserPoolId": pool.id.to_string(), "AuthParameters": parameters}),
            )
            .await
        }
    };
    (srp, response)
}

async fn start(app: &TestApp, client: &AppClient, username: &str) -> Attempt {
    let (client_srp, response) = initiate(app, client, None, username, json!({})).await;
    assert_eq!(response.status(), 200);
    let challenge: Value = response.json().await.unwrap();
    assert_eq!(
        challenge["ChallengeName"], "PASSWORD_VERIFIER",
        "{challenge}"
    );
    Attempt {
        client: client_srp,
        challenge,
    }
}

impl Attempt {
    fn parameter(&self, name: &str) -> String {
        self.challenge["ChallengeParameters"][name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {}", self.challenge))
            .to_owned()
    }

    /// The `ChallengeResponses` a client knowing `password` sends.
    pub(crate) fn responses(&self, pool: &UserPool, password: &str) -> Value {
        let user_id = self.parameter("USER_ID_FOR_SRP");
        let key = self
            .client
            .password_key(
                &self.parameter("SRP_B"),
                &self.parameter("SALT"),
                pool_name(pool.id.as_str()),
                &user_id,
                password,
            )
            .unwrap();
        let block = STANDARD.decode(self.parameter("SECRET_BLOCK")).unwrap();
        let signature = key.sign_claim(pool_name(pool.id.as_str()), &user_id, &block, TIMESTAMP);
        json!({
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": self.parameter("SECRET_BLOCK"),
            "PASSWORD_CLAIM_SIGNATURE": STANDARD.encode(signature),
            "TIMESTAMP": TIMESTAMP,
        })
    }
}

async fn respond(app: &TestApp, client: &AppClient, responses: Value) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": client.id.to_string(),
                "ChallengeResponses": responses}),
    )
    .await
}

async fn body_of(response: reqwest::Response) -> (u16, Value) {
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Signs in by SRP; the response body (tokens or the next challenge), or the error.
async fn srp_sign_in(
    app: &TestApp,
    pool: &UserPool,
    client: &AppClient,
    username: &str,
    password: &str,
) -> (u16, Value) {
    let attempt = start(app, client, username).await;
    body_of(respond(app, client, attempt.responses(pool, password)).await).await
}

fn assert_error_body(result: &(u16, Value), type_: &str, message: &str) {
    assert_eq!(result.0, 400, "{}", result.1);
    assert_eq!(result.1["__type"], type_, "{}", result.1);
    assert_eq!(result.1["message"], message, "{}", result.1);
}

fn assert_signed_in(result: &(u16, Value)) {
    assert_eq!(result.0, 200, "{}", result.1);
    assert_eq!(
        result.1["AuthenticationResult"]["TokenType"], "Bearer",
        "{}",
        result.1
    );
}

async fn srp_signs_in_through_both_apis(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "Alice", false).await;

    let attempt = start(&app, &client, "ALICE").await;
    let parameters = attempt.challenge["ChallengeParameters"]
        .as_object()
        .unwrap();
    let mut names: Vec<&str> = parameters.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "SALT",
            "SECRET_BLOCK",
            "SRP_B",
            "USERNAME",
            "USER_ID_FOR_SRP"
        ]
    );
    assert_eq!(parameters["USERNAME"], "ALICE");
    assert_eq!(parameters["USER_ID_FOR_SRP"], "alice");
    assert!(attempt.challenge.get("Session").is_none());
    let signed_in = body_of(respond(&app, &client, attempt.responses(&pool, PASSWORD)).await).await;
    assert_signed_in(&signed_in);
    let access = signed_in.1["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = cognito(&app, "GetUser", &json!({"AccessToken": access})).await;
    assert_eq!(user.status(), 200);
    assert_eq!(user.json::<Value>().await.unwrap()["Username"], "Alice");

    // AdminInitiateAuth / AdminRespondToAuthChallenge, with a day that has a leading zero.
    let (srp, response) = initiate(&app, &client, Some(&pool), "alice", json!({})).await;
    let attempt = Attempt {
        client: srp,
        challenge: response.json().await.unwrap(),
    };
    let mut responses = attempt.responses(&pool, PASSWORD);
    let timestamp = "Tue Sep 03 08:04:56 UTC 2019";
    let key = attempt
        .client
        .password_key(
            &attempt.parameter("SRP_B"),
            &attempt.parameter("SALT"),
            pool_name(pool.id.as_str()),
            "alice",
            PASSWORD,
        )
        .unwrap();
    let block = STANDARD.decode(attempt.parameter("SECRET_BLOCK")).unwrap();
    responses["TIMESTAMP"] = json!(timestamp);
    responses["PASSWORD_CLAIM_SIGNATURE"] = json!(STANDARD.encode(key.sign_claim(
        pool_name(pool.id.as_str()),
        "alice",
        &block,
        timestamp
    )));
    let answered = admin(
        &app,
        "AdminRespondToAuthChallenge",
        &json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": client.id.to_string(),
                "UserPoolId": pool.id.to_string(), "ChallengeResponses": responses}),
    )
    .await;
    assert_signed_in(&body_of(answered).await);
    app.stop().await;
}

async fn a_client_with_a_secret_needs_the_secret_hash_in_both_steps(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, secret) = srp_client(&app, &pool, true).await;
    let secret = secret.unwrap();
    app.create_user(&pool, "alice", false).await;
    let hash = secret_hash(&secret, "alice", client.id.as_str());

    let (_, missing) = initiate(&app, &client, None, "alice", json!({})).await;
    assert_error_body(
        &body_of(missing).await,
        "NotAuthorizedException",
        &format!(
            "Client {} is configured for secret but secret was not received",
            client.id
        ),
    );
    let (srp, response) =
        initiate(&app, &client, None, "alice", json!({"SECRET_HASH": hash})).await;
    assert_eq!(response.status(), 200);
    let attempt = Attempt {
        client: srp,
        challenge: response.json().await.unwrap(),
    };
    let mut responses = attempt.responses(&pool, PASSWORD);
    responses["SECRET_HASH"] = json!(secret_hash(&secret, "mallory", client.id.as_str()));
    assert_error_body(
        &body_of(respond(&app, &client, responses.clone()).await).await,
        "NotAuthorizedException",
        &format!("Unable to verify secret hash for client {}", client.id),
    );

    let (srp, response) =
        initiate(&app, &client, None, "alice", json!({"SECRET_HASH": hash})).await;
    let attempt = Attempt {
        client: srp,
        challenge: response.json().await.unwrap(),
    };
    let mut responses = attempt.responses(&pool, PASSWORD);
    responses["SECRET_HASH"] = json!(hash);
    assert_signed_in(&body_of(respond(&app, &client, responses).await).await);
    app.stop().await;
}

async fn unknown_users_get_a_stable_well_formed_challenge(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;

    let real = start(&app, &client, "alice").await;
    let first = start(&app, &client, "nobody").await;
    let again = start(&app, &client, "nobody").await;
    let other = start(&app, &client, "someone-else").await;
    for attempt in [&real, &first, &other] {
        let names: Vec<&String> = attempt.challenge["ChallengeParameters"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(names.len(), 5, "{}", attempt.challenge);
        assert!(attempt.challenge.get("Session").is_none());
        assert_eq!(
            STANDARD
                .decode(attempt.parameter("SECRET_BLOCK"))
                .unwrap()
                .len(),
            64
        );
        let b = attempt.parameter("SRP_B");
        assert!(
            b.len() >= 760 && b.chars().all(|c| c.is_ascii_hexdigit()),
            "{b}"
        );
    }
    // A name's decoy salt is stable, as a real user's is; names differ.
    assert_eq!(first.parameter("SALT"), again.parameter("SALT"));
    assert_ne!(first.parameter("SALT"), other.parameter("SALT"));
    assert_eq!(first.parameter("USER_ID_FOR_SRP"), "nobody");
    assert_eq!(
        real.parameter("SALT"),
        start(&app, &client, "alice").await.parameter("SALT")
    );
    assert_ne!(first.parameter("SRP_B"), again.parameter("SRP_B"));

    let answer = body_of(respond(&app, &client, first.responses(&pool, PASSWORD)).await).await;
    assert_error_body(
        &answer,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    app.stop().await;
}

async fn a_wrong_proof_is_refused_and_spends_the_challenge(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;

    let attempt = start(&app, &client, "alice").await;
    let wrong = body_of(respond(&app, &client, attempt.responses(&pool, WRONG)).await).await;
    assert_error_body(
        &wrong,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    // The right proof for a spent challenge is refused: nothing is answered twice.
    let replay = body_of(respond(&app, &client, attempt.responses(&pool, PASSWORD)).await).await;
    assert_error_body(
        &replay,
        "NotAuthorizedException",
        "Invalid session for the user.",
    );

    // A captured successful answer cannot be replayed either.
    let attempt = start(&app, &client, "alice").await;
    let responses = attempt.responses(&pool, PASSWORD);
    assert_signed_in(&body_of(respond(&app, &client, responses.clone()).await).await);
    let replay = body_of(respond(&app, &client, responses).await).await;
    assert_error_body(
        &replay,
        "NotAuthorizedException",
        "Invalid session for the user.",
    );

    // The proof is bound to the timestamp it was made with and to the user named.
    let attempt = start(&app, &client, "alice").await;
    let mut responses = attempt.responses(&pool, PASSWORD);
    responses["TIMESTAMP"] = json!("Tue Sep 3 08:04:57 UTC 2019");
    let moved = body_of(respond(&app, &client, responses).await).await;
    assert_error_body(
        &moved,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    let attempt = start(&app, &client, "alice").await;
    let mut responses = attempt.responses(&pool, PASSWORD);
    responses["USERNAME"] = json!("bob");
    let renamed = body_of(respond(&app, &client, responses).await).await;
    assert_error_body(
        &renamed,
        "NotAuthorizedException",
        "Invalid session for the user.",
    );
    app.stop().await;
}

async fn expired_challenges_are_refused(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    let attempt = start(&app, &client, "alice").await;
    app.clock.advance(181);
    let late = body_of(respond(&app, &client, attempt.responses(&pool, PASSWORD)).await).await;
    assert_error_body(
        &late,
        "NotAuthorizedException",
        "Invalid session for the user.",
    );
    // Within three minutes it works.
    let attempt = start(&app, &client, "alice").await;
    app.clock.advance(170);
    assert_signed_in(
        &body_of(respond(&app, &client, attempt.responses(&pool, PASSWORD)).await).await,
    );
    app.stop().await;
}

async fn malformed_srp_input_gets_cognito_errors(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    let n_hex = concat!(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
        "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
        "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
        "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
        "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    );
    for bad_a in ["", "0", "00", "not-hex", n_hex, &"f".repeat(800)] {
        let response = cognito(
            &app,
            "InitiateAuth",
            &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client.id.to_string(),
                    "AuthParameters": {"USERNAME": "alice", "SRP_A": bad_a}}),
        )
        .await;
        assert_error_body(
            &body_of(response).await,
            "InvalidParameterException",
            "Invalid SRP_A value.",
        );
    }
    let missing = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice"}}),
    )
    .await;
    let (status, body) = body_of(missing).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("SRP_A"),
        "{body}"
    );

    let attempt = start(&app, &client, "alice").await;
    let good = attempt.responses(&pool, PASSWORD);
    let with = |name: &str, value: Value| {
        let mut responses = good.clone();
        responses[name] = value;
        responses
    };
    let without = |name: &str| {
        let mut responses = good.clone();
        responses.as_object_mut().unwrap().remove(name);
        responses
    };
    let cases = [
        (
            with("TIMESTAMP", json!("2019-09-03T08:04:56Z")),
            "TIMESTAMP format is invalid; expected e.g. \"Tue Sep 3 08:04:56 UTC 2019\".",
        ),
        (
            with("TIMESTAMP", json!("Tue Sep 3 08:04:56 GMT 2019")),
            "TIMESTAMP format is invalid; expected e.g. \"Tue Sep 3 08:04:56 UTC 2019\".",
        ),
        (
            with("PASSWORD_CLAIM_SECRET_BLOCK", json!("***")),
            "Invalid PASSWORD_CLAIM_SECRET_BLOCK.",
        ),
        (
            with("PASSWORD_CLAIM_SECRET_BLOCK", json!("")),
            "Invalid PASSWORD_CLAIM_SECRET_BLOCK.",
        ),
        (
            with("PASSWORD_CLAIM_SIGNATURE", json!("not base64!")),
            "Invalid PASSWORD_CLAIM_SIGNATURE.",
        ),
    ];
    for (responses, message) in cases {
        let result = body_of(respond(&app, &client, responses).await).await;
        assert_error_body(&result, "InvalidParameterException", message);
    }
    for name in [
        "USERNAME",
        "TIMESTAMP",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "PASSWORD_CLAIM_SIGNATURE",
    ] {
        let (status, body) = body_of(respond(&app, &client, without(name)).await).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["__type"], "InvalidParameterException", "{body}");
        assert!(body["message"].as_str().unwrap().contains(name), "{body}");
    }
    // None of that spent the challenge: the refused answers never reached it.
    assert_signed_in(&body_of(respond(&app, &client, good.clone()).await).await);
    // A block that was never issued.
    let forged = with(
        "PASSWORD_CLAIM_SECRET_BLOCK",
        json!(STANDARD.encode([7u8; 64])),
    );
    let forged = body_of(respond(&app, &client, forged).await).await;
    assert_error_body(
        &forged,
        "NotAuthorizedException",
        "Invalid session for the user.",
    );
    app.stop().await;
}

async fn clients_without_the_srp_flow_refuse_it(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    // A client allowing password sign-in and refresh, not SRP.
    let (no_srp_client, _) = client_with_flows(
        &app,
        &pool,
        false,
        &["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    .await;
    let (_, response) = initiate(&app, &no_srp_client, None, "alice", json!({})).await;
    assert_error_body(
        &body_of(response).await,
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    );
    let (_, response) = initiate(&app, &no_srp_client, Some(&pool), "alice", json!({})).await;
    assert_error_body(
        &body_of(response).await,
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    );
    // An answer through such a client is refused before any challenge is looked at.
    let (client, _) = srp_client(&app, &pool, false).await;
    let attempt = start(&app, &client, "alice").await;
    let refused = respond(&app, &no_srp_client, attempt.responses(&pool, PASSWORD)).await;
    assert_error_body(
        &body_of(refused).await,
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    );
    assert_signed_in(
        &body_of(respond(&app, &client, attempt.responses(&pool, PASSWORD)).await).await,
    );
    app.stop().await;
}

async fn account_state_is_revealed_only_after_the_proof(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "temporary", true).await;
    app.create_user(&pool, "disabled", false).await;
    let pool_id = pool.id.to_string();
    let disabled = admin(
        &app,
        "AdminDisableUser",
        &json!({"UserPoolId": pool_id, "Username": "disabled"}),
    )
    .await;
    assert_eq!(disabled.status(), 200);

    // Wrong proofs look alike whatever the account's state.
    for user in ["temporary", "disabled", "nobody"] {
        let result = srp_sign_in(&app, &pool, &client, user, WRONG).await;
        assert_error_body(
            &result,
            "NotAuthorizedException",
            "Incorrect username or password.",
        );
    }
    let result = srp_sign_in(&app, &pool, &client, "disabled", PASSWORD).await;
    assert_error_body(&result, "NotAuthorizedException", "User is disabled.");

    // NEW_PASSWORD_REQUIRED follows the verifier step, and its answer sets a verifier too.
    let (status, challenge) = srp_sign_in(&app, &pool, &client, "temporary", PASSWORD).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let answered = cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": client.id.to_string(),
                "Session": challenge["Session"],
                "ChallengeResponses": {"USERNAME": "temporary", "NEW_PASSWORD": NEW_PASSWORD}}),
    )
    .await;
    assert_signed_in(&body_of(answered).await);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "temporary", NEW_PASSWORD).await);
    let old = srp_sign_in(&app, &pool, &client, "temporary", PASSWORD).await;
    assert_error_body(
        &old,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    app.stop().await;
}

async fn parallel_answers_to_one_challenge_succeed_at_most_once(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    // The right answer, sent 60 times at once: exactly one signs in.
    let attempt = start(&app, &client, "alice").await;
    let right = attempt.responses(&pool, PASSWORD);
    let answers = (0..60).map(|_| {
        let (app, client, right) = (app.clone(), client.clone(), right.clone());
        tokio::spawn(async move { body_of(respond(&app, &client, right).await).await })
    });
    let results: Vec<(u16, Value)> = futures_util::future::join_all(answers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let signed_in = results.iter().filter(|r| r.0 == 200).count();
    assert_eq!(signed_in, 1, "{results:?}");
    for result in results.iter().filter(|r| r.0 != 200) {
        assert_error_body(
            result,
            "NotAuthorizedException",
            "Invalid session for the user.",
        );
    }

    // 59 wrong answers and then the right one, at once: at most one succeeds, and then only
    // the right one; every other is refused.
    let attempt = start(&app, &client, "alice").await;
    let right = attempt.responses(&pool, PASSWORD);
    let wrong = attempt.responses(&pool, WRONG);
    let answers = (0..60).map(|i| {
        let responses = if i == 59 {
            right.clone()
        } else {
            wrong.clone()
        };
        let (app, client) = (app.clone(), client.clone());
        tokio::spawn(async move { body_of(respond(&app, &client, responses).await).await })
    });
    let results: Vec<(u16, Value)> = futures_util::future::join_all(answers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(results.iter().filter(|r| r.0 == 200).count() <= 1);
    assert!(results[..59].iter().all(|r| r.0 == 400), "{results:?}");
    // Exactly one answer reached the challenge; it counted one failure at most.
    let verified = results
        .iter()
        .filter(|r| r.0 == 200 || r.1["message"] == "Incorrect username or password.")
        .count();
    assert_eq!(verified, 1, "{results:?}");
    Arc::into_inner(app).unwrap().stop().await;
}

async fn a_burst_of_wrong_proofs_locks_the_account_like_wrong_passwords(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    // 60 challenges, each answered wrongly, all at once; then the right proof.
    let mut wrong_answers = Vec::new();
    for _ in 0..60 {
        wrong_answers.push(start(&app, &client, "alice").await.responses(&pool, WRONG));
    }
    let right = start(&app, &client, "alice")
        .await
        .responses(&pool, PASSWORD);
    let answers = wrong_answers.into_iter().map(|responses| {
        let (app, client) = (app.clone(), client.clone());
        tokio::spawn(async move { body_of(respond(&app, &client, responses).await).await })
    });
    let results: Vec<(u16, Value)> = futures_util::future::join_all(answers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let incorrect = results
        .iter()
        .filter(|r| r.1["message"] == "Incorrect username or password.")
        .count();
    let exceeded = results
        .iter()
        .filter(|r| r.1["message"] == "Password attempts exceeded")
        .count();
    assert_eq!((incorrect, exceeded), (5, 55), "{results:?}");
    let last = body_of(respond(&app, &client, right).await).await;
    assert_error_body(
        &last,
        "NotAuthorizedException",
        "Password attempts exceeded",
    );
    // Password sign-in shares the counter.
    let password = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_error_body(
        &body_of(password).await,
        "NotAuthorizedException",
        "Password attempts exceeded",
    );
    Arc::into_inner(app).unwrap().stop().await;
}

async fn every_password_setting_path_yields_a_verifier_srp_accepts(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let pool = app.allow_self_sign_up(&pool).await;
    let (client, _) = srp_client(&app, &pool, false).await;
    let pool_id = pool.id.to_string();

    // Operators: the use case behind the CLI's `user create`, and seed files.
    app.create_user(&pool, "operator-made", false).await;
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "operator-made", PASSWORD).await);
    let seed = json!({"Pools": [{"Name": "acme", "Users": [
        {"Username": "seeded", "Password": PASSWORD}]}]});
    app.services
        .apply_seed(SeedFile::parse(&seed.to_string()).unwrap())
        .await
        .unwrap();
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "seeded", PASSWORD).await);

    // AdminCreateUser (temporary: the verifier step, then NEW_PASSWORD_REQUIRED).
    let created = admin(
        &app,
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "invited", "TemporaryPassword": PASSWORD,
                "MessageAction": "SUPPRESS"}),
    )
    .await;
    assert_eq!(created.status(), 200);
    let (_, challenge) = srp_sign_in(&app, &pool, &client, "invited", PASSWORD).await;
    assert_eq!(
        challenge["ChallengeName"], "NEW_PASSWORD_REQUIRED",
        "{challenge}"
    );

    // AdminSetUserPassword, permanent.
    let set = admin(
        &app,
        "AdminSetUserPassword",
        &json!({"UserPoolId": pool_id, "Username": "invited", "Password": NEW_PASSWORD,
                "Permanent": true}),
    )
    .await;
    assert_eq!(set.status(), 200);
    let (_, signed_in) = {
        let result = srp_sign_in(&app, &pool, &client, "invited", NEW_PASSWORD).await;
        assert_signed_in(&result);
        result
    };

    // ChangePassword.
    let access = signed_in["AuthenticationResult"]["AccessToken"].clone();
    let changed = cognito(
        &app,
        "ChangePassword",
        &json!({"AccessToken": access, "PreviousPassword": NEW_PASSWORD,
                "ProposedPassword": PASSWORD}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "invited", PASSWORD).await);
    let old = srp_sign_in(&app, &pool, &client, "invited", NEW_PASSWORD).await;
    assert_error_body(
        &old,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );

    // SignUp: the proof is accepted, and only then is the missing confirmation told.
    let signed_up = cognito(
        &app,
        "SignUp",
        &json!({"ClientId": client.id.to_string(), "Username": "newcomer", "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": "newcomer@example.com"}]}),
    )
    .await;
    assert_eq!(signed_up.status(), 200);
    let result = srp_sign_in(&app, &pool, &client, "newcomer", PASSWORD).await;
    assert_error_body(
        &result,
        "UserNotConfirmedException",
        "User is not confirmed.",
    );
    let result = srp_sign_in(&app, &pool, &client, "newcomer", WRONG).await;
    assert_error_body(
        &result,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );

    // ConfirmForgotPassword, with the code read from the outbox.
    app.create_user_with(
        &pool,
        "forgetful",
        PASSWORD,
        false,
        &[
            ("email", "forgetful@example.com"),
            ("email_verified", "true"),
        ],
    )
    .await;
    let forgot = cognito(
        &app,
        "ForgotPassword",
        &json!({"ClientId": client.id.to_string(), "Username": "forgetful"}),
    )
    .await;
    assert_eq!(forgot.status(), 200);
    let code = crate::account_recovery::newest_code(&app, "forgetful@example.com").await;
    let reset = cognito(
        &app,
        "ConfirmForgotPassword",
        &json!({"ClientId": client.id.to_string(), "Username": "forgetful",
                "ConfirmationCode": code, "Password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(reset.status(), 200);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "forgetful", NEW_PASSWORD).await);
    let old = srp_sign_in(&app, &pool, &client, "forgetful", PASSWORD).await;
    assert_error_body(
        &old,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    app.stop().await;
}

/// Runs one statement on the test database directly, as someone with write access would.
async fn run_sql(app: &TestApp, statement: &'static str) {
    let url = app.database_url();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(statement).execute(&pool).await.unwrap();
    pool.close().await;
}

/// Removes every stored verifier, as for users created before SRP existed.
async fn forget_verifiers(app: &TestApp) {
    run_sql(app, "UPDATE users SET srp_verifier = NULL").await;
}

async fn users_without_a_verifier_get_one_at_their_next_password_sign_in(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    forget_verifiers(&app).await;
    // Without a verifier SRP cannot succeed: the decoy answers, like for an unknown name.
    let result = srp_sign_in(&app, &pool, &client, "alice", PASSWORD).await;
    assert_error_body(
        &result,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    // A password sign-in (the login API here) makes one.
    let login = app.login("acme", "alice", PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "alice", PASSWORD).await);

    // A verifier moved from another user's row (same password) does not open for alice: SRP
    // fails as without one, and the next password sign-in replaces it.
    app.create_user(&pool, "bob", false).await;
    run_sql(
        &app,
        "UPDATE users SET srp_verifier = (SELECT srp_verifier FROM users WHERE \
         username_key = 'bob') WHERE username_key = 'alice'",
    )
    .await;
    let result = srp_sign_in(&app, &pool, &client, "alice", PASSWORD).await;
    assert_error_body(
        &result,
        "NotAuthorizedException",
        "Incorrect username or password.",
    );
    let login = app.login("acme", "alice", PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "alice", PASSWORD).await);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "bob", PASSWORD).await);
    app.stop().await;
}

async fn the_database_holds_no_plain_verifier(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let user = app
        .services
        .store
        .user_by_key(&pool.id, &crate::helpers::username_key("alice"))
        .await
        .unwrap()
        .unwrap();
    let sealed = user
        .password
        .as_ref()
        .unwrap()
        .srp_verifier
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    assert!(sealed.starts_with("v2."), "{sealed}");
    // It opens only with the key-encryption key and this user's binding, to the verifier of
    // the password.
    let binding = format!("srp-verifier\n{}\n{}\nalice", pool.id, user.sub);
    let plain = app.services.kek.open_bound(&sealed, &binding).unwrap();
    assert_eq!(plain.len(), 16 + 384);
    let verifier = Verifier::compute(pool_name(pool.id.as_str()), "alice", PASSWORD, &plain[..16]);
    assert_eq!(verifier.to_bytes().as_slice(), &plain[16..]);
    assert!(
        app.services
            .kek
            .open_bound(
                &sealed,
                &format!("srp-verifier\n{}\n{}\nbob", pool.id, user.sub)
            )
            .is_err()
    );
    // The whole database, dumped, contains neither the verifier nor its salt, in any encoding.
    let (dump, raw) = dump_database(&app).await;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for needle in [
        hex(&plain[16..]),
        hex(&plain[16..]).to_uppercase(),
        STANDARD.encode(&plain[16..]),
        hex(&plain[..16]),
    ] {
        assert!(!dump.contains(&needle), "the dump holds {needle}");
    }
    assert!(!raw.windows(384).any(|window| window == &plain[16..]));
    app.stop().await;
}

/// Every column of every row of the users and challenge tables, as text; and for SQLite the
/// database file's (and its write-ahead log's) raw bytes.
async fn dump_database(app: &TestApp) -> (String, Vec<u8>) {
    let url = app.database_url();
    let mut dump = String::new();
    let mut raw = Vec::new();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap();
        raw.extend(std::fs::read(path).unwrap());
        // Recent writes may still be in the write-ahead log.
        if let Ok(bytes) = std::fs::read(format!("{path}-wal")) {
            raw.extend(bytes);
        }
        dump.push_str(&String::from_utf8_lossy(&raw));
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for table in ["users", "srp_challenges", "auth_challenges"] {
        let cast = if url.starts_with("postgres") {
            format!("SELECT CAST(t.* AS TEXT) FROM {table} t")
        } else {
            format!("SELECT * FROM {table}")
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(cast))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            use sqlx::Row;
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    dump.push_str(&text);
                    dump.push('\n');
                }
            }
        }
    }
    pool.close().await;
    (dump, raw)
}

async fn pycognito_signs_in_through_boto3(backend: Db) {
    let Some(python) = python_with("boto3, pycognito") else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    let (secret_client, secret) = srp_client(&app, &pool, true).await;
    app.create_user(&pool, "alice", false).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/pycognito_srp.py"
    );
    let args = [
        app.address.clone(),
        pool.id.to_string(),
        client.id.to_string(),
        secret_client.id.to_string(),
        secret.unwrap(),
    ];
    let mut pycognito = std::process::Command::new(python);
    pycognito.arg(script).args(args);
    crate::helpers::run_client(pycognito, "pycognito: all checks passed").await;
    app.stop().await;
}

async fn amazon_cognito_identity_js_signs_in_with_srp_by_default(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    let (client, _) = srp_client(&app, &pool, false).await;
    app.create_user(&pool, "alice", false).await;
    app.create_user(&pool, "invited", true).await;
    let args = [
        app.address.clone(),
        pool.id.to_string(),
        client.id.to_string(),
    ];
    let mut node = std::process::Command::new("node");
    node.arg("srp_clients.mjs").args(args).current_dir(dir);
    crate::helpers::run_client(node, "srp js clients: all checks passed").await;
    // The passwords the client set work over SRP from Rust too.
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "invited", NEW_PASSWORD).await);
    assert_signed_in(&srp_sign_in(&app, &pool, &client, "alice", NEW_PASSWORD).await);
    app.stop().await;
}
