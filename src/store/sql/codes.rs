//! Sign-up confirmation codes: stored encrypted, one per user, with a bounded number of
//! guesses. These back the code methods of [`crate::store::UserStore`] (see `users.rs`).

use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::Sub;
use crate::domain::user::UserStatus;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{CodeAttempt, ConfirmationCodeRecord, StoreError};

impl SqlStore {
    pub(super) async fn upsert_confirmation_code(
        &self,
        code: &ConfirmationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "put_confirmation_code",
            Replay::Safe,
            "INSERT INTO confirmation_codes (user_sub, code_encrypted, expires_at, \
             failed_attempts, created_at) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (user_sub) DO UPDATE SET code_encrypted = excluded.code_encrypted, \
             expires_at = excluded.expires_at, failed_attempts = 0, created_at = excluded.created_at",
            |q| {
                q.bind(code.user_sub.to_string())
                    .bind(&code.code_encrypted)
                    .bind(code.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn find_confirmation_code(
        &self,
        sub: &Sub,
    ) -> Result<Option<ConfirmationCodeRecord>, StoreError> {
        self.fetch_optional(
            "confirmation_code",
            "SELECT user_sub, code_encrypted, expires_at, failed_attempts \
             FROM confirmation_codes WHERE user_sub = $1",
            |q| q.bind(sub.to_string()),
            confirmation_code_from_row,
        )
        .await
    }

    pub(super) async fn count_code_attempt(
        &self,
        sub: &Sub,
        max_attempts: i64,
        now: UnixSeconds,
    ) -> Result<CodeAttempt, StoreError> {
        self.retrying(
            "take_code_attempt",
            Replay::OnlyIfNothingWritten,
            || async move {
                // Check and count in one statement: a burst of guesses cannot all read a count
                // below the limit before any of them has added to it.
                let granted = sqlx::query(
                    "UPDATE confirmation_codes SET failed_attempts = failed_attempts + 1 \
                     WHERE user_sub = $1 AND failed_attempts < $2 AND expires_at > $3 \
                     RETURNING user_sub, code_encrypted, expires_at, failed_attempts",
                )
                .bind(sub.to_string())
                .bind(max_attempts)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
                if let Some(row) = granted {
                    return Ok(CodeAttempt::Granted(confirmation_code_from_row(&row)?));
                }
                // Refused: only the reason is left to find out.
                Ok(match self.find_confirmation_code(sub).await? {
                    Some(code) if now < code.expires_at => CodeAttempt::Exhausted,
                    _ => CodeAttempt::Missing,
                })
            },
        )
        .await
    }

    pub(super) async fn spend_code_and_confirm(
        &self,
        sub: &Sub,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying(
            "confirm_user",
            Replay::OnlyIfNothingWritten,
            || async move {
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let spent = sqlx::query("DELETE FROM confirmation_codes WHERE user_sub = $1")
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                if spent.rows_affected() == 0 {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(false);
                }
                sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE sub = $3")
                    .bind(UserStatus::Confirmed.as_str())
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                tx.commit().await.map_err(classify)?;
                Ok(true)
            },
        )
        .await
    }
}

fn confirmation_code_from_row(row: &AnyRow) -> Result<ConfirmationCodeRecord, StoreError> {
    let sub: String = get(row, "user_sub")?;
    Ok(ConfirmationCodeRecord {
        user_sub: Sub::parse(&sub).map_err(|e| corrupt("user sub", e))?,
        code_encrypted: get(row, "code_encrypted")?,
        expires_at: get(row, "expires_at")?,
        failed_attempts: get(row, "failed_attempts")?,
    })
}
