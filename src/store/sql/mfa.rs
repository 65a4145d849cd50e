//! Users' second factors (`user_mfa`): sealed TOTP secrets, the TOTP preference, and the
//! last time step accepted, raised only by a conditional update (docs/security.md,
//! "Multi-factor authentication").

use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::{SqlStore, get, get_flag};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::Sub;
use crate::store::retry::Replay;
use crate::store::{MfaRecord, MfaStore, OtpFactor, StoreError};

fn from_row(row: &AnyRow) -> Result<MfaRecord, StoreError> {
    Ok(MfaRecord {
        totp_secret: get(row, "totp_secret")?,
        pending_totp_secret: get(row, "pending_totp_secret")?,
        totp_device_name: get(row, "totp_device_name")?,
        totp_enabled: get_flag(row, "totp_enabled")?,
        totp_preferred: get_flag(row, "totp_preferred")?,
        last_totp_step: get(row, "last_totp_step")?,
        email_enabled: get_flag(row, "email_mfa_enabled")?,
        email_preferred: get_flag(row, "email_mfa_preferred")?,
        sms_enabled: get_flag(row, "sms_mfa_enabled")?,
        sms_preferred: get_flag(row, "sms_mfa_preferred")?,
    })
}

#[async_trait]
impl MfaStore for SqlStore {
    async fn mfa_of(&self, sub: &Sub) -> Result<Option<MfaRecord>, StoreError> {
        self.fetch_optional(
            "mfa_of",
            "SELECT totp_secret, pending_totp_secret, totp_device_name, totp_enabled, \
             totp_preferred, last_totp_step, email_mfa_enabled, email_mfa_preferred, \
             sms_mfa_enabled, sms_mfa_preferred FROM user_mfa WHERE sub = $1",
            |q| q.bind(sub.to_string()),
            from_row,
        )
        .await
    }

    async fn put_pending_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        // Idempotent: the same sealed value written again changes nothing more.
        self.execute(
            "put_pending_totp",
            Replay::Safe,
            "INSERT INTO user_mfa (sub, totp_secret, pending_totp_secret, totp_device_name, \
             totp_enabled, totp_preferred, last_totp_step, updated_at) \
             VALUES ($1, NULL, $2, NULL, $3, $3, 0, $4) \
             ON CONFLICT (sub) DO UPDATE SET pending_totp_secret = $2, updated_at = $4",
            |q| {
                q.bind(sub.to_string())
                    .bind(sealed_secret)
                    .bind(false)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn activate_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        step: i64,
        device_name: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "activate_totp",
            Replay::OnlyIfNothingWritten,
            "UPDATE user_mfa SET totp_secret = pending_totp_secret, pending_totp_secret = NULL, \
             totp_device_name = $3, totp_enabled = $5, last_totp_step = $4, updated_at = $6 \
             WHERE sub = $1 AND pending_totp_secret = $2 AND last_totp_step < $4",
            |q| {
                q.bind(sub.to_string())
                    .bind(sealed_secret)
                    .bind(device_name)
                    .bind(step)
                    .bind(true)
                    .bind(now)
            },
        )
        .await
    }

    async fn use_totp_step(
        &self,
        sub: &Sub,
        step: i64,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Not replayed: a retry after a lost commit would see its own step and refuse it.
        self.execute_one(
            "use_totp_step",
            Replay::OnlyIfNothingWritten,
            "UPDATE user_mfa SET last_totp_step = $2, updated_at = $3 \
             WHERE sub = $1 AND totp_secret IS NOT NULL AND last_totp_step < $2",
            |q| q.bind(sub.to_string()).bind(step).bind(now),
        )
        .await
    }

