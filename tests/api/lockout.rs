//! Lockout as Cognito documents it, with thresholds per pool: set by seed file or command
//! line, counted in the database (concurrent guesses, restarts), forgotten after a quiet
//! window, and refusing even the right password while locked, without hashing it.

use std::sync::Arc;

use gatehouse::auth::Services;
use gatehouse::domain::clock::FakeClock;
use gatehouse::domain::lockout::LockoutPolicy;
use gatehouse::manage::seed::SeedFile;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::helpers::{PASSWORD, TestApp, assert_error, field, test_settings};
use crate::hostile_input::{cognito, hashing_operations};
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

const NOT_AUTHORIZED: &str = "NotAuthorizedException";
const INCORRECT: &str = "Incorrect username or password.";
const EXCEEDED: &str = "Password attempts exceeded";
const WRONG: &str = "Wrong-Horse-9";

on_both_backends!(
    a_seeded_pool_with_two_free_failures_locks_after_two,
    seed_files_refuse_nonsense_lockout_settings,
    operators_set_lockout_thresholds_from_the_command_line,
    a_lock_refuses_the_right_password_without_hashing_it,
    failures_are_forgotten_after_fifteen_quiet_minutes,
    concurrent_wrong_guesses_each_count_once,
    a_restart_forgets_no_failure,
    a_burst_of_guesses_gets_no_more_verifications_than_the_free_failures,
    a_burst_of_previous_password_guesses_is_limited_the_same_way,
);

/// Applies a one-pool seed file with the given `Lockout` member and user alice.
async fn seed_pool(app: &TestApp, name: &str, lockout: Value) {
    let seed = json!({"Pools": [{
        "Name": name,
        "Lockout": lockout,
        "Users": [{"Username": "alice", "Password": PASSWORD}],
    }]});
    app.services
        .apply_seed(SeedFile::parse(&seed.to_string()).unwrap())
        .await
        .unwrap();
}

/// The stored failure count of `username` in pool `pool_name`.
async fn failure_count(services: &Services, pool_name: &str, username: &str) -> Option<i64> {
    let (pool, _) = services.find_pool(pool_name).await.unwrap();
    services
        .store
        .failures(pool.id.as_str(), &crate::helpers::username_key(username))
        .await
        .unwrap()
        .map(|record| record.count)
}

async fn a_seeded_pool_with_two_free_failures_locks_after_two(backend: Db) {
    let app = TestApp::spawn(backend).await;
    seed_pool(&app, "strict", json!({"FreeFailures": 2})).await;
    let (pool, client) = app.services.find_pool("strict").await.unwrap();
    assert_eq!(pool.settings.lockout.free_failures, 2);
    assert_eq!(pool.settings.lockout.max_lockout_seconds, 900, "default");
    for _ in 0..2 {
        assert_error(
            app.login("strict", "alice", WRONG).await,
            401,
            NOT_AUTHORIZED,
            INCORRECT,
        )
        .await;
    }
    assert_error(
        app.login("strict", "alice", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        EXCEEDED,
    )
    .await;
    // The Cognito API shares the counter: the pool is locked there too.
    let response = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"__type": NOT_AUTHORIZED, "message": EXCEEDED}));
    // 2^(2-2) = 1 s later the right password works again.
    app.clock.advance(1);
    assert_eq!(app.login("strict", "alice", PASSWORD).await.status(), 200);

    // Reseeding changes the thresholds of the existing pool, and again is a no-op.
    seed_pool(
        &app,
        "strict",
        json!({"FreeFailures": 4, "MaxLockoutSeconds": 60}),
    )
    .await;
    seed_pool(
        &app,
        "strict",
        json!({"FreeFailures": 4, "MaxLockoutSeconds": 60}),
    )
    .await;
    let (pool, _) = app.services.find_pool("strict").await.unwrap();
    assert_eq!(
        (
            pool.settings.lockout.free_failures,
            pool.settings.lockout.max_lockout_seconds,
            pool.settings.lockout.reset_after_seconds
        ),
        (4, 60, 900)
    );
    app.stop().await;
}

