//! Signing keys per pool and purpose: created on first use, kept encrypted in the store,
//! decrypted once per process, published as the pool's JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::EncodingKey;
use secrecy::ExposeSecret;

use super::AuthError;
use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::keys::{self, PublicJwk};
use crate::domain::clock::{Clock, UnixSeconds};
use crate::domain::ids::UserPoolId;
use crate::store::{KeyPurpose, KeyState, SigningKeyRecord, Store};

/// How long a replica trusts its idea of which key is active before asking the store again.
const ACTIVE_KEY_CACHE_SECONDS: i64 = 30;

#[derive(Clone)]
struct ActiveKey {
    kid: String,
    key: Arc<EncodingKey>,
    checked_at: UnixSeconds,
}

#[derive(Clone)]
pub struct SigningKeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    kek: Arc<KeyEncryptionKey>,
    active: Arc<Mutex<HashMap<(UserPoolId, &'static str), ActiveKey>>>,
}

impl SigningKeys {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, kek: KeyEncryptionKey) -> Self {
        Self {
            store,
            clock,
            kek: Arc::new(kek),
            active: Arc::default(),
        }
    }

    /// The key that signs `purpose` tokens for `pool` now, creating it on first use.
    pub async fn signing_key(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
    ) -> Result<(String, Arc<EncodingKey>), AuthError> {
        let now = self.clock.now();
        let cache_key = (pool.clone(), purpose.as_str());
        if let Some(cached) = self.cached(&cache_key, now) {
            return Ok((cached.kid, cached.key));
        }
        let record = match self.find_active(pool, purpose).await? {
            Some(record) => record,
            None => self.create_active(pool, purpose, now).await?,
        };
        let der = self
            .kek
            .decrypt(&record.private_key_encrypted, &record.kid)
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let key = Arc::new(keys::encoding_key(&der));
        let active = ActiveKey {
            kid: record.kid.clone(),
            key: key.clone(),
            checked_at: now,
        };
        if let Ok(mut cache) = self.active.lock() {
            cache.insert(cache_key, active);
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
            .filter(|k| now - k.checked_at < ACTIVE_KEY_CACHE_SECONDS)
            .cloned()
    }

    async fn find_active(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
    ) -> Result<Option<SigningKeyRecord>, AuthError> {
        Ok(self
            .store
            .signing_keys(pool)
            .await?
            .into_iter()
            .find(|k| k.purpose == purpose && k.state == KeyState::Active))
    }

    async fn create_active(
        &self,
        pool: &UserPoolId,
        purpose: KeyPurpose,
        now: UnixSeconds,
    ) -> Result<SigningKeyRecord, AuthError> {
        let generated = tokio::task::spawn_blocking(keys::generate_rsa)
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let record = SigningKeyRecord {
            kid: generated.kid.clone(),
            pool_id: pool.clone(),
            purpose,
            alg: keys::ALGORITHM.to_owned(),
            private_key_encrypted: self
                .kek
                .encrypt(generated.private_der.expose_secret(), &generated.kid)
                .map_err(|e| AuthError::Internal(e.to_string()))?,
            public_jwk: serde_json::to_string(&generated.public)
                .map_err(|e| AuthError::Internal(e.to_string()))?,
            state: KeyState::Active,
            created_at: now,
            activates_at: now,
            retired_at: None,
        };
        if self.store.insert_signing_key(&record).await? {
            tracing::info!(pool = %pool, purpose = purpose.as_str(), kid = %record.kid, "created signing key");
            return Ok(record);
        }
        // Another replica (or request) created the key first: use theirs.
        self.find_active(pool, purpose).await?.ok_or_else(|| {
            AuthError::Internal("no active signing key after a lost creation race".into())
        })
    }

    /// The keys a verifier may meet: every key that is not yet active or still signs, and
    /// retired keys until their tokens have expired. Creates the pool's keys on first call,
    /// so verifiers can fetch the JWKS before the first sign-in.
    pub async fn jwks(&self, pool: &UserPoolId) -> Result<Vec<PublicJwk>, AuthError> {
        self.signing_key(pool, KeyPurpose::Id).await?;
        self.signing_key(pool, KeyPurpose::Access).await?;
        self.store
            .signing_keys(pool)
            .await?
            .iter()
            .filter(|k| k.state != KeyState::Retired)
            .map(|k| {
                serde_json::from_str(&k.public_jwk).map_err(|e| AuthError::Internal(e.to_string()))
            })
            .collect()
    }
}
