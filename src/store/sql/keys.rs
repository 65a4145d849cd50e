//! Token-signing keys: pending, active and retired, sealed under the KEK.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::UserPoolId;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{KeyPurpose, KeyState, KeyStore, SigningKeyRecord, StoreError};

const KEY_COLUMNS: &str = "kid, pool_id, purpose, alg, private_key, public_jwk, state, \
    created_at, activates_at, retired_at";

fn key_from_row(row: &AnyRow) -> Result<SigningKeyRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let purpose: String = get(row, "purpose")?;
    let state: String = get(row, "state")?;
    Ok(SigningKeyRecord {
        kid: get(row, "kid")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        purpose: match purpose.as_str() {
            "id" => KeyPurpose::Id,
            "access" => KeyPurpose::Access,
            other => return Err(corrupt("key purpose", other)),
        },
        alg: get(row, "alg")?,
        private_key_encrypted: get(row, "private_key")?,
        public_jwk: get(row, "public_jwk")?,
        state: match state.as_str() {
            "pending" => KeyState::Pending,
            "active" => KeyState::Active,
            "retired" => KeyState::Retired,
            other => return Err(corrupt("key state", other)),
        },
        created_at: get(row, "created_at")?,
        activates_at: get(row, "activates_at")?,
        retired_at: get(row, "retired_at")?,
    })
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self, pool: &UserPoolId) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys WHERE pool_id = $1 ORDER BY created_at, kid"
        );
        self.fetch_all(
            "signing_keys",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            key_from_row,
        )
        .await
    }

    async fn promote_signing_key(
        &self,
        pending_kid: &str,
        active_kid: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("promote_signing_key", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            if let Some(active) = active_kid {
                let retired = sqlx::query(
                    "UPDATE signing_keys SET state = 'retired', retired_at = $1 \
                     WHERE kid = $2 AND state = 'active'",
                )
                .bind(now)
                .bind(active)
                .execute(&mut *tx)
                .await
                .map_err(before_commit)?;
                if retired.rows_affected() == 0 {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(false);
                }
            }
            let promoted = sqlx::query(
                "UPDATE signing_keys SET state = 'active' WHERE kid = $1 AND state = 'pending'",
            )
            .bind(pending_kid)
            .execute(&mut *tx)
            .await;
            match promoted {
                Ok(result) if result.rows_affected() == 1 => {
                    tx.commit().await.map_err(classify)?;
                    Ok(true)
                }
                // Lost a race (or another active key appeared): nothing changes.
                Ok(_) | Err(_) => {
                    tx.rollback().await.map_err(before_commit)?;
                    Ok(false)
                }
            }
        })
        .await
    }

    async fn reseal_signing_key(
        &self,
        kid: &str,
        expected: &str,
        replacement: &str,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "reseal_signing_key",
            Replay::Safe,
            "UPDATE signing_keys SET private_key = $1 WHERE kid = $2 AND private_key = $3",
            |q| q.bind(replacement).bind(kid).bind(expected),
        )
        .await
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<bool, StoreError> {
        self.execute_one(
            "insert_signing_key",
            Replay::Safe,
            "INSERT INTO signing_keys (kid, pool_id, purpose, alg, private_key, public_jwk, \
                 state, created_at, activates_at, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            |q| {
                q.bind(&key.kid)
                    .bind(key.pool_id.as_str())
                    .bind(key.purpose.as_str())
                    .bind(&key.alg)
                    .bind(&key.private_key_encrypted)
                    .bind(&key.public_jwk)
                    .bind(key.state.as_str())
                    .bind(key.created_at)
                    .bind(key.activates_at)
                    .bind(key.retired_at)
            },
        )
        .await
    }
}
