//! Signing keys per pool and purpose: created on first use, kept encrypted in the store,
//! rotated through pending → active → retired, and published as the pool's JWKS.
//!
//! Rotation never breaks a verifier: a new key is published (pending) for longer than the
//! JWKS may be cached before it signs anything, and a retired key stays published until
//! every token it signed has expired.
//!
//! A row is only used as far as the key-encryption key vouches for it. The private key is
//! sealed with everything the row says about it (pool, purpose, kid, algorithm and the
//! public JWK) as associated data, so a row edited in the database (moved to another pool,
//! given another public key) no longer opens: it is neither published nor used, and the
//! refusal is logged. Rows sealed before this binding existed (`v1`, bound to the kid only)
//! are checked by deriving the public key from the private one, and re-sealed bound on
//! first use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::DecodingKey;
use secrecy::{ExposeSecret, SecretSlice};

use super::AuthError;
use crate::crypto::jwt::{self, SigningKey};
use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::keys::{self, PublicJwk};
use crate::domain::clock::{Clock, UnixSeconds};
use crate::domain::error_chain::ErrorChain;
use crate::domain::ids::UserPoolId;
use crate::store::{KeyPurpose, KeyState, SigningKeyRecord, Store};

/// How long a replica trusts its idea of which key is active before asking the store again.
const ACTIVE_KEY_CACHE_SECONDS: i64 = 30;
/// The longest an ID or access token can live (Cognito's maximum, one day) plus the
/// verification leeway: a retired key is published at least this long.
pub const RETIRED_KEY_PUBLICATION_SECONDS: i64 = 86_400 + 30;

/// How keys rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Seconds between publishing a new key and signing with it; longer than the JWKS
    /// `Cache-Control` max-age, so every verifier has seen the key before meeting it.
    pub activation_delay_seconds: i64,
    /// Rotate automatically when the active key is this old (None: only by command).
    pub rotation_days: Option<u32>,
}

#[derive(Clone)]
struct ActiveKey {
    kid: String,
    key: Arc<SigningKey>,
    checked_at: UnixSeconds,
}

#[derive(Clone)]
pub struct SigningKeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    kek: Arc<KeyEncryptionKey>,
    policy: KeyPolicy,
    active: Arc<Mutex<HashMap<(UserPoolId, &'static str), ActiveKey>>>,
    /// Verification keys by kid. Keys never change under a kid, so entries stay valid; a
    /// deleted key simply stops being found in the store first.
    verifying: Arc<Mutex<HashMap<String, Arc<DecodingKey>>>>,
    /// Counts the key changes this process made, so what is derived from the published keys
    /// (the rendered JWKS) can tell it is out of date.
    generation: Arc<AtomicU64>,
}

