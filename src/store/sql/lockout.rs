//! Failed sign-in counters and the locks they set.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::{SqlStore, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::lockout::{FailureRecord, LockoutPolicy};
use crate::domain::username::UsernameKey;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{LockoutStore, Reservation, StoreError};

/// One failure counted for (scope, username key); a counter quiet for the reset window ($4)
/// starts again at one. `count_failure` completes it with its WHERE and RETURNING.
macro_rules! failure_upsert {
    () => {
        "INSERT INTO login_failures (scope, username_key, failure_count, locked_until, \
         last_failure_at) VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (scope, username_key) DO UPDATE SET \
         failure_count = CASE WHEN login_failures.last_failure_at <= $4 THEN 1 \
                              ELSE login_failures.failure_count + 1 END, \
         locked_until = CASE WHEN login_failures.last_failure_at <= $4 THEN NULL \
                             ELSE login_failures.locked_until END, \
         last_failure_at = $3 "
    };
}

#[async_trait]
impl LockoutStore for SqlStore {
    async fn failures(
        &self,
        scope: &str,
        username_key: &UsernameKey,
    ) -> Result<Option<FailureRecord>, StoreError> {
        self.fetch_optional(
            "failures",
            "SELECT failure_count, locked_until, last_failure_at FROM login_failures \
             WHERE scope = $1 AND username_key = $2",
            |q| q.bind(scope).bind(username_key.as_str()),
            failure_from_row,
        )
        .await
    }

    async fn reserve_attempt(
        &self,
        scope: &str,
        username_key: &UsernameKey,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Reservation, StoreError> {
        Ok(
            match self
                .count_failure("reserve_attempt", scope, username_key, policy, now, true)
                .await?
            {
                Some(record) => Reservation::Granted(record),
                None => Reservation::Locked,
            },
        )
    }

    async fn clear_failures(
        &self,
        scope: &str,
        username_key: &UsernameKey,
    ) -> Result<(), StoreError> {
        self.execute(
            "clear_failures",
            Replay::Safe,
            "DELETE FROM login_failures WHERE scope = $1 AND username_key = $2",
            |q| q.bind(scope).bind(username_key.as_str()),
        )
        .await?;
        Ok(())
    }

    async fn record_failure(
        &self,
        scope: &str,
        username_key: &UsernameKey,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<FailureRecord, StoreError> {
        self.count_failure("record_failure", scope, username_key, policy, now, false)
            .await?
            .ok_or_else(|| StoreError::internal("a failure upsert returned no row"))
    }
}

impl SqlStore {
    /// Counts one failure for (scope, username key) and applies the lock the count calls for,
    /// in one transaction. With `unless_locked`, a key that is locked now is left untouched
    /// and `None` comes back: the check and the count are then one upsert, whose WHERE sees
    /// the row as the last committed attempt left it (Postgres re-reads it under the row
    /// lock; SQLite runs one writer at a time), so no attempt passes a lock another one set.
    /// A counter quiet for the reset window starts again at one.
    async fn count_failure(
        &self,
        operation: &'static str,
        scope: &str,
        username_key: &UsernameKey,
        policy: &LockoutPolicy,
        now: UnixSeconds,
        unless_locked: bool,
    ) -> Result<Option<FailureRecord>, StoreError> {
        let upsert = if unless_locked {
            concat!(
                failure_upsert!(),
                "WHERE login_failures.locked_until IS NULL OR login_failures.locked_until <= $3 ",
                "RETURNING failure_count, locked_until, last_failure_at"
            )
        } else {
            concat!(
                failure_upsert!(),
                "RETURNING failure_count, locked_until, last_failure_at"
            )
        };
        self.retrying(operation, Replay::OnlyIfNothingWritten, || async move {
            let quiet_since = now - policy.reset_after_seconds;
            // Connection first, then the turn: a turn held while queueing for a connection
            // behind the readers would stall every writer.
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let _turn = self.write_turn().await;
            let row = sqlx::query(upsert)
                .bind(scope)
                .bind(username_key.as_str())
                .bind(now)
                .bind(quiet_since)
                .fetch_optional(&mut *tx)
                .await
                .map_err(before_commit)?;
            let Some(row) = row else {
                tx.rollback().await.map_err(before_commit)?;
                return Ok(None);
            };
            let mut record = failure_from_row(&row)?;
            // Still under the row lock: the attempt that reaches the threshold locks the key
            // before any other attempt can read it. A lock already longer is kept.
            if let Some(until) = policy.lock_after(record.count, now) {
                sqlx::query(
                    "UPDATE login_failures SET locked_until = CASE \
                     WHEN locked_until IS NULL OR locked_until < $1 THEN $1 ELSE locked_until END \
                     WHERE scope = $2 AND username_key = $3",
                )
                .bind(until)
                .bind(scope)
                .bind(username_key.as_str())
                .execute(&mut *tx)
                .await
                .map_err(before_commit)?;
                record.locked_until = Some(record.locked_until.map_or(until, |u| u.max(until)));
            }
            tx.commit().await.map_err(classify)?;
            Ok(Some(record))
        })
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