    async fn set_totp_preference(
        &self,
        sub: &Sub,
        enabled: Option<bool>,
        preferred: Option<bool>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "set_totp_preference",
            Replay::Safe,
            "UPDATE user_mfa SET totp_enabled = COALESCE($2, totp_enabled), \
             totp_preferred = COALESCE($3, totp_preferred), updated_at = $4 \
             WHERE sub = $1 AND totp_secret IS NOT NULL",
            |q| {
                q.bind(sub.to_string())
                    .bind(enabled)
                    .bind(preferred)
                    .bind(now)
            },
        )
        .await
    }

    async fn put_verified_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        // Idempotent: writing the same secret again leaves the same row.
        self.execute(
            "put_verified_totp",
            Replay::Safe,
            "INSERT INTO user_mfa (sub, totp_secret, pending_totp_secret, totp_device_name, \
             totp_enabled, totp_preferred, last_totp_step, updated_at) \
             VALUES ($1, $2, NULL, NULL, $3, $4, 0, $5) \
             ON CONFLICT (sub) DO UPDATE SET totp_secret = $2, pending_totp_secret = NULL, \
             totp_device_name = NULL, totp_enabled = $3, last_totp_step = 0, updated_at = $5",
            |q| {
                q.bind(sub.to_string())
                    .bind(sealed_secret)
                    .bind(true)
                    .bind(false)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn set_otp_preference(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        enabled: Option<bool>,
        preferred: Option<bool>,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        // A new row takes the flags given (unset ones off); an existing row keeps the
        // flags not given.
        let sql = match factor {
            OtpFactor::Email => {
                "INSERT INTO user_mfa (sub, totp_secret, pending_totp_secret, totp_device_name, \
                 totp_enabled, totp_preferred, last_totp_step, updated_at, email_mfa_enabled, \
                 email_mfa_preferred) \
                 VALUES ($1, NULL, NULL, NULL, $4, $4, 0, $5, COALESCE($2, $4), COALESCE($3, $4)) \
                 ON CONFLICT (sub) DO UPDATE SET \
                 email_mfa_enabled = COALESCE($2, user_mfa.email_mfa_enabled), \
                 email_mfa_preferred = COALESCE($3, user_mfa.email_mfa_preferred), updated_at = $5"
            }
            OtpFactor::Sms => {
                "INSERT INTO user_mfa (sub, totp_secret, pending_totp_secret, totp_device_name, \
                 totp_enabled, totp_preferred, last_totp_step, updated_at, sms_mfa_enabled, \
                 sms_mfa_preferred) \
                 VALUES ($1, NULL, NULL, NULL, $4, $4, 0, $5, COALESCE($2, $4), COALESCE($3, $4)) \
                 ON CONFLICT (sub) DO UPDATE SET \
                 sms_mfa_enabled = COALESCE($2, user_mfa.sms_mfa_enabled), \
                 sms_mfa_preferred = COALESCE($3, user_mfa.sms_mfa_preferred), updated_at = $5"
            }
        };
        self.execute("set_otp_preference", Replay::Safe, sql, |q| {
            q.bind(sub.to_string())
                .bind(enabled)
                .bind(preferred)
                .bind(false)
                .bind(now)
        })
        .await?;
        Ok(())
    }

    async fn put_otp_code(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        code_hash: &str,
        expires_at: UnixSeconds,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        // Replayed safely: the same hash written again is the same state.
        self.execute(
            "put_otp_code",
            Replay::Safe,
            "UPDATE user_mfa SET otp_code_hash = $2, otp_code_factor = $3, \
             otp_code_expires_at = $4, updated_at = $5 WHERE sub = $1",
            |q| {
                q.bind(sub.to_string())
                    .bind(code_hash)
                    .bind(factor.as_str())
                    .bind(expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn remove_mfa(&self, sub: &Sub) -> Result<bool, StoreError> {
        // Replayed after a lost commit it finds nothing and says so; the caller audits the
        // reset either way.
        self.execute_one(
            "remove_mfa",
            Replay::Safe,
            "DELETE FROM user_mfa WHERE sub = $1",
            |q| q.bind(sub.to_string()),
        )
        .await
    }

    async fn use_otp_code(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        code_hash: &str,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Not replayed: a retry after a lost commit would find the code spent.
        self.execute_one(
            "use_otp_code",
            Replay::OnlyIfNothingWritten,
            "UPDATE user_mfa SET otp_code_hash = NULL, otp_code_factor = NULL, \
             otp_code_expires_at = NULL, updated_at = $4 \
             WHERE sub = $1 AND otp_code_factor = $2 AND otp_code_hash = $3 \
             AND otp_code_expires_at > $4",
            |q| {
                q.bind(sub.to_string())
                    .bind(factor.as_str())
                    .bind(code_hash)
                    .bind(now)
            },
        )
        .await
    }
}