async fn seed_files_refuse_nonsense_lockout_settings(backend: Db) {
    let app = TestApp::spawn(backend).await;
    for (lockout, expected) in [
        (json!({"FreeFailures": 0}), "free failures must be 1-100"),
        (json!({"FreeFailures": 1000}), "free failures must be 1-100"),
        (
            json!({"MaxLockoutSeconds": 0}),
            "lockout maximum must be 1-86400",
        ),
        (
            json!({"MaxLockoutSeconds": 3600}),
            "reset window must be 3600-86400",
        ),
        (
            json!({"ResetAfterSeconds": 10}),
            "reset window must be 900-86400",
        ),
    ] {
        let seed = json!({"Pools": [{"Name": "bad", "Lockout": lockout}]});
        let error = app
            .services
            .apply_seed(SeedFile::parse(&seed.to_string()).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{lockout}: {error}");
        assert!(error.contains("pool \"bad\""), "{error}");
    }
    for lockout in [
        json!({"FreeFailures": -1}),
        json!({"FreeFailures": "5"}),
        json!({"FreeFailure": 5}),
    ] {
        let seed = json!({"Pools": [{"Name": "bad", "Lockout": lockout}]});
        assert!(SeedFile::parse(&seed.to_string()).is_err(), "{lockout}");
    }
    assert!(
        app.services.find_pool("bad").await.is_err(),
        "nothing was created"
    );
    app.stop().await;
}

async fn operators_set_lockout_thresholds_from_the_command_line(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    cli.ok(
        &[
            "pool",
            "create",
            "strict",
            "--lockout-free-failures",
            "2",
            "--lockout-max-seconds",
            "60",
            "--lockout-reset-seconds",
            "600",
        ],
        "",
    );
    let lockout_of = |cli: &Cli| {
        let shown: Value =
            serde_json::from_str(&cli.ok(&["pool", "show", "strict", "--json"], "")).unwrap();
        shown["Settings"]["Lockout"].clone()
    };
    assert_eq!(
        lockout_of(&cli),
        json!({"FreeFailures": 2, "MaxLockoutSeconds": 60, "ResetAfterSeconds": 600})
    );
    let updated: Value = serde_json::from_str(&cli.ok(
        &[
            "pool",
            "update",
            "strict",
            "--lockout-free-failures",
            "3",
            "--json",
        ],
        "",
    ))
    .unwrap();
    assert_eq!(updated["Settings"]["Lockout"]["FreeFailures"], 3);
    assert_eq!(lockout_of(&cli)["MaxLockoutSeconds"], 60, "others kept");
    for (args, expected) in [
        (
            vec!["pool", "update", "strict", "--lockout-free-failures", "0"],
            "free failures must be 1-100",
        ),
        (
            vec!["pool", "update", "strict", "--lockout-reset-seconds", "30"],
            "reset window must be 60-86400",
        ),
        (
            vec!["pool", "create", "other", "--lockout-max-seconds=-1"],
            "lockout maximum must be 1-86400",
        ),
        (
            vec!["pool", "update", "strict", "--lockout-free-failures", "x"],
            "invalid value 'x'",
        ),
        (
            vec!["pool", "update", "nosuch", "--lockout-free-failures", "3"],
            "does not exist",
        ),
    ] {
        let error = cli.fails(&args, "");
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    assert_eq!(
        lockout_of(&cli)["FreeFailures"],
        3,
        "refused changes left it alone"
    );

    // A server over that database applies the operator's thresholds: an unknown user of the
    // pool is locked after three failures.
    let mut settings = test_settings(&database.url);
    settings.crypto.pepper = Some(gatehouse::domain::secret::secret("cli-test-pepper-secret"));
    settings.crypto.key_encryption_key = Some(gatehouse::domain::secret::secret(
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    ));
    let app = gatehouse::app::App::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = crate::helpers::http_client();
    let mut messages = Vec::new();
    for _ in 0..4 {
        let response = client
            .post(format!("{address}/Login"))
            .json(&json!({"UserName": "nobody", "TenantName": "strict", "Password": WRONG}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        messages.push(body["message"].as_str().unwrap().to_owned());
    }
    assert_eq!(messages, [INCORRECT, INCORRECT, INCORRECT, EXCEEDED]);
    handle.stop(true).await;
}

async fn a_lock_refuses_the_right_password_without_hashing_it(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    for _ in 0..5 {
        app.login("acme", "alice", WRONG).await;
    }
    let hashed_before = hashing_operations(&app).await;
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        EXCEEDED,
    )
    .await;
    let response = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.id.to_string(),
                "AuthParameters": {"USERNAME": "ALICE", "PASSWORD": PASSWORD}}),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], EXCEEDED);
    assert_eq!(
        hashing_operations(&app).await,
        hashed_before,
        "a locked sign-in never reaches the hasher"
    );
    // Attempts during the lock do not count (Cognito: they do not extend it).
    assert_eq!(failure_count(&app.services, "acme", "alice").await, Some(5));
    app.stop().await;
}

