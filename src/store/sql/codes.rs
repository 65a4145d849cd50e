//! One-time codes (sign-up confirmation, password reset, attribute verification): stored encrypted, one per user and
//! purpose, with a bounded number of guesses. These back the code methods of
//! [`crate::store::UserStore`] (see `users.rs`).

use sqlx::any::AnyRow;

use super::aliases::sync_aliases;
use super::{SqlStore, corrupt, get};
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::secret::ExposeSecret;
use crate::domain::user::{StoredPasswordHash, UserStatus};
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{
    CodeAttempt, CodePurpose, CodeSpend, ConfirmationCodeRecord, Revocation, StoreError,
};

use super::sessions::revoke_sessions;
use super::users::attributes_json;

/// Deletes the user's code of `purpose` inside a transaction that acts on it: false if there
/// was none (spent by a concurrent request, or never issued).
async fn take_code(
    tx: &mut sqlx::AnyConnection,
    sub: &Sub,
    purpose: CodePurpose,
) -> Result<bool, StoreError> {
    let spent = sqlx::query("DELETE FROM user_codes WHERE user_sub = $1 AND purpose = $2")
        .bind(sub.to_string())
        .bind(purpose.as_str())
        .execute(tx)
        .await
        .map_err(before_commit)?;
    Ok(spent.rows_affected() > 0)
}

