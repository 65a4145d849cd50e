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
    a_signing_key_row_edited_in_the_database_is_refused_not_published,
    rows_sealed_before_the_binding_still_load_and_are_resealed,
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
    let (pool, _) = app.create_pool("acme").await;
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
                client: crate::helpers::http_client(),
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
    let (pool, _) = app.create_pool("acme").await;
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

/// The kids a pool's JWKS publishes (fetched fresh: the clock moves past the render cache).
async fn published_kids(app: &TestApp, pool: &gatehouse::domain::pool::UserPool) -> Vec<String> {
    app.clock.advance(1);
    let response = app.client.get(app.jwks_url(pool)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn database(app: &TestApp) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&app.database_url()).await.unwrap()
}

/// Someone with write access to the database (and not to the key-encryption key) moves a key
/// to another pool, or gives a key another public half: the row no longer opens, so it is
/// neither published nor trusted, and everything else goes on.
async fn a_signing_key_row_edited_in_the_database_is_refused_not_published(backend: Db) {
    use gatehouse::store::KeyPurpose;

    let app = TestApp::spawn(backend).await;
    let (acme, _) = app.create_pool("acme").await;
    let (globex, _) = app.create_pool("globex").await;
    app.create_user(&acme, "alice", false).await;
    app.create_user(&globex, "gina", false).await;
    let globex_kids = published_kids(&app, &globex).await;
    let pending = app.services.keys.rotate(&acme.id).await.unwrap();
    let moved = pending
        .iter()
        .find(|k| k.purpose == KeyPurpose::Id)
        .unwrap()
        .clone();
    let rekeyed = pending
        .iter()
        .find(|k| k.purpose == KeyPurpose::Access)
        .unwrap()
        .clone();
    let acme_kids = published_kids(&app, &acme).await;
    assert_eq!(acme_kids.len(), 4);
    assert!(acme_kids.contains(&moved.kid) && acme_kids.contains(&rekeyed.kid));

    let db = database(&app).await;
    // Moved: acme's pending ID-token key now claims to be globex's.
    sqlx::query("UPDATE signing_keys SET pool_id = $1 WHERE kid = $2")
        .bind(globex.id.to_string())
        .bind(&moved.kid)
        .execute(&db)
        .await
        .unwrap();
    // Re-keyed: the pending access-token key keeps its kid but gets another modulus.
    let mut jwk: Value = serde_json::from_str(&rekeyed.public_jwk).unwrap();
    let other = gatehouse::crypto::keys::generate_rsa().unwrap();
    jwk["n"] = Value::String(other.public.n.clone());
    sqlx::query("UPDATE signing_keys SET public_jwk = $1 WHERE kid = $2")
        .bind(jwk.to_string())
        .bind(&rekeyed.kid)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;

    assert_eq!(published_kids(&app, &globex).await, globex_kids);
    let acme_now = published_kids(&app, &acme).await;
    assert_eq!(acme_now.len(), 2, "{acme_now:?}");
    assert!(!acme_now.contains(&moved.kid) && !acme_now.contains(&rekeyed.kid));
    // Unrelated requests are untouched: sign-ins on both pools, tokens that verify.
    for (tenant, user) in [("acme", "alice"), ("globex", "gina")] {
        let tokens = app.sign_in(tenant, user, PASSWORD).await;
        assert_eq!(
            app.user_info(&field(&tokens, "AccessToken")).await.status(),
            200
        );
    }
    // Once due, neither refused row is promoted: each pool keeps signing with its own key.
    app.clock
        .advance(app.services.keys.policy().activation_delay_seconds + 1);
    for (tenant, user) in [("acme", "alice"), ("globex", "gina")] {
        let tokens = app.sign_in(tenant, user, PASSWORD).await;
        let kid = jwt_part(&field(&tokens, "AccessToken"), 0)["kid"].clone();
        assert_ne!(kid, Value::String(rekeyed.kid.clone()));
        let kid = jwt_part(&field(&tokens, "IdToken"), 0)["kid"].clone();
        assert_ne!(kid, Value::String(moved.kid.clone()));
    }
    assert_eq!(published_kids(&app, &globex).await, globex_kids);
    app.stop().await;
}

/// Rows sealed before the binding (`v1.`, bound to the kid only) still work when their
/// public key is their private key's, and are re-sealed bound on first use; a v1 row whose
/// public key is someone else's is refused.
async fn rows_sealed_before_the_binding_still_load_and_are_resealed(backend: Db) {
    use gatehouse::crypto::keys::generate_rsa;
    use gatehouse::store::{KeyPurpose, SigningKeyRecord};
    use secrecy::ExposeSecret;

    let app = TestApp::spawn(backend).await;
    let (acme, _) = app.create_pool("acme").await;
    let active = published_kids(&app, &acme).await;
    let now = app.clock_now();
    let legacy_row = |key: &gatehouse::crypto::keys::GeneratedKey,
                      public: &gatehouse::crypto::keys::PublicJwk,
                      purpose| SigningKeyRecord {
        kid: public.kid.clone(),
        pool_id: acme.id.clone(),
        purpose,
        alg: "RS256".into(),
        private_key_encrypted: app
            .services
            .kek
            .encrypt(key.private_der.expose_secret(), &public.kid)
            .unwrap(),
        public_jwk: serde_json::to_string(public).unwrap(),
        state: KeyState::Pending,
        created_at: now,
        activates_at: now + 3_600,
        retired_at: None,
    };
    let good = generate_rsa().unwrap();
    let (victim, impostor) = (generate_rsa().unwrap(), generate_rsa().unwrap());
    let store = &app.services.store;
    assert!(
        store
            .insert_signing_key(&legacy_row(&good, &good.public, KeyPurpose::Id))
            .await
            .unwrap()
    );
    // The impostor's private key under the victim's public half (and kid).
    assert!(
        store
            .insert_signing_key(&legacy_row(&impostor, &victim.public, KeyPurpose::Access))
            .await
            .unwrap()
    );

    let kids = published_kids(&app, &acme).await;
    assert!(kids.contains(&good.kid), "{kids:?}");
    assert!(!kids.contains(&victim.kid), "{kids:?}");
    assert_eq!(kids.len(), active.len() + 1);
    let rows = store.signing_keys(&acme.id).await.unwrap();
    let resealed = rows.iter().find(|r| r.kid == good.kid).unwrap();
    assert!(resealed.private_key_encrypted.starts_with("v2."));
    let refused = rows.iter().find(|r| r.kid == victim.kid).unwrap();
    assert!(refused.private_key_encrypted.starts_with("v1."));
    // Re-sealed, it keeps loading.
    assert!(published_kids(&app, &acme).await.contains(&good.kid));
    app.stop().await;
}
