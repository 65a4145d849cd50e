//! Custom authentication (`CUSTOM_AUTH`, issue #17): the pool's DefineAuthChallenge,
//! CreateAuthChallenge and VerifyAuthChallengeResponse functions run the sign-in. The
//! functions are real Lambda handlers (tests/clients/lambda/handlers.py: a "What is 6 x 7?"
//! quiz after an optional password) parsing each event with aws-lambda-powertools. Both APIs,
//! SRP before the quiz, the login API's password before it, one verification per session
//! under a burst, unknown users, and the functions' and the configuration's failures.

use gatehouse::crypto::srp::SrpClient;
use gatehouse::domain::pool::UserPool;
use gatehouse::domain::pool_config::LambdaConfig;
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, jwt_part};
use crate::hostile_input::{admin, cognito};
use crate::on_both_backends;
use crate::srp::{Attempt, random_a};
use crate::support::Db;
use crate::triggers::{LambdaHost, app_with, arn, assert_envelope, assert_error, ok, pool_with};

on_both_backends!(
    a_quiz_signs_in_through_the_cognito_api,
    the_login_api_runs_the_quiz_with_or_without_the_password_first,
    srp_proves_the_password_before_the_quiz,
    a_burst_of_answers_to_one_session_is_verified_once,
    unknown_users_are_challenged_but_never_signed_in,
    misconfigured_and_failing_functions_fail_with_cognitos_errors,
    account_state_and_the_pools_mfa_apply_after_the_quiz,
    real_clients_run_custom_auth_unchanged,
);

const WRONG: &str = "Wrong-Horse-9";
const TIMESTAMP: &str = "Tue Sep 3 08:04:56 UTC 2019";

fn quiz_triggers() -> LambdaConfig {
    LambdaConfig {
        define_auth_challenge: Some(arn("define_auth_challenge")),
        create_auth_challenge: Some(arn("create_auth_challenge")),
        verify_auth_challenge_response: Some(arn("verify_auth_challenge")),
        ..LambdaConfig::default()
    }
}

/// Lets the pool's client use CUSTOM_AUTH (and SRP, passwords, refresh); existence errors
/// prevented unless `legacy`.
async fn allow_custom_auth(app: &TestApp, pool: &UserPool, client: &str, legacy: bool) {
    ok(admin(
        app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": client,
                "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH",
                                      "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": if legacy { "LEGACY" } else { "ENABLED" }}),
    )
    .await)
    .await;
}

/// A pool named `name` with the functions of `config`, a client allowing CUSTOM_AUTH, and
/// alice; the client's id.
async fn custom_pool(app: &TestApp, name: &str, config: LambdaConfig) -> (UserPool, String) {
    let (pool, client) = pool_with(app, name, config).await;
    allow_custom_auth(app, &pool, &client, false).await;
    app.create_user(&pool, "alice", false).await;
    (pool, client)
}

/// A server with [`custom_pool`].
async fn quiz_pool(
    backend: Db,
    host: &LambdaHost,
    name: &str,
    config: LambdaConfig,
) -> (TestApp, UserPool, String) {
    let app = app_with(backend, host, Options::default()).await;
    let (pool, client) = custom_pool(&app, name, config).await;
    (app, pool, client)
}

async fn initiate(
    app: &TestApp,
    client: &str,
    parameters: Value,
    metadata: Value,
) -> reqwest::Response {
    cognito(
        app,
        "InitiateAuth",
        &json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": client, "AuthParameters": parameters,
                "ClientMetadata": metadata}),
    )
    .await
}

async fn answer(
    app: &TestApp,
    client: &str,
    session: &Value,
    username: &str,
    text: &str,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "CUSTOM_CHALLENGE", "ClientId": client, "Session": session,
                "ChallengeResponses": {"USERNAME": username, "ANSWER": text},
                "ClientMetadata": {"step": "answer"}}),
    )
    .await
}

/// Asserts a `CUSTOM_CHALLENGE` answer (the quiz, for `username`) and returns its session.
fn quiz_session(body: &Value, username: &str) -> Value {
    assert_eq!(body["ChallengeName"], "CUSTOM_CHALLENGE", "{body}");
    assert_eq!(
        body["ChallengeParameters"],
        json!({"question": "What is 6 x 7?", "USERNAME": username}),
        "{body}"
    );
    assert!(body.get("AuthenticationResult").is_none(), "{body}");
    body["Session"].clone()
}

