//! Failed sign-in counters and the locks they set.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::{SqlStore, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::lockout::{FailureRecord, LockoutPolicy};
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{LockoutStore, Reservation, StoreError};

#[async_trait]
impl LockoutStore for SqlStore {
    async fn failures(
        &self,
        scope: &str,
        username_key: &str,
    ) -> Result<Option<FailureRecord>, StoreError> {
        self.fetch_optional(
            "failures",
            "SELECT failure_count, locked_until, last_failure_at FROM login_failures \
             WHERE scope = $1 AND username_key = $2",
            |q| q.bind(scope).bind(username_key),
            failure_from_row,
        )
        .await
    }

    async fn reserve_attempt(
        &self,
        scope: &str,
        username_key: &str,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Reservation, StoreError> {
        self.retrying(
            "reserve_attempt",
            Replay::OnlyIfNothingWritten,
            || async move {
                let quiet_since = now - policy.reset_after_seconds;
                // Connection first, then the turn: a turn held while queueing for a connection
                // behind the readers would stall every writer.
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let _turn = self.write_turn().await;
                // The check and the count are one upsert: its WHERE sees the row as the last
                // committed attempt left it (Postgres re-reads it under the row lock; SQLite
                // runs one writer at a time), so no attempt passes a lock another one set.
                // A counter quiet for the reset window starts again at one.
                let row = sqlx::query(
                    "INSERT INTO login_failures (scope, username_key, failure_count, \
                     locked_until, last_failure_at) VALUES ($1, $2, 1, NULL, $3) \
                     ON CONFLICT (scope, username_key) DO UPDATE SET \
                     failure_count = CASE WHEN login_failures.last_failure_at <= $4 THEN 1 \
                                          ELSE login_failures.failure_count + 1 END, \
                     locked_until = CASE WHEN login_failures.last_failure_at <= $4 THEN NULL \
                                         ELSE login_failures.locked_until END, \
                     last_failure_at = $3 \
                     WHERE login_failures.locked_until IS NULL \
                        OR login_failures.locked_until <= $3 \
                     RETURNING failure_count, locked_until, last_failure_at",
                )
                .bind(scope)
                .bind(username_key)
                .bind(now)
                .bind(quiet_since)
                .fetch_optional(&mut *tx)
                .await
                .map_err(before_commit)?;
                let Some(row) = row else {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(Reservation::Locked);
                };
                let mut record = failure_from_row(&row)?;
                // Still under the row lock: the attempt that reaches the threshold locks the
                // key before any other attempt can read it.
                if let Some(until) = policy.lock_after(record.count, now) {
                    sqlx::query(
                        "UPDATE login_failures SET locked_until = $1 \
                         WHERE scope = $2 AND username_key = $3",
                    )
                    .bind(until)
                    .bind(scope)
                    .bind(username_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                    record.locked_until = Some(until);
                }
                tx.commit().await.map_err(classify)?;
                Ok(Reservation::Granted(record))
            },
        )
        .await
    }

    async fn clear_failures(&self, scope: &str, username_key: &str) -> Result<(), StoreError> {
        self.execute(
            "clear_failures",
            Replay::Safe,
            "DELETE FROM login_failures WHERE scope = $1 AND username_key = $2",
            |q| q.bind(scope).bind(username_key),
        )
        .await?;
        Ok(())
    }

    async fn record_failure(
        &self,
        scope: &str,
        username_key: &str,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<FailureRecord, StoreError> {
        self.retrying(
            "record_failure",
            Replay::OnlyIfNothingWritten,
            || async move {
                let quiet_since = now - policy.reset_after_seconds;
                // Connection first, then the turn: a turn held while queueing for a connection
                // behind the readers would stall every writer.
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let _turn = self.write_turn().await;
                // One upsert: concurrent failures each add exactly one, whichever replica sees them.
                let row = sqlx::query(
                    "INSERT INTO login_failures (scope, username_key, failure_count, locked_until, \
                 last_failure_at) VALUES ($1, $2, 1, NULL, $3) \
                 ON CONFLICT (scope, username_key) DO UPDATE SET \
                 failure_count = CASE WHEN login_failures.last_failure_at <= $4 THEN 1 \
                                      ELSE login_failures.failure_count + 1 END, \
                 locked_until = CASE WHEN login_failures.last_failure_at <= $4 THEN NULL \
                                     ELSE login_failures.locked_until END, \
                 last_failure_at = $3 \
                 RETURNING failure_count, locked_until, last_failure_at",
                )
                .bind(scope)
                .bind(username_key)
                .bind(now)
                .bind(quiet_since)
                .fetch_one(&mut *tx)
                .await
                .map_err(before_commit)?;
                let mut record = failure_from_row(&row)?;
                if let Some(until) = policy.lock_after(record.count, now) {
                    sqlx::query(
                        "UPDATE login_failures SET locked_until = CASE \
                     WHEN locked_until IS NULL OR locked_until < $1 THEN $1 ELSE locked_until END \
                     WHERE scope = $2 AND username_key = $3",
                    )
                    .bind(until)
                    .bind(scope)
                    .bind(username_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                    record.locked_until = Some(record.locked_until.map_or(until, |u| u.max(until)));
                }
                tx.commit().await.map_err(classify)?;
                Ok(record)
            },
        )
        .await
    }
}

fn failure_from_row(row: &AnyRow) -> Result<FailureRecord, StoreError> {
    Ok(FailureRecord {
        count: get(row, "failure_count")?,
        locked_until: get(row, "locked_until")?,
        last_failure_at: get(row, "last_failure_at")?,
    })
}
