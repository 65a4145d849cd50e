//! Signing-key rotation while a client keeps signing in and verifying against the JWKS it
//! re-fetches on an unknown `kid`: not one verification may fail.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use gatehouse::store::KeyState;
use serde_json::Value;

use crate::helpers::{Options, PASSWORD, TestApp, field, jwt_part};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(
    rotation_under_load_causes_no_verification_failure,
    scheduled_rotation_and_housekeeping_follow_the_clock,
);

/// A relying party: caches the JWKS, re-fetches it when it meets an unknown kid.
struct Verifier {
    client: reqwest::Client,
    jwks_url: String,
    keys: HashMap<String, jsonwebtoken::DecodingKey>,
    fetches: usize,
}

impl Verifier {
    async fn fetch(&mut self) {
        let jwks: jsonwebtoken::jwk::JwkSet = self
            .client
            .get(&self.jwks_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.keys = jwks
            .keys
            .iter()
            .map(|k| {
                (
                    k.common.key_id.clone().unwrap(),
                    jsonwebtoken::DecodingKey::from_jwk(k).unwrap(),
                )
            })
            .collect();
        self.fetches += 1;
    }

    async fn verify(&mut self, token: &str) -> bool {
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        if !self.keys.contains_key(&kid) {
            self.fetch().await;
        }
        let Some(key) = self.keys.get(&kid) else {
            return false;
        };
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_aud = false;
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(token, key, &validation).is_ok()
    }
}

async fn rotation_under_load_causes_no_verification_failure(backend: Db) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let (pool, _) = app.create_tenant("acme").await;
    app.create_user(&pool, "alice", false).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    let old_kid = jwt_part(&field(&first, "AccessToken"), 0)["kid"].clone();

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    // The client reports how many tokens it has verified; the test waits on it, not on time.
    let (progress, mut verified) = tokio::sync::watch::channel(0usize);
    let load = {
        let (app, stop, failures) = (app.clone(), stop.clone(), failures.clone());
        let jwks_url = app.jwks_url(&pool);
        tokio::spawn(async move {
            let mut verifier = Verifier {
                client: reqwest::Client::new(),
                jwks_url,
                keys: HashMap::new(),
                fetches: 0,
            };
            verifier.fetch().await;
            let mut kids = std::collections::BTreeSet::new();
            while !stop.load(Ordering::SeqCst) {
                let tokens = app.sign_in("acme", "alice", PASSWORD).await;
                for name in ["IdToken", "AccessToken"] {
                    let token = field(&tokens, name);
                    kids.insert(jwt_part(&token, 0)["kid"].as_str().unwrap().to_owned());
                    if verifier.verify(&token).await {
                        progress.send_modify(|n| *n += 1);
                    } else {
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            (kids, verifier.fetches)
        })
    };

    // Each phase lasts until the client has verified 40 more tokens.
    let mut next_phase = async || {
        let start = *verified.borrow();
        verified.wait_for(|n| *n >= start + 40).await.unwrap();
    };
    next_phase().await;
    let pending = app.services.keys.rotate(&pool.id).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|k| k.state == KeyState::Pending));
    let published = app.services.keys.jwks(&pool.id).await.unwrap();
    assert_eq!(
        published.len(),
        4,
        "new keys are published before they sign"
    );
    next_phase().await;
    // Past the activation delay (and the replica's 30 s cache): the new keys sign.
    app.clock.advance(601);
    next_phase().await;
    // Past the longest token lifetime: the old keys are retired for good.
    app.clock.advance(86_400 + 31);
    app.services.housekeeping_pass().await.unwrap();
    next_phase().await;
    stop.store(true, Ordering::SeqCst);
    let (kids, fetches) = load.await.unwrap();

    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "no verification failed during rotation"
    );
    assert_eq!(
        kids.len(),
        4,
        "tokens were signed by the old and then the new keys"
    );
    assert!(
        fetches >= 2,
        "the verifier re-fetched the JWKS on the new kid"
    );
    let after: Vec<String> = app
        .services
        .keys
        .jwks(&pool.id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(after.len(), 2);
    assert!(
        !after.contains(&old_kid.as_str().unwrap().to_owned()),
        "the retired key is gone"
    );
    let states: Vec<KeyState> = app
        .services
        .keys
        .list(&pool.id)
        .await
        .unwrap()
        .iter()
        .map(|k| k.state)
        .collect();
    assert_eq!(states, [KeyState::Active, KeyState::Active]);
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}

async fn scheduled_rotation_and_housekeeping_follow_the_clock(backend: Db) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            key_rotation_days: 7,
            ..Options::default()
        },
    )
    .await;
    let (pool, _) = app.create_tenant("acme").await;
    app.create_user(&pool, "alice", false).await;
    let first = app.sign_in("acme", "alice", PASSWORD).await;
    app.services.housekeeping_pass().await.unwrap();
    assert_eq!(
        app.services.keys.list(&pool.id).await.unwrap().len(),
        2,
        "not due yet"
    );

    app.clock.advance(7 * 86_400);
    app.services.housekeeping_pass().await.unwrap();
    let keys = app.services.keys.list(&pool.id).await.unwrap();
    assert_eq!(
        keys.iter().filter(|k| k.state == KeyState::Pending).count(),
        2
    );
    app.services.housekeeping_pass().await.unwrap();
    assert_eq!(
        app.services.keys.list(&pool.id).await.unwrap().len(),
        4,
        "one rotation at a time"
    );

    app.clock.advance(601);
    let later = app.sign_in("acme", "alice", PASSWORD).await;
    assert_ne!(
        jwt_part(&field(&later, "AccessToken"), 0)["kid"],
        jwt_part(&field(&first, "AccessToken"), 0)["kid"]
    );
    // The first session expired long ago? No: 30 days. It is still refreshable, and its
    // expired sessions are purged once past their absolute expiry.
    app.clock.advance(30 * 86_400);
    let purged = app.services.housekeeping_pass().await.unwrap();
    assert_eq!(purged.sessions, 2);
    assert_eq!(
        purged.keys, 2,
        "retired keys removed after their tokens expired"
    );
    assert_eq!(
        app.refresh(&field(&first, "RefreshToken")).await.status(),
        401
    );
    app.stop().await;
}