fn assert_tokens_for(body: &Value, username: &str) {
    let result = &body["AuthenticationResult"];
    assert_eq!(result["TokenType"], "Bearer", "{body}");
    let access = jwt_part(result["AccessToken"].as_str().unwrap(), 1);
    assert_eq!(access["username"], username);
    assert!(
        result["RefreshToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
}

/// The functions called, in order (their ARN's last part).
fn functions(invocations: &[Value]) -> Vec<String> {
    invocations
        .iter()
        .map(|i| {
            i["function"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn a_quiz_signs_in_through_the_cognito_api(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, pool, client) = quiz_pool(backend, &host, "quiz", quiz_triggers()).await;

    let started = ok(initiate(
        &app,
        &client,
        json!({"USERNAME": "alice"}),
        json!({"app": "web"}),
    )
    .await)
    .await;
    let first = quiz_session(&started, "alice");
    let seen = host.take().await;
    assert_eq!(
        functions(&seen),
        ["define_auth_challenge", "create_auth_challenge"]
    );
    assert_envelope(
        &seen[0],
        "DefineAuthChallenge_Authentication",
        &pool,
        "alice",
        &client,
    );
    assert_eq!(seen[0]["seen"]["session"], json!([]));
    assert_eq!(seen[0]["seen"]["user_not_found"], false);
    assert_eq!(seen[0]["seen"]["client_metadata"], json!({"app": "web"}));
    assert_eq!(
        seen[0]["seen"]["user_attributes"]["cognito:user_status"],
        "CONFIRMED"
    );
    assert_envelope(
        &seen[1],
        "CreateAuthChallenge_Authentication",
        &pool,
        "alice",
        &client,
    );
    assert_eq!(seen[1]["seen"]["challenge_name"], "CUSTOM_CHALLENGE");
    // The expected answer never leaves the server.
    assert!(!started.to_string().contains("42"), "{started}");

    // A wrong answer: verified, recorded in the history, asked again with a new session.
    let again = ok(answer(&app, &client, &first, "alice", "41").await).await;
    let second = quiz_session(&again, "alice");
    assert_ne!(first, second);
    let seen = host.take().await;
    assert_eq!(
        functions(&seen),
        [
            "verify_auth_challenge",
            "define_auth_challenge",
            "create_auth_challenge"
        ]
    );
    assert_envelope(
        &seen[0],
        "VerifyAuthChallengeResponse_Authentication",
        &pool,
        "alice",
        &client,
    );
    assert_eq!(
        seen[0]["seen"]["private_challenge_parameters"],
        json!({"answer": "42"})
    );
    assert_eq!(seen[0]["seen"]["challenge_answer"], "41");
    assert_eq!(
        seen[0]["seen"]["client_metadata"],
        json!({"step": "answer"})
    );
    assert_eq!(
        seen[1]["seen"]["session"],
        json!([["CUSTOM_CHALLENGE", false, "QUIZ-1"]])
    );
    assert_eq!(
        seen[2]["seen"]["session"],
        json!([["CUSTOM_CHALLENGE", false, "QUIZ-1"]])
    );

    // A session answers once.
    assert_error(
        answer(&app, &client, &first, "alice", "42").await,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    // Not for another user, either (the session is spent by the attempt).
    app.create_user(&pool, "bob", false).await;
    assert_error(
        answer(&app, &client, &second, "bob", "42").await,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    assert!(
        functions(&host.take().await).is_empty(),
        "a refused session calls nothing"
    );

    let started = ok(initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await).await;
    let session = quiz_session(&started, "alice");
    let wrong = ok(answer(&app, &client, &session, "alice", "41").await).await;
    let session = quiz_session(&wrong, "alice");
    let signed_in = ok(answer(&app, &client, &session, "alice", "42").await).await;
    assert_tokens_for(&signed_in, "alice");
    let seen = host.take().await;
    let last_define = seen
        .iter()
        .rev()
        .find(|i| i["seen"]["trigger_source"] == "DefineAuthChallenge_Authentication")
        .unwrap();
    assert_eq!(
        last_define["seen"]["session"],
        json!([
            ["CUSTOM_CHALLENGE", false, "QUIZ-1"],
            ["CUSTOM_CHALLENGE", true, "QUIZ-2"]
        ])
    );

    // Three wrong answers: the function fails the sign-in.
    let started = ok(initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await).await;
    let mut session = quiz_session(&started, "alice");
    for _ in 0..2 {
        let body = ok(answer(&app, &client, &session, "alice", "7").await).await;
        session = quiz_session(&body, "alice");
    }
    assert_error(
        answer(&app, &client, &session, "alice", "7").await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;

    // AdminInitiateAuth / AdminRespondToAuthChallenge run the same flow.
    let started = ok(admin(
        &app,
        "AdminInitiateAuth",
        &json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": client, "UserPoolId": pool.id.as_str(),
                "AuthParameters": {"USERNAME": "alice"}}),
    )
    .await)
    .await;
    let session = quiz_session(&started, "alice");
    let signed_in = ok(admin(
        &app,
        "AdminRespondToAuthChallenge",
        &json!({"ChallengeName": "CUSTOM_CHALLENGE", "ClientId": client,
                "UserPoolId": pool.id.as_str(), "Session": session,
                "ChallengeResponses": {"USERNAME": "alice", "ANSWER": "42"}}),
    )
    .await)
    .await;
    assert_tokens_for(&signed_in, "alice");
    app.stop().await;
}

async fn login(app: &TestApp, body: Value) -> reqwest::Response {
    app.post_json("/Login", &body).await
}

async fn the_login_api_runs_the_quiz_with_or_without_the_password_first(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, _pool, _client) = quiz_pool(backend, &host, "acme", quiz_triggers()).await;

    // Without the password: the quiz is the whole sign-in.
    let started = ok(login(
        &app,
        json!({"UserName": "alice", "TenantName": "acme", "AuthFlow": "CUSTOM_AUTH"}),
    )
    .await)
    .await;
    let session = quiz_session(&started["cognitoToken"], "alice");
    let answered = ok(app
        .respond_to_challenge(
            &json!({"TenantName": "acme", "ChallengeName": "CUSTOM_CHALLENGE",
                                      "Session": session, "ChallengeResponses": {"ANSWER": "42"}}),
        )
        .await)
    .await;
    assert_tokens_for(&answered["cognitoToken"], "alice");
    assert_eq!(
        functions(&host.take().await),
        [
            "define_auth_challenge",
            "create_auth_challenge",
            "verify_auth_challenge",
            "define_auth_challenge"
        ]
    );

    // With the password: proven first, as SRP would have proven it.
    let started = ok(login(
        &app,
        json!({"UserName": "alice", "TenantName": "acme", "Password": PASSWORD,
               "AuthFlow": "CUSTOM_AUTH"}),
    )
    .await)
    .await;
    quiz_session(&started["cognitoToken"], "alice");
    let seen = host.take().await;
    assert_eq!(
        functions(&seen),
        [
            "define_auth_challenge",
            "define_auth_challenge",
            "create_auth_challenge"
        ]
    );
    assert_eq!(seen[0]["seen"]["session"], json!([["SRP_A", true, null]]));
    assert_eq!(
        seen[1]["seen"]["session"],
        json!([["SRP_A", true, null], ["PASSWORD_VERIFIER", true, null]])
    );
    // No password reaches a function.
    assert!(
        seen.iter()
            .all(|i| !i["event"].to_string().contains(PASSWORD))
    );

    // A wrong password ends the sign-in before the quiz, and counts toward the lockout.
    let refused = login(
        &app,
        json!({"UserName": "alice", "TenantName": "acme", "Password": WRONG,
               "AuthFlow": "CUSTOM_AUTH"}),
    )
    .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(functions(&host.take().await), ["define_auth_challenge"]);

    // Malformed requests are refused before anything runs.
    for body in [
        json!({"UserName": "alice", "TenantName": "acme", "AuthFlow": "USER_SRP_AUTH", "Password": PASSWORD}),
        json!({"UserName": "alice", "TenantName": "acme"}),
        json!({"UserName": "alice", "TenantName": "acme", "AuthFlow": 7}),
    ] {
        let response = login(&app, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
    }
    let no_answer = app
        .respond_to_challenge(
            &json!({"TenantName": "acme", "ChallengeName": "CUSTOM_CHALLENGE",
                                      "Session": "x".repeat(40), "ChallengeResponses": {}}),
        )
        .await;
    assert_eq!(no_answer.status(), 400);
    assert!(host.take().await.is_empty());
    app.stop().await;
}

/// `InitiateAuth` with `CUSTOM_AUTH`, `SRP_A` and `CHALLENGE_NAME: SRP_A`: the
/// `PASSWORD_VERIFIER` challenge, with its session.
async fn srp_start(app: &TestApp, client: &str, username: &str) -> (Attempt, Value) {
    let srp = SrpClient::new(random_a());
    let challenge = ok(initiate(
        app,
        client,
        json!({"USERNAME": username, "SRP_A": srp.public_hex(), "CHALLENGE_NAME": "SRP_A"}),
        json!({}),
    )
    .await)
    .await;
    assert_eq!(
        challenge["ChallengeName"], "PASSWORD_VERIFIER",
        "{challenge}"
    );
    let session = challenge["Session"].clone();
    assert!(
        session.as_str().is_some_and(|s| s.len() >= 20),
        "{challenge}"
    );
    (
        Attempt {
            client: srp,
            challenge,
        },
        session,
    )
}

async fn verify_password(
    app: &TestApp,
    client: &str,
    session: &Value,
    responses: Value,
) -> reqwest::Response {
    cognito(
        app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": client, "Session": session,
                "ChallengeResponses": responses}),
    )
    .await
}

async fn srp_proves_the_password_before_the_quiz(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, pool, client) = quiz_pool(backend, &host, "srpquiz", quiz_triggers()).await;

    let (attempt, session) = srp_start(&app, &client, "alice").await;
    let seen = host.take().await;
    assert_eq!(functions(&seen), ["define_auth_challenge"]);
    assert_eq!(seen[0]["seen"]["session"], json!([["SRP_A", true, null]]));
    let quiz =
        ok(verify_password(&app, &client, &session, attempt.responses(&pool, PASSWORD)).await)
            .await;
    let quiz = quiz_session(&quiz, "alice");
    let seen = host.take().await;
    assert_eq!(
        functions(&seen),
        ["define_auth_challenge", "create_auth_challenge"]
    );
    assert_eq!(
        seen[0]["seen"]["session"],
        json!([["SRP_A", true, null], ["PASSWORD_VERIFIER", true, null]])
    );
    let signed_in = ok(answer(&app, &client, &quiz, "alice", "42").await).await;
    assert_tokens_for(&signed_in, "alice");

    // The proof must answer this sign-in's own SRP challenge, and the session is needed.
    let (attempt, session) = srp_start(&app, &client, "alice").await;
    let (other, _) = srp_start(&app, &client, "alice").await;
    assert_error(
        verify_password(&app, &client, &session, other.responses(&pool, PASSWORD)).await,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;
    assert_error(
        verify_password(&app, &client, &session, attempt.responses(&pool, PASSWORD)).await,
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    .await;

    // A wrong password: refused, and DefineAuthChallenge is not asked again.
    let (attempt, session) = srp_start(&app, &client, "alice").await;
    host.take().await;
    assert_error(
        verify_password(&app, &client, &session, attempt.responses(&pool, WRONG)).await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    assert!(host.take().await.is_empty());
    // The timestamp format is checked before anything is spent.
    let (attempt, session) = srp_start(&app, &client, "alice").await;
    let mut responses = attempt.responses(&pool, PASSWORD);
    responses["TIMESTAMP"] = json!("yesterday");
    let malformed = verify_password(&app, &client, &session, responses).await;
    assert_eq!(malformed.status(), 400);
    responses = attempt.responses(&pool, PASSWORD);
    responses["TIMESTAMP"] = json!(TIMESTAMP);
    ok(verify_password(&app, &client, &session, responses).await).await;

    // A client that allows CUSTOM_AUTH alone takes the password step too; plain SRP it refuses.
    ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": client,
                "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH"], "PreventUserExistenceErrors": "ENABLED"}),
    )
    .await)
    .await;
    let (attempt, session) = srp_start(&app, &client, "alice").await;
    let quiz =
        ok(verify_password(&app, &client, &session, attempt.responses(&pool, PASSWORD)).await)
            .await;
    quiz_session(&quiz, "alice");
    let plain = cognito(
        &app,
        "RespondToAuthChallenge",
        &json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": client,
                "ChallengeResponses": attempt.responses(&pool, PASSWORD)}),
    )
    .await;
    assert_error(
        plain,
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    )
    .await;
    app.stop().await;
}

