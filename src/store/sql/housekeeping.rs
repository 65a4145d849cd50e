//! Purging what has expired, in bounded batches.

use async_trait::async_trait;

use super::SqlStore;
use crate::domain::clock::UnixSeconds;
use crate::store::errors::classify;
use crate::store::retry::Replay;
use crate::store::{HousekeepingStore, Purged, StoreError};

impl SqlStore {
    /// One bounded delete of what expired: `sql` takes the cut-off as `$1` and the batch
    /// size as `$2`. How many rows went.
    async fn delete_batch(
        &self,
        sql: &'static str,
        bound: i64,
        batch: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(sql)
            .bind(bound)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl HousekeepingStore for SqlStore {
    async fn purge(
        &self,
        now: UnixSeconds,
        revoked_before: UnixSeconds,
        failures_quiet_since: UnixSeconds,
        keys_retired_before: UnixSeconds,
        batch: u32,
    ) -> Result<Purged, StoreError> {
        self.retrying("purge", Replay::Safe, || async move {
            let batch = i64::from(batch);
            // `IN (SELECT … LIMIT n)` bounds each delete on both backends, so one pass never
            // holds locks on a large table for long.
            let sessions = sqlx::query(
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
                 WHERE expires_at <= $1 OR revoked_at < $2 LIMIT $3)",
            )
            .bind(now)
            .bind(revoked_before)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            let challenges = self
                .delete_batch(
                    "DELETE FROM auth_challenges WHERE session_hash IN (SELECT session_hash \
                 FROM auth_challenges WHERE expires_at <= $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?;
            let srp_challenges = self
                .delete_batch(
                    "DELETE FROM srp_challenges WHERE secret_block_hash IN (SELECT \
                 secret_block_hash FROM srp_challenges WHERE expires_at <= $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?;
            let custom_auth_sessions = self
                .delete_batch(
                    "DELETE FROM custom_auth_sessions WHERE session_hash IN (SELECT \
                 session_hash FROM custom_auth_sessions WHERE expires_at <= $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?;
            // A spent code is kept as long as a revoked session is, so a replay in that
            // time still revokes what the code issued; after it, a replay is only refused.
            let codes = self
                .delete_batch(
                    "DELETE FROM authorization_codes WHERE code_hash IN (SELECT code_hash \
                 FROM authorization_codes WHERE expires_at <= $1 LIMIT $2)",
                    revoked_before,
                    batch,
                )
                .await?;
            let hosted_sessions = self
                .delete_batch(
                    "DELETE FROM hosted_sessions WHERE id_hash IN (SELECT id_hash \
                 FROM hosted_sessions WHERE expires_at <= $1 LIMIT $2)",
                    now,
                    batch,
                )
                .await?;
            let failures = sqlx::query(
                "DELETE FROM login_failures WHERE (scope, username_key) IN (SELECT scope, \
                 username_key FROM login_failures WHERE last_failure_at <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $2) LIMIT $3)",
            )
            .bind(failures_quiet_since)
            .bind(now)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            let keys = self
                .delete_batch(
                    "DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys \
                 WHERE state = 'retired' AND retired_at < $1 LIMIT $2)",
                    keys_retired_before,
                    batch,
                )
                .await?;
            Ok(Purged {
                sessions: sessions.rows_affected() + hosted_sessions,
                challenges: challenges + srp_challenges + custom_auth_sessions + codes,
                failures: failures.rows_affected(),
                keys,
            })
        })
        .await
    }
}