async fn failures_are_forgotten_after_fifteen_quiet_minutes(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    for _ in 0..5 {
        app.login("acme", "alice", WRONG).await;
    }
    // 899 quiet seconds are not enough: the next failure is the sixth (locked 2 s).
    app.clock.advance(899);
    app.login("acme", "alice", WRONG).await;
    assert_eq!(failure_count(&app.services, "acme", "alice").await, Some(6));
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        EXCEEDED,
    )
    .await;
    // 900 quiet seconds: the next failure counts as the first, and four more stay free.
    app.clock.advance(900);
    for _ in 0..4 {
        assert_error(
            app.login("acme", "alice", WRONG).await,
            401,
            NOT_AUTHORIZED,
            INCORRECT,
        )
        .await;
    }
    assert_eq!(failure_count(&app.services, "acme", "alice").await, Some(4));
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    assert_eq!(
        failure_count(&app.services, "acme", "alice").await,
        None,
        "a sign-in clears the counter"
    );
    app.stop().await;
}

async fn concurrent_wrong_guesses_each_count_once(backend: Db) {
    const GUESSES: usize = 20;
    let app = Arc::new(TestApp::spawn(backend).await);
    // Enough free failures that no guess is cut short by the lock it helps to cause.
    seed_pool(&app, "acme", json!({"FreeFailures": 50})).await;
    let (_, client) = app.services.find_pool("acme").await.unwrap();
    let client_id = client.id.to_string();
    let mut guesses = Vec::new();
    for i in 0..GUESSES {
        let app = app.clone();
        let client_id = client_id.clone();
        guesses.push(tokio::spawn(async move {
            // Half through each API, with the username spelt differently each time.
            let username = if i % 3 == 0 { "ALICE" } else { "alice" };
            let status = if i % 2 == 0 {
                app.login("acme", username, WRONG).await.status()
            } else {
                cognito(
                    &app,
                    "InitiateAuth",
                    &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                            "AuthParameters": {"USERNAME": username, "PASSWORD": WRONG}}),
                )
                .await
                .status()
            };
            assert!(status == 400 || status == 401, "{status}");
        }));
    }
    for guess in guesses {
        guess.await.unwrap();
    }
    assert_eq!(
        failure_count(&app.services, "acme", "alice").await,
        Some(i64::try_from(GUESSES).unwrap()),
        "every concurrent guess counted exactly once"
    );
    Arc::into_inner(app).unwrap().stop().await;
}