async fn a_burst_of_answers_to_one_session_is_verified_once(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, _pool, client) = quiz_pool(backend, &host, "burst", quiz_triggers()).await;
    let app = std::sync::Arc::new(app);
    for round in 0..2 {
        let started =
            ok(initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await).await;
        let session = quiz_session(&started, "alice");
        host.take().await;
        // 49 wrong answers, then the right one last.
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (app, client, session) = (app.clone(), client.clone(), session.clone());
            let text = if i == 49 {
                "42".to_owned()
            } else {
                format!("{i}")
            };
            tasks.push(tokio::spawn(async move {
                let response = answer(&app, &client, &session, "alice", &text).await;
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.unwrap(),
                )
            }));
        }
        let mut answered = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            if status == 200 {
                answered.push(body);
            } else {
                assert_eq!(status, 400, "{body}");
                assert_eq!(body["message"], "Invalid session for the user.", "{body}");
            }
        }
        assert_eq!(
            answered.len(),
            1,
            "round {round}: exactly one answer is taken"
        );
        let verified = host
            .take()
            .await
            .into_iter()
            .filter(|i| i["seen"]["trigger_source"] == "VerifyAuthChallengeResponse_Authentication")
            .count();
        assert_eq!(verified, 1, "round {round}: the function judged one answer");
    }
    std::sync::Arc::into_inner(app).unwrap().stop().await;
}

