//! `POST /RefreshToken`: rotation, reuse detection, the grace window, and the race.

use gatehouse::crypto::opaque::hash_token;
use gatehouse::domain::clock::Clock;
use gatehouse::domain::username::Username;
use gatehouse::manage::clients::ClientChanges;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error, field, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

const REUSE: &str = "RefreshTokenReuseException";
const INVALID: &str = "Invalid Refresh Token";

on_both_backends!(
    refresh_rotates_and_keeps_the_sign_in_session,
    reuse_after_the_window_revokes_the_whole_session,
    a_concurrent_duplicate_is_refused_without_revoking,
    inside_the_grace_window_the_predecessor_works_once,
    a_grandparent_never_works_even_inside_the_window,
    refresh_tokens_are_bound_to_their_tenant,
    refresh_tokens_expire_with_the_session,
    malformed_and_unknown_refresh_tokens_are_refused,
    refresh_fails_after_logout_global_sign_out_disable_delete_and_password_change,
    fifty_concurrent_refreshes_have_exactly_one_winner,
    a_replay_after_the_answer_in_the_same_second_revokes_the_session,
    a_token_whose_successor_was_exchanged_is_reuse_at_once,
    two_holders_cannot_take_turns_inside_the_grace_window,
);

async fn setup(backend: Db) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let (pool, _) = app.create_pool("acme").await;
    app.create_user(&pool, "alice", false).await;
    app
}

async fn refreshed(app: &TestApp, token: &str) -> Value {
    let response = app.refresh(token).await;
    assert_eq!(response.status(), 200, "refresh failed");
    let body: Value = response.json().await.unwrap();
    body["cognitoToken"]["AuthenticationResult"].clone()
}

async fn set_grace(app: &TestApp, seconds: i64) {
    let (pool, client) = app.services.find_pool("acme").await.unwrap();
    let _ = pool;
    app.services
        .update_client(
            &client,
            &ClientChanges {
                refresh_grace_seconds: Some(seconds),
                ..ClientChanges::default()
            },
        )
        .await
        .unwrap();
}

async fn refresh_rotates_and_keeps_the_sign_in_session(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let signed_in = jwt_part(&field(&first, "AccessToken"), 1);
    app.clock.advance(60);
    let response = app.refresh(&field(&first, "RefreshToken")).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    let second = body["cognitoToken"]["AuthenticationResult"].clone();
    assert!(text.starts_with(
        r#"{"cognitoToken":{"ChallengeParameters":{},"AuthenticationResult":{"IdToken":"#
    ));
    assert_eq!(second["TokenType"], "Bearer");
    assert_eq!(second["ExpiresIn"], 3600);
    assert_ne!(second["RefreshToken"], first["RefreshToken"]);
    for token in ["IdToken", "AccessToken"] {
        let claims = jwt_part(&field(&second, token), 1);
        assert_eq!(
            claims["auth_time"], signed_in["auth_time"],
            "auth_time survives refresh"
        );
        assert_eq!(
            claims["origin_jti"], signed_in["origin_jti"],
            "origin_jti survives refresh"
        );
        assert_eq!(claims["iat"], signed_in["iat"].as_i64().unwrap() + 60);
        assert_ne!(claims["jti"], signed_in["jti"]);
    }
    // The new token is stored as a hash, linked to the one it replaced.
    let old_hash = hash_token(&field(&first, "RefreshToken"));
    let new_hash = hash_token(&field(&second, "RefreshToken"));
    let old = app
        .services
        .store
        .refresh_token(&old_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.replaced_by.as_ref(), Some(&new_hash));
    assert!(old.consumed_at.is_some());
    // And it refreshes in turn.
    refreshed(&app, &field(&second, "RefreshToken")).await;
    app.stop().await;
}