async fn a_restart_forgets_no_failure(backend: Db) {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    for user in ["alice", "nobody"] {
        for _ in 0..6 {
            app.login("acme", user, WRONG).await;
        }
        // Five counted, then locked for 2^0 = 1 s: the sixth was refused without counting.
        app.clock.advance(1);
        app.login("acme", user, WRONG).await;
    }
    // A new server over the same database, on the same clock (every replica restarted).
    let url = app.database_url();
    let clock: Arc<FakeClock> = app.clock.clone();
    let replica = gatehouse::app::App::build_with_clock(test_settings(&url), clock.clone())
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", replica.port());
    let handle = replica.handle();
    let services = replica.services().clone();
    tokio::spawn(replica.run_until_handle_stops());
    // Stopping the first server closes its database pool, as a real shutdown does; from here
    // on the database is read through the new server's.
    app.server_handle().stop(true).await;

    let login = |user: &'static str, password: &'static str| {
        let address = address.clone();
        async move {
            let response = crate::helpers::http_client()
                .post(format!("{address}/Login"))
                .json(&json!({"UserName": user, "TenantName": "acme", "Password": password}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["message"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    for user in ["alice", "nobody"] {
        assert_eq!(
            login(user, PASSWORD).await,
            (401, EXCEEDED.to_owned()),
            "{user} is still locked after the restart"
        );
        assert_eq!(failure_count(&services, "acme", user).await, Some(6));
    }
    // The sixth failure locked for 2^(6-5) = 2 s; after it the right password works and
    // clears the count.
    clock.advance(2);
    assert_eq!(login("alice", PASSWORD).await.0, 200);
    assert_eq!(failure_count(&services, "acme", "alice").await, None);
    handle.stop(true).await;
}

/// The message of an error answer.
async fn message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["message"].as_str().unwrap_or_default().to_owned()
}

/// Counts the answers that are `INCORRECT` (the guess was verified) and `EXCEEDED` (refused
/// by the lock); anything else fails the test.
fn tally(messages: &[String]) -> (usize, usize) {
    let incorrect = messages.iter().filter(|m| *m == INCORRECT).count();
    let exceeded = messages.iter().filter(|m| *m == EXCEEDED).count();
    assert_eq!(incorrect + exceeded, messages.len(), "{messages:?}");
    (incorrect, exceeded)
}

const BURST: usize = 60;
/// The test server's hashing workers (helpers::test_settings).
const HASH_WORKERS: u64 = 2;

async fn a_burst_of_guesses_gets_no_more_verifications_than_the_free_failures(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, client) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let client_id = client.id.to_string();
    let hashed_before = hashing_operations(&app).await;
    let guesses = (0..BURST).map(|i| {
        let app = app.clone();
        let client_id = client_id.clone();
        tokio::spawn(async move {
            // Both sign-in APIs, with the username spelt differently: one counter.
            let username = if i % 3 == 0 { "ALICE" } else { "alice" };
            let response = if i % 2 == 0 {
                app.login("acme", username, WRONG).await
            } else {
                cognito(
                    &app,
                    "InitiateAuth",
                    &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                            "AuthParameters": {"USERNAME": username, "PASSWORD": WRONG}}),
                )
                .await
            };
            message(response).await
        })
    });
    let messages: Vec<String> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // The right password, once the burst is answered, finds the account locked.
    assert_error(
        app.login("acme", "alice", PASSWORD).await,
        401,
        NOT_AUTHORIZED,
        EXCEEDED,
    )
    .await;
    let response = cognito(
        &app,
        "InitiateAuth",
        &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(message(response).await, EXCEEDED);

    let free = u64::from(LockoutPolicy::default().free_failures);
    let hashed = hashing_operations(&app).await - hashed_before;
    assert!(
        hashed <= free + HASH_WORKERS,
        "{hashed} verifications for {BURST} guesses"
    );
    // Exactly the free failures were verified; every other guess was refused unhashed.
    assert_eq!(tally(&messages), (5, BURST - 5), "{messages:?}");
    assert_eq!(failure_count(&app.services, "acme", "alice").await, Some(5));
    Arc::into_inner(app).unwrap().stop().await;
}

async fn a_burst_of_previous_password_guesses_is_limited_the_same_way(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    let signed_in = app.sign_in("acme", "alice", PASSWORD).await;
    let access = field(&signed_in, "AccessToken");
    let hashed_before = hashing_operations(&app).await;
    let guesses = (0..BURST).map(|_| {
        let app = app.clone();
        let access = access.clone();
        tokio::spawn(async move {
            message(
                app.change_password(&access, WRONG, "Brand-New-Horse-7")
                    .await,
            )
            .await
        })
    });
    let messages: Vec<String> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let response = app
        .change_password(&access, PASSWORD, "Brand-New-Horse-7")
        .await;
    assert_eq!(message(response).await, EXCEEDED);
    let free = u64::from(LockoutPolicy::default().free_failures);
    let hashed = hashing_operations(&app).await - hashed_before;
    assert!(
        hashed <= free + HASH_WORKERS,
        "{hashed} verifications for {BURST} guesses"
    );
    assert_eq!(tally(&messages), (5, BURST - 5), "{messages:?}");
    // The password did not change.
    app.clock.advance(900);
    assert_eq!(app.login("acme", "alice", PASSWORD).await.status(), 200);
    Arc::into_inner(app).unwrap().stop().await;
}