async fn unknown_users_are_challenged_but_never_signed_in(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, pool, client) = quiz_pool(backend, &host, "ghosts", quiz_triggers()).await;

    // Hidden: the quiz is asked as for anyone, the functions are told, and no answer signs in.
    let started = ok(initiate(&app, &client, json!({"USERNAME": "ghost"}), json!({})).await).await;
    let session = quiz_session(&started, "ghost");
    let seen = host.take().await;
    assert_eq!(seen[0]["seen"]["user_not_found"], true);
    assert_eq!(seen[0]["seen"]["user_attributes"], json!({}));
    assert_eq!(seen[1]["seen"]["user_not_found"], true);
    assert_error(
        answer(&app, &client, &session, "ghost", "42").await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    // Even a function that issues tokens at once signs nobody in.
    assert_error(
        initiate(
            &app,
            &client,
            json!({"USERNAME": "ghost"}),
            json!({"define": "issue"}),
        )
        .await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;
    // A user created meanwhile under the name is not the sign-in's user.
    let started = ok(initiate(&app, &client, json!({"USERNAME": "late"}), json!({})).await).await;
    let session = quiz_session(&started, "late");
    app.create_user(&pool, "late", false).await;
    assert_error(
        answer(&app, &client, &session, "late", "42").await,
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    .await;

    // A LEGACY client is told, and no function runs.
    allow_custom_auth(&app, &pool, &client, true).await;
    host.take().await;
    assert_error(
        initiate(&app, &client, json!({"USERNAME": "ghost"}), json!({})).await,
        "UserNotFoundException",
        "",
    )
    .await;
    assert!(host.take().await.is_empty());
    app.stop().await;
}

async fn misconfigured_and_failing_functions_fail_with_cognitos_errors(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let app = app_with(backend, &host, Options::default()).await;

    // No DefineAuthChallenge: Cognito's InvalidParameterException.
    let (_, client) = custom_pool(&app, "plain", LambdaConfig::default()).await;
    assert_error(
        initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await,
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )
    .await;

    // A client without ALLOW_CUSTOM_AUTH.
    let (pool, client) = pool_with(&app, "closed", quiz_triggers()).await;
    app.create_user(&pool, "alice", false).await;
    ok(admin(
        &app,
        "UpdateUserPoolClient",
        &json!({"UserPoolId": pool.id.as_str(), "ClientId": client,
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await)
    .await;
    assert_error(
        initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await,
        "InvalidParameterException",
        "CUSTOM_AUTH flow not enabled for this client",
    )
    .await;

    let (_, client) = custom_pool(&app, "odd", quiz_triggers()).await;
    // A challenge only Cognito itself runs: an answer Gatehouse cannot follow.
    assert_error(
        initiate(
            &app,
            &client,
            json!({"USERNAME": "alice"}),
            json!({"define": "mfa"}),
        )
        .await,
        "InvalidLambdaResponseException",
        "Unrecognizable lambda output",
    )
    .await;
    // SRP_A without CHALLENGE_NAME is ignored, as Cognito ignores it: the quiz alone.
    let started = ok(initiate(
        &app,
        &client,
        json!({"USERNAME": "alice", "SRP_A": "ab"}),
        json!({}),
    )
    .await)
    .await;
    quiz_session(&started, "alice");
    // A function that never ends the sign-in is stopped.
    let started = ok(initiate(
        &app,
        &client,
        json!({"USERNAME": "alice"}),
        json!({"define": "loop"}),
    )
    .await)
    .await;
    let mut session = quiz_session(&started, "alice");
    let mut rounds = 0;
    loop {
        let response = cognito(
            &app,
            "RespondToAuthChallenge",
            &json!({"ChallengeName": "CUSTOM_CHALLENGE", "ClientId": client, "Session": session,
                    "ChallengeResponses": {"USERNAME": "alice", "ANSWER": "42"},
                    "ClientMetadata": {"define": "loop"}}),
        )
        .await;
        if response.status() != 200 {
            assert_error(
                response,
                "NotAuthorizedException",
                "Incorrect username or password.",
            )
            .await;
            break;
        }
        session = quiz_session(&response.json().await.unwrap(), "alice");
        rounds += 1;
        assert!(rounds < 20, "the sign-in must end");
    }
    assert_eq!(rounds, 16);
    host.take().await;

    // A function error, and a function that is down.
    let failing = LambdaConfig {
        define_auth_challenge: Some(arn("throws")),
        ..quiz_triggers()
    };
    let (_, client) = custom_pool(&app, "throws", failing).await;
    let refused = initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["__type"], "UserLambdaValidationException", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("DefineAuthChallenge failed with error "),
        "{body}"
    );
    let down = LambdaConfig {
        verify_auth_challenge_response: Some(arn("down")),
        ..quiz_triggers()
    };
    let (_, client) = custom_pool(&app, "down", down).await;
    let started = ok(initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await).await;
    let session = quiz_session(&started, "alice");
    assert_error(
        answer(&app, &client, &session, "alice", "42").await,
        "UnexpectedLambdaException",
        "",
    )
    .await;

    // Inputs are checked before anything runs.
    assert_error(
        answer(&app, &client, &json!("short"), "alice", "42").await,
        "InvalidParameterException",
        "",
    )
    .await;
    assert_error(
        answer(&app, &client, &session, "alice", &"x".repeat(2049)).await,
        "InvalidParameterException",
        "",
    )
    .await;
    app.stop().await;
}

async fn account_state_and_the_pools_mfa_apply_after_the_quiz(backend: Db) {
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, pool, client) = quiz_pool(backend, &host, "state", quiz_triggers()).await;

    // A disabled user is told only after the quiz is passed.
    ok(admin(
        &app,
        "AdminDisableUser",
        &json!({"UserPoolId": pool.id.as_str(), "Username": "alice"}),
    )
    .await)
    .await;
    let started = ok(initiate(&app, &client, json!({"USERNAME": "alice"}), json!({})).await).await;
    let session = quiz_session(&started, "alice");
    assert_error(
        answer(&app, &client, &session, "alice", "42").await,
        "NotAuthorizedException",
        "User is disabled.",
    )
    .await;

    // A user with a temporary password sets a new one after the quiz.
    app.create_user(&pool, "invited", true).await;
    let started =
        ok(initiate(&app, &client, json!({"USERNAME": "invited"}), json!({})).await).await;
    let session = quiz_session(&started, "invited");
    let next = ok(answer(&app, &client, &session, "invited", "42").await).await;
    assert_eq!(next["ChallengeName"], "NEW_PASSWORD_REQUIRED", "{next}");

    // The pool's MFA still stands between the quiz and the tokens.
    app.create_user(&pool, "carol", false).await;
    ok(admin(
        &app,
        "SetUserPoolMfaConfig",
        &json!({"UserPoolId": pool.id.as_str(), "MfaConfiguration": "ON",
                "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
    )
    .await)
    .await;
    let started = ok(initiate(&app, &client, json!({"USERNAME": "carol"}), json!({})).await).await;
    let session = quiz_session(&started, "carol");
    let next = ok(answer(&app, &client, &session, "carol", "42").await).await;
    assert_eq!(next["ChallengeName"], "MFA_SETUP", "{next}");
    assert!(next.get("AuthenticationResult").is_none());
    app.stop().await;
}

async fn real_clients_run_custom_auth_unchanged(backend: Db) {
    let Some(dir) = crate::cognito_api::js_clients() else {
        return;
    };
    let Some(host) = LambdaHost::start().await else {
        return;
    };
    let (app, pool, client) = quiz_pool(backend, &host, "clients", quiz_triggers()).await;
    let args = [app.address.clone(), pool.id.to_string(), client];
    let mut node = std::process::Command::new("node");
    node.arg("custom_auth_clients.mjs")
        .args(args)
        .current_dir(dir);
    crate::helpers::run_client(node, "custom auth js clients: all checks passed").await;
    let seen = host.take().await;
    assert!(
        seen.iter().any(|i| i["seen"]["session"]
            == json!([["SRP_A", true, null], ["PASSWORD_VERIFIER", true, null]])),
        "the clients proved the password by SRP inside the custom flow"
    );
    app.stop().await;
}