impl SqlStore {
    pub(super) async fn upsert_confirmation_code(
        &self,
        code: &ConfirmationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "put_confirmation_code",
            Replay::Safe,
            "INSERT INTO user_codes (user_sub, purpose, code_encrypted, expires_at, \
             failed_attempts, created_at, pending_value) VALUES ($1, $2, $3, $4, 0, $5, $6) \
             ON CONFLICT (user_sub, purpose) DO UPDATE SET \
             code_encrypted = excluded.code_encrypted, expires_at = excluded.expires_at, \
             failed_attempts = 0, created_at = excluded.created_at, \
             pending_value = excluded.pending_value",
            |q| {
                q.bind(code.user_sub.to_string())
                    .bind(code.purpose.as_str())
                    .bind(&code.code_encrypted)
                    .bind(code.expires_at)
                    .bind(now)
                    .bind(code.pending_value.as_deref())
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn find_confirmation_code(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
    ) -> Result<Option<ConfirmationCodeRecord>, StoreError> {
        self.fetch_optional(
            "confirmation_code",
            "SELECT user_sub, purpose, code_encrypted, expires_at, failed_attempts, \
             pending_value FROM user_codes WHERE user_sub = $1 AND purpose = $2",
            |q| q.bind(sub.to_string()).bind(purpose.as_str()),
            confirmation_code_from_row,
        )
        .await
    }

    pub(super) async fn count_code_attempt(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
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
                    "UPDATE user_codes SET failed_attempts = failed_attempts + 1 \
                     WHERE user_sub = $1 AND purpose = $2 AND failed_attempts < $3 \
                     AND expires_at > $4 \
                     RETURNING user_sub, purpose, code_encrypted, expires_at, failed_attempts, \
                     pending_value",
                )
                .bind(sub.to_string())
                .bind(purpose.as_str())
                .bind(max_attempts)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
                if let Some(row) = granted {
                    return Ok(CodeAttempt::Granted(confirmation_code_from_row(&row)?));
                }
                // Refused: only the reason is left to find out.
                Ok(match self.find_confirmation_code(sub, purpose).await? {
                    Some(code) if now < code.expires_at => CodeAttempt::Exhausted,
                    _ => CodeAttempt::Missing,
                })
            },
        )
        .await
    }

    pub(super) async fn count_code_request_in_window(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        limit: i64,
        window_seconds: i64,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Count and check in one upsert: its WHERE sees the row as the last committed request
        // left it (Postgres re-reads it under the row lock; SQLite has one writer at a time),
        // so a burst of requests gets exactly `limit` through. A window that has run out
        // starts again at one.
        let counted = self
            .fetch_optional_with(
                "count_code_request",
                Replay::OnlyIfNothingWritten,
                "INSERT INTO code_requests (user_sub, purpose, window_started_at, requests) \
                 VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (user_sub, purpose) DO UPDATE SET \
                 requests = CASE WHEN code_requests.window_started_at <= $4 THEN 1 \
                                 ELSE code_requests.requests + 1 END, \
                 window_started_at = CASE WHEN code_requests.window_started_at <= $4 THEN $3 \
                                          ELSE code_requests.window_started_at END \
                 WHERE code_requests.window_started_at <= $4 OR code_requests.requests < $5 \
                 RETURNING requests",
                |q| {
                    q.bind(sub.to_string())
                        .bind(purpose.as_str())
                        .bind(now)
                        .bind(now - window_seconds)
                        .bind(limit)
                },
                |row| {
                    let requests: i64 = get(row, "requests")?;
                    Ok(requests)
                },
            )
            .await?;
        Ok(counted.is_some())
    }

    pub(super) async fn spend_code_and_write_attributes(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<CodeSpend, StoreError> {
        let (new_attributes, expected_attributes) = (attributes, expected);
        let (attributes, expected) = (attributes_json(attributes)?, attributes_json(expected)?);
        let (attributes, expected) = (attributes.as_str(), expected.as_str());
        self.retrying(
            "spend_code_and_replace_attributes",
            Replay::OnlyIfNothingWritten,
            || async move {
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                if !take_code(&mut tx, sub, purpose).await? {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(CodeSpend::CodeGone);
                }
                // Compare-and-set, as every attribute write: attributes are the JSON of a
                // sorted map, so equal sets have equal text.
                let written: Option<(String,)> = sqlx::query_as(
                    "UPDATE users SET attributes = $1, updated_at = $2 \
                     WHERE sub = $3 AND attributes = $4 RETURNING pool_id",
                )
                .bind(attributes)
                .bind(now)
                .bind(sub.to_string())
                .bind(expected)
                .fetch_optional(&mut *tx)
                .await
                .map_err(before_commit)?;
                let Some((pool,)) = written else {
                    // The code stays for the caller's next round on the fresh attributes.
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(CodeSpend::AttributesChanged);
                };
                // A newly verified address or number becomes a sign-in name in the same
                // transaction, as every attribute write keeps them (`aliases.rs`); taken by
                // another user, the whole verification rolls back, code unspent.
                let pool = UserPoolId::parse(&pool).map_err(|e| corrupt("pool id", e))?;
                sync_aliases(
                    &mut tx,
                    &pool,
                    sub,
                    Some(expected_attributes),
                    new_attributes,
                )
                .await?;
                tx.commit().await.map_err(classify)?;
                Ok(CodeSpend::Done)
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
                if !take_code(&mut tx, sub, CodePurpose::SignUp).await? {
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

impl SqlStore {
    /// Spends the user's password-reset code and sets the new password (status CONFIRMED,
    /// every session revoked), in one transaction; false if the code was already spent.
    pub(super) async fn spend_code_and_reset(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying(
            "reset_password_with_code",
            Replay::OnlyIfNothingWritten,
            || async move {
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                if !take_code(&mut tx, sub, CodePurpose::ResetPassword).await? {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE users SET password_hash = $1, pepper_id = $2, srp_verifier = $3, \
                     status = $4, temporary_password_expires_at = NULL, updated_at = $5 \
                     WHERE sub = $6",
                )
                .bind(hash.phc.expose_secret())
                .bind(hash.pepper_id.as_deref())
                .bind(hash.srp_verifier.as_ref().map(|v| v.expose_secret()))
                .bind(UserStatus::Confirmed.as_str())
                .bind(now)
                .bind(sub.to_string())
                .execute(&mut *tx)
                .await
                .map_err(before_commit)?;
                revoke_sessions(&mut tx, sub, &Revocation::All, now).await?;
                tx.commit().await.map_err(classify)?;
                Ok(true)
            },
        )
        .await
    }
}

fn confirmation_code_from_row(row: &AnyRow) -> Result<ConfirmationCodeRecord, StoreError> {
    let sub: String = get(row, "user_sub")?;
    let purpose: String = get(row, "purpose")?;
    Ok(ConfirmationCodeRecord {
        user_sub: Sub::parse(&sub).map_err(|e| corrupt("user sub", e))?,
        purpose: CodePurpose::parse(&purpose).ok_or_else(|| corrupt("code purpose", &purpose))?,
        code_encrypted: get(row, "code_encrypted")?,
        expires_at: get(row, "expires_at")?,
        failed_attempts: get(row, "failed_attempts")?,
        pending_value: get(row, "pending_value")?,
    })
}