impl SigningKeys {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        kek: Arc<KeyEncryptionKey>,
        policy: KeyPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            kek,
            policy,
            active: Arc::default(),
            verifying: Arc::default(),
            generation: Arc::default(),
        }
    }

    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }

    /// Changes whenever this process creates or promotes a key.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The key that signs `purpose` tokens for `pool` now: creates it on first use and
    /// promotes a pending key whose time has come.
    pub async fn signing_key(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
    ) -> Result<(String, Arc<SigningKey>), AuthError> {
        let now = self.clock.now();
        let cache_key = (pool.clone(), purpose.as_str());
        if let Some(cached) = self.cached(&cache_key, now) {
            return Ok((cached.kid, cached.key));
        }
        let record = self.current_active(pool, purpose, now).await?;
        // A key is opened (decrypted under the KEK) once per rotation: when the store still
        // names the key this replica holds, only the check's time moves on.
        let held = self
            .active
            .lock()
            .ok()
            .and_then(|cache| cache.get(&cache_key).cloned())
            .filter(|held| held.kid == record.kid);
        let key = match held {
            Some(held) => held.key,
            None => {
                let der = self.open(&record).await?;
                Arc::new(keys::signing_key(der.expose_secret()).map_err(AuthError::internal)?)
            }
        };
        if let Ok(mut cache) = self.active.lock() {
            cache.insert(
                cache_key,
                ActiveKey {
                    kid: record.kid.clone(),
                    key: key.clone(),
                    checked_at: now,
                },
            );
        }
        Ok((record.kid, key))
    }

    fn cached(
        &self,
        cache_key: &(UserPoolId, &'static str),
        now: UnixSeconds,
    ) -> Option<ActiveKey> {
        let cache = self.active.lock().ok()?;
        cache
            .get(cache_key)
            .filter(|k| now - k.checked_at < ACTIVE_KEY_CACHE_SECONDS && now >= k.checked_at)
            .cloned()
    }

    /// Reads the active key, promoting a due pending key first; creates one if none exists.
    async fn current_active(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
        now: UnixSeconds,
    ) -> Result<SigningKeyRecord, AuthError> {
        for _ in 0..3 {
            let records = self.store.signing_keys(pool).await?;
            let active = records
                .iter()
                .find(|k| k.purpose == purpose && k.state == KeyState::Active);
            let due = records.iter().find(|k| {
                k.purpose == purpose && k.state == KeyState::Pending && k.activates_at <= now
            });
            // A refused row is never promoted: the active key keeps signing.
            let due = match due {
                Some(pending) if self.open(pending).await.is_ok() => Some(pending),
                _ => None,
            };
            match (active, due) {
                (active, Some(pending)) => {
                    let promoted = self
                        .store
                        .promote_signing_key(&pending.kid, active.map(|a| a.kid.as_str()), now)
                        .await?;
                    if promoted {
                        self.generation.fetch_add(1, Ordering::SeqCst);
                        tracing::info!(pool = %pool, purpose = purpose.as_str(), kid = %pending.kid, "signing key activated");
                    }
                    // Promoted here or by another replica: read the new state again.
                }
                (Some(active), None) => return Ok(active.clone()),
                (None, None) => {
                    if let Some(created) = self.create(pool, purpose, KeyState::Active, now).await?
                    {
                        return Ok(created);
                    }
                }
            }
        }
        Err(AuthError::internal(format!(
            "no active {} signing key for pool {pool} after repeated attempts",
            purpose.as_str()
        )))
    }

    /// Generates and stores a key; None if an equivalent key (same state) appeared meanwhile.
    async fn create(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
        state: KeyState,
        now: UnixSeconds,
    ) -> Result<Option<SigningKeyRecord>, AuthError> {
        let generated = tokio::task::spawn_blocking(keys::generate_rsa)
            .await
            .map_err(AuthError::internal)?
            .map_err(AuthError::internal)?;
        let activates_at = match state {
            KeyState::Pending => now + self.policy.activation_delay_seconds,
            KeyState::Active | KeyState::Retired => now,
        };
        let record = SigningKeyRecord {
            kid: generated.kid.clone(),
            pool_id: pool.clone(),
            purpose,
            alg: keys::ALGORITHM.to_owned(),
            private_key_encrypted: String::new(),
            public_jwk: serde_json::to_string(&generated.public).map_err(AuthError::internal)?,
            state,
            created_at: now,
            activates_at,
            retired_at: None,
        };
        let record = SigningKeyRecord {
            private_key_encrypted: self
                .kek
                .seal_bound(generated.private_der.expose_secret(), &binding(&record))
                .map_err(AuthError::internal)?,
            ..record
        };
        if self.store.insert_signing_key(&record).await? {
            self.generation.fetch_add(1, Ordering::SeqCst);
            tracing::info!(pool = %pool, purpose = purpose.as_str(), kid = %record.kid, state = state.as_str(), "created signing key");
            Ok(Some(record))
        } else {
            Ok(None)
        }
    }

    /// Starts a rotation: a pending key per purpose, published now and signing after the
    /// activation delay. A purpose that already has a pending key keeps it.
    pub async fn rotate(&self, pool: &UserPoolId) -> Result<Vec<SigningKeyRecord>, AuthError> {
        let now = self.clock.now();
        // Make sure there is something to rotate from.
        self.signing_key(pool, KeyPurpose::Id).await?;
        self.signing_key(pool, KeyPurpose::Access).await?;
        for purpose in [KeyPurpose::Id, KeyPurpose::Access] {
            self.create(pool, purpose, KeyState::Pending, now).await?;
        }
        super::audit::AuditEvent::new(
            "keys_rotated",
            pool.as_str(),
            super::audit::Outcome::Success,
        )
        .emit();
        Ok(self
            .store
            .signing_keys(pool)
            .await?
            .into_iter()
            .filter(|k| k.state == KeyState::Pending)
            .collect())
    }

    /// Rotates when the active key of a purpose is older than the policy allows.
    pub async fn rotate_if_due(&self, pool: &UserPoolId) -> Result<bool, AuthError> {
        let Some(days) = self.policy.rotation_days.filter(|d| *d > 0) else {
            return Ok(false);
        };
        let now = self.clock.now();
        let records = self.store.signing_keys(pool).await?;
        let due = records.iter().any(|k| {
            k.state == KeyState::Active && now - k.activates_at >= i64::from(days) * 86_400
        }) && !records.iter().any(|k| k.state == KeyState::Pending);
        if due {
            self.rotate(pool).await?;
            tracing::info!(pool = %pool, "scheduled signing key rotation started");
        }
        Ok(due)
    }

    /// Every key of the pool with its state, oldest first.
    pub async fn list(&self, pool: &UserPoolId) -> Result<Vec<SigningKeyRecord>, AuthError> {
        Ok(self.store.signing_keys(pool).await?)
    }

    fn is_published(&self, key: &SigningKeyRecord, now: UnixSeconds) -> bool {
        match key.state {
            KeyState::Pending | KeyState::Active => true,
            KeyState::Retired => key
                .retired_at
                .is_some_and(|at| now - at < RETIRED_KEY_PUBLICATION_SECONDS),
        }
    }

    /// The keys a verifier may meet: pending, active, and retired until their tokens have
    /// expired. Creates the pool's keys on first call, so verifiers can fetch the JWKS
    /// before the first sign-in.
    pub async fn jwks(&self, pool: &UserPoolId) -> Result<Vec<PublicJwk>, AuthError> {
        // A new pool's two keys are generated side by side: RSA prime search is the slow part
        // of creating a pool, and each key is generated on its own blocking thread.
        let (id, access) = futures_util::future::join(
            self.signing_key(pool, KeyPurpose::Id),
            self.signing_key(pool, KeyPurpose::Access),
        )
        .await;
        for outcome in [id, access] {
            match outcome {
                // A refused active key is logged where it was found; the JWKS still lists the
                // keys that pass, so verifiers of the pool's other tokens are not cut off.
                Ok(_) | Err(AuthError::Internal(_)) => {}
                Err(other) => return Err(other),
            }
        }
        let now = self.clock.now();
        let mut published = Vec::new();
        for record in self.store.signing_keys(pool).await? {
            if !self.is_published(&record, now) || self.open(&record).await.is_err() {
                continue;
            }
            published.push(serde_json::from_str(&record.public_jwk).map_err(AuthError::internal)?);
        }
        Ok(published)
    }

    /// The private key of a row, if the row is as it was sealed (see the module comment).
    /// A refused row is logged here, once per use, with why.
    async fn open(&self, record: &SigningKeyRecord) -> Result<SecretSlice<u8>, AuthError> {
        let refused = |why: &str| {
            tracing::error!(
                pool = %record.pool_id,
                kid = %record.kid,
                purpose = record.purpose.as_str(),
                "signing key row refused: {why}; it is neither published nor used"
            );
            AuthError::internal(format!("signing key {} refused: {why}", record.kid))
        };
        let stored = &record.private_key_encrypted;
        if KeyEncryptionKey::is_bound(stored) {
            return self
                .kek
                .open_bound(stored, &binding(record))
                .map(SecretSlice::from)
                .map_err(|_| {
                    refused("it does not match what was sealed (altered row or wrong key-encryption key)")
                });
        }
        // A row sealed before the binding: the kid is all the ciphertext vouches for, so the
        // public key must be the private key's own. Then it is re-sealed bound.
        let der = SecretSlice::from(
            self.kek
                .decrypt(stored, &record.kid)
                .map_err(|_| refused("it cannot be decrypted"))?,
        );
        let jwk: Option<PublicJwk> = serde_json::from_str(&record.public_jwk).ok();
        let consistent = record.alg == keys::ALGORITHM
            && jwk.is_some_and(|jwk| {
                jwk.kid == record.kid && keys::is_public_half(der.expose_secret(), &jwk)
            });
        if !consistent {
            return Err(refused("its public key is not its private key's"));
        }
        match self.kek.seal_bound(der.expose_secret(), &binding(record)) {
            Ok(resealed) => match self
                .store
                .reseal_signing_key(&record.kid, stored, &resealed)
                .await
            {
                Ok(true) => {
                    tracing::info!(pool = %record.pool_id, kid = %record.kid, "signing key re-sealed bound to its row");
                }
                // Another replica (or request) re-sealed it first.
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(error = %ErrorChain(&error), kid = %record.kid, "could not re-seal a signing key; will retry on next use");
                }
            },
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), kid = %record.kid, "could not re-seal a signing key");
            }
        }
        Ok(der)
    }

    /// The key to check a `purpose` token of `pool` signed under `kid`: only keys that have
    /// signed (active or retired, still published) count. The kid is only ever a map key.
    pub async fn verification_key(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
        kid: &str,
    ) -> Result<Option<Arc<DecodingKey>>, AuthError> {
        let now = self.clock.now();
        let records = self.store.signing_keys(pool).await?;
        let Some(record) = records.iter().find(|k| {
            k.kid == kid
                && k.purpose == purpose
                && k.state != KeyState::Pending
                && self.is_published(k, now)
        }) else {
            return Ok(None);
        };
        if let Some(key) = self.verifying.lock().ok().and_then(|c| c.get(kid).cloned()) {
            return Ok(Some(key));
        }
        // A public key the key-encryption key does not vouch for verifies nothing.
        if self.open(record).await.is_err() {
            return Ok(None);
        }
        let jwk: PublicJwk =
            serde_json::from_str(&record.public_jwk).map_err(AuthError::internal)?;
        let key = Arc::new(jwt::decoding_key(&jwk).map_err(AuthError::internal)?);
        if let Ok(mut cache) = self.verifying.lock() {
            cache.insert(kid.to_owned(), key.clone());
        }
        Ok(Some(key))
    }
}

/// The associated data a row's private key is sealed with: every column that says what the
/// key is for and what its public half is. The JWK comes last, as stored, so no field can
/// run into another.
fn binding(record: &SigningKeyRecord) -> String {
    format!(
        "gatehouse signing key\npool={}\npurpose={}\nkid={}\nalg={}\njwk={}",
        record.pool_id,
        record.purpose.as_str(),
        record.kid,
        record.alg,
        record.public_jwk
    )
}