async fn reuse_after_the_window_revokes_the_whole_session(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    let third = refreshed(&app, &field(&second, "RefreshToken")).await;
    app.clock.advance(1);
    assert_error(
        app.refresh(&field(&second, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    // The whole family is gone: the newest token too, and the session's access token.
    assert_error(
        app.refresh(&field(&third, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    assert_error(
        app.user_info(&field(&third, "AccessToken")).await,
        401,
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    .await;
    // Other sessions are untouched.
    let other = app.sign_in("acme", "alice", PASSWORD).await;
    refreshed(&app, &field(&other, "RefreshToken")).await;
    app.stop().await;
}

async fn a_concurrent_duplicate_is_refused_without_revoking(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    // Inside the race window (the test clock has not moved): a retry racing the first
    // answer, not a replay.
    assert_error(
        app.refresh(&field(&first, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    refreshed(&app, &field(&second, "RefreshToken")).await;
    app.stop().await;
}

async fn inside_the_grace_window_the_predecessor_works_once(backend: Db) {
    let app = setup(backend).await;
    set_grace(&app, 10).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    app.clock.advance(5);
    // The client lost `second` and retries with `first`: it gets a fresh family head.
    let retried = refreshed(&app, &field(&first, "RefreshToken")).await;
    let claims = jwt_part(&field(&retried, "AccessToken"), 1);
    assert_eq!(
        claims["origin_jti"],
        jwt_part(&field(&first, "AccessToken"), 1)["origin_jti"]
    );
    // `second` was replaced by the retry; the retry's token is the live one.
    refreshed(&app, &field(&retried, "RefreshToken")).await;
    // A second re-exchange of the same predecessor is reuse.
    app.clock.advance(1);
    assert_error(
        app.refresh(&field(&first, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    let _ = second;
    app.stop().await;
}

async fn a_grandparent_never_works_even_inside_the_window(backend: Db) {
    let app = setup(backend).await;
    set_grace(&app, 60).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    app.clock.advance(1);
    let third = refreshed(&app, &field(&second, "RefreshToken")).await;
    app.clock.advance(1);
    assert_error(
        app.refresh(&field(&first, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    assert_error(
        app.refresh(&field(&third, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}

async fn refresh_tokens_are_bound_to_their_tenant(backend: Db) {
    let app = setup(backend).await;
    app.create_pool("globex").await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let token = field(&first, "RefreshToken");
    for tenant in ["globex", "nosuch"] {
        let response = app
            .post_json(
                "/RefreshToken",
                &json!({"RefreshToken": token, "TenantName": tenant}),
            )
            .await;
        assert_error(response, 401, "NotAuthorizedException", INVALID).await;
    }
    // Refusing it did not consume it.
    let response = app
        .post_json(
            "/RefreshToken",
            &json!({"RefreshToken": token, "TenantName": "acme"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

async fn refresh_tokens_expire_with_the_session(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    app.clock.advance(29 * 86_400);
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    // The limit counts from sign-in, not from the last refresh.
    app.clock.advance(86_400);
    assert_error(
        app.refresh(&field(&second, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}

async fn malformed_and_unknown_refresh_tokens_are_refused(backend: Db) {
    let app = setup(backend).await;
    for token in ["", "has space", "ü", &"x".repeat(5000)] {
        assert_error(
            app.refresh(token).await,
            400,
            "InvalidParameterException",
            "",
        )
        .await;
    }
    for token in [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJub25lIn0.e30.",
    ] {
        assert_error(
            app.refresh(token).await,
            401,
            "NotAuthorizedException",
            INVALID,
        )
        .await;
    }
    let response = app
        .post_json("/RefreshToken", &json!({"RefreshToken": 42}))
        .await;
    assert_error(response, 400, "InvalidParameterException", "").await;
    app.stop().await;
}

async fn refresh_fails_after_logout_global_sign_out_disable_delete_and_password_change(
    backend: Db,
) {
    let app = setup(backend).await;
    let (pool, _) = app.services.find_pool("acme").await.unwrap();
    let alice = Username::parse("alice").unwrap();

    let session = app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.logout(&field(&session, "RefreshToken")).await.status(),
        200
    );
    assert_error(
        app.refresh(&field(&session, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;

    let a = app.sign_in("acme", "alice", PASSWORD).await;
    let b = app.sign_in("acme", "alice", PASSWORD).await;
    assert_eq!(
        app.global_sign_out(&field(&a, "AccessToken"))
            .await
            .status(),
        200
    );
    for s in [&a, &b] {
        assert_error(
            app.refresh(&field(s, "RefreshToken")).await,
            401,
            "NotAuthorizedException",
            INVALID,
        )
        .await;
    }

    app.clock.advance(1);
    let session = app.sign_in("acme", "alice", PASSWORD).await;
    app.services
        .set_user_enabled(&pool, &alice, false)
        .await
        .unwrap();
    assert_error(
        app.refresh(&field(&session, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.services
        .set_user_enabled(&pool, &alice, true)
        .await
        .unwrap();

    app.clock.advance(1);
    let kept = app.sign_in("acme", "alice", PASSWORD).await;
    let other = app.sign_in("acme", "alice", PASSWORD).await;
    let response = app
        .change_password(&field(&kept, "AccessToken"), PASSWORD, "Changed-Horse-10")
        .await;
    assert_eq!(response.status(), 200);
    assert_error(
        app.refresh(&field(&other, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    refreshed(&app, &field(&kept, "RefreshToken")).await;

    app.clock.advance(1);
    let admin_set = app.sign_in("acme", "alice", "Changed-Horse-10").await;
    app.services
        .set_user_password(
            &pool,
            &alice,
            &gatehouse::domain::secret::secret(PASSWORD),
            false,
        )
        .await
        .unwrap();
    assert_error(
        app.refresh(&field(&admin_set, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;

    app.clock.advance(1);
    let last = app.sign_in("acme", "alice", PASSWORD).await;
    app.services.delete_user(&pool, &alice).await.unwrap();
    assert_error(
        app.refresh(&field(&last, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}

/// How many times the race runs; the stress script raises it.
fn race_iterations() -> usize {
    std::env::var("GATEHOUSE_REFRESH_RACE_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

async fn fifty_concurrent_refreshes_have_exactly_one_winner(backend: Db) {
    let app = setup(backend).await;
    let iterations = race_iterations();
    let mut totals = [0usize; 3]; // successes, 401s, anything else
    for iteration in 0..iterations {
        let first = app.sign_in("acme", "alice", PASSWORD).await;
        let token = field(&first, "RefreshToken");
        let racers = (0..50).map(|_| app.refresh(&token));
        let responses = futures_util::future::join_all(racers).await;
        let mut winners = Vec::new();
        let mut refused = 0;
        for response in responses {
            match response.status().as_u16() {
                200 => {
                    let body: Value = response.json().await.unwrap();
                    winners.push(field(
                        &body["cognitoToken"]["AuthenticationResult"],
                        "RefreshToken",
                    ));
                }
                401 => refused += 1,
                other => panic!("iteration {iteration}: status {other}"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "iteration {iteration}: exactly one success"
        );
        assert_eq!(refused, 49, "iteration {iteration}");
        totals[0] += winners.len();
        totals[1] += refused;
        // One live successor: the presented token points at the winner's, which is unconsumed.
        let presented = app
            .services
            .store
            .refresh_token(&hash_token(&token))
            .await
            .unwrap()
            .unwrap();
        let successor = hash_token(&winners[0]);
        assert_eq!(presented.replaced_by.as_ref(), Some(&successor));
        let live = app
            .services
            .store
            .refresh_token(&successor)
            .await
            .unwrap()
            .unwrap();
        assert!(live.consumed_at.is_none());
        let session = app
            .services
            .store
            .session(&live.session_id)
            .await
            .unwrap()
            .unwrap();
        assert!(session.revoked_at.is_none(), "the race revoked nothing");
    }
    eprintln!(
        "refresh race ({backend:?}): {iterations} runs x 50 requests: {} successes, {} refused (401), {} other",
        totals[0], totals[1], totals[2]
    );
    app.stop().await;
}

async fn a_replay_after_the_answer_in_the_same_second_revokes_the_session(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    // The answer is in; 600 ms later, still inside the same second, the old token is back.
    app.clock.advance_millis(600);
    assert_eq!(
        app.clock.now_millis().rem_euclid(1000),
        600,
        "the same second as the rotation"
    );
    assert_error(
        app.refresh(&field(&first, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    assert_error(
        app.refresh(&field(&second, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}

async fn a_token_whose_successor_was_exchanged_is_reuse_at_once(backend: Db) {
    let app = setup(backend).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let second = refreshed(&app, &field(&first, "RefreshToken")).await;
    let third = refreshed(&app, &field(&second, "RefreshToken")).await;
    // Not a millisecond has passed, but the family has moved on twice: a replay.
    assert_error(
        app.refresh(&field(&first, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    assert_error(
        app.refresh(&field(&third, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}

async fn two_holders_cannot_take_turns_inside_the_grace_window(backend: Db) {
    let app = setup(backend).await;
    set_grace(&app, 60).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    // Holder A exchanges the token; holder B, with a copy, re-exchanges it inside the window.
    let a = refreshed(&app, &field(&first, "RefreshToken")).await;
    app.clock.advance(1);
    let b = refreshed(&app, &field(&first, "RefreshToken")).await;
    // A's token was consumed by B's re-exchange; A cannot re-exchange it in turn.
    app.clock.advance(1);
    assert_error(
        app.refresh(&field(&a, "RefreshToken")).await,
        401,
        REUSE,
        "",
    )
    .await;
    assert_error(
        app.refresh(&field(&b, "RefreshToken")).await,
        401,
        "NotAuthorizedException",
        INVALID,
    )
    .await;
    app.stop().await;
}
