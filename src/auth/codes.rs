//! One-time codes, whatever they are for (sign-up confirmation, password reset, attribute
//! verification): six random digits, stored encrypted under the key-encryption key, one per user and purpose, and
//! guessed at most five times. Each guess is counted in the statement that checks the limit,
//! before the comparison, so a burst of parallel guesses gets five compared at most
//! (docs/security.md, "Measures").

use rand::TryRng;
use rand::rngs::SysRng;

use super::{AuthError, Services};
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::User;
use crate::store::{CodeAttempt, CodePurpose, ConfirmationCodeRecord};

/// Guesses compared against a code before it is useless (a right guess spends the code, so
/// this is also the number of wrong guesses allowed).
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Codes a user may ask for, per purpose, in one window: `ForgotPassword`,
/// `ResendConfirmationCode` and `GetUserAttributeVerificationCode` each start a fresh code with
/// fresh guesses, so without a cap guessing could go on for ever by asking again. Five
/// requests an hour bound it to 25 guesses an hour at a million codes (docs/security.md).
pub const MAX_CODE_REQUESTS: i64 = 5;
pub const CODE_REQUEST_WINDOW_SECONDS: i64 = 3_600;

/// What a stored code is bound to: sign-up codes to the user (as version 1 stored them),
/// others to the user and the purpose, so a code cannot be moved from one purpose to another;
/// a verification code also to the address or number it was sent to (`bound_to`), so it
/// opens only while the attribute still holds that value.
fn context(
    record_sub: &crate::domain::ids::Sub,
    purpose: CodePurpose,
    bound_to: Option<&str>,
) -> String {
    match (purpose, bound_to) {
        (CodePurpose::SignUp, _) => record_sub.to_string(),
        (other, None) => format!("{record_sub}|{}", other.as_str()),
        (other, Some(value)) => format!("{record_sub}|{}|{value}", other.as_str()),
    }
}

impl Services {
    /// Stores a fresh code for `user` (replacing any earlier one of that purpose, and its
    /// count of guesses) valid for `validity_seconds`, and returns it to be sent.
    pub(crate) async fn issue_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        validity_seconds: i64,
    ) -> Result<SecretString, AuthError> {
        self.issue_bound_code(user, purpose, validity_seconds, None, false)
            .await
    }

    /// [`Self::issue_code`] for a code that is good only for `bound_to` (see `context`); with
    /// `pending`, `bound_to` is a new value that waits for this code and is stored with it.
    pub(crate) async fn issue_bound_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        validity_seconds: i64,
        bound_to: Option<&str>,
        pending: bool,
    ) -> Result<SecretString, AuthError> {
        let mut bytes = [0u8; 4];
        SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(AuthError::internal)?;
        let code = format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000);
        let now = self.clock.now();
        let code_encrypted = self
            .kek
            .encrypt(code.as_bytes(), &context(&user.sub, purpose, bound_to))
            .map_err(AuthError::internal)?;
        self.store
            .put_confirmation_code(
                &ConfirmationCodeRecord {
                    user_sub: user.sub,
                    purpose,
                    code_encrypted,
                    expires_at: now + validity_seconds,
                    failed_attempts: 0,
                    pending_value: bound_to.filter(|_| pending).map(str::to_owned),
                },
                now,
            )
            .await?;
        Ok(secret(&code))
    }

    /// Counts a request for a code of `purpose` against the user's cap: Ok while within it,
    /// `LimitExceededException` once the window's requests are spent (nothing is counted then,
    /// and no code replaces the live one).
    pub(crate) async fn admit_code_request(
        &self,
        user: &User,
        purpose: CodePurpose,
    ) -> Result<(), AuthError> {
        if self
            .store
            .count_code_request(
                &user.sub,
                purpose,
                MAX_CODE_REQUESTS,
                CODE_REQUEST_WINDOW_SECONDS,
                self.clock.now(),
            )
            .await?
        {
            Ok(())
        } else {
            tracing::info!(sub = %user.sub, purpose = purpose.as_str(), "code request refused: the user's requests for this window are spent");
            Err(AuthError::LimitExceeded)
        }
    }

    /// Counts one guess at the user's code and compares it: Ok when it is right (the caller
    /// then spends the code), `CodeMismatchException` when wrong, `LimitExceededException`
    /// once five guesses were compared, `ExpiredCodeException` when there is no live code.
    pub(crate) async fn check_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        guess: &SecretString,
    ) -> Result<(), AuthError> {
        self.check_bound_code(user, purpose, guess, None).await
    }

    /// [`Self::check_code`] for a code issued for `bound_to`. A code issued for another value
    /// does not open: it is no code for this one (`ExpiredCodeException`, the guess counted).
    pub(crate) async fn check_bound_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        guess: &SecretString,
        bound_to: Option<&str>,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let record = match self
            .store
            .take_code_attempt(&user.sub, purpose, MAX_CODE_ATTEMPTS, now)
            .await?
        {
            CodeAttempt::Granted(record) => record,
            CodeAttempt::Exhausted => return Err(AuthError::LimitExceeded),
            CodeAttempt::Missing => return Err(AuthError::ExpiredCode),
        };
        let expected = match (self.decrypt_code(&record, bound_to), bound_to) {
            (Ok(expected), _) => expected,
            (Err(_), Some(_)) => return Err(AuthError::ExpiredCode),
            (Err(error), None) => return Err(error),
        };
        let matches: bool = subtle::ConstantTimeEq::ct_eq(
            expected.expose_secret().as_bytes(),
            guess.expose_secret().as_bytes(),
        )
        .into();
        if matches {
            Ok(())
        } else {
            Err(AuthError::CodeMismatch)
        }
    }

    /// [`Self::check_code`] for an attribute verification code: bound to the value waiting
    /// for it when there is one, else to `current` (the value the attribute holds). Ok with
    /// the waiting value, if any, when the guess is right.
    pub(crate) async fn check_verification_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        guess: &SecretString,
        current: Option<&str>,
    ) -> Result<Option<String>, AuthError> {
        let now = self.clock.now();
        let record = match self
            .store
            .take_code_attempt(&user.sub, purpose, MAX_CODE_ATTEMPTS, now)
            .await?
        {
            CodeAttempt::Granted(record) => record,
            CodeAttempt::Exhausted => return Err(AuthError::LimitExceeded),
            CodeAttempt::Missing => return Err(AuthError::ExpiredCode),
        };
        let Some(bound) = record.pending_value.as_deref().or(current) else {
            return Err(AuthError::ExpiredCode);
        };
        // A code sealed for another value does not open: it is no code for this one.
        let expected = self
            .decrypt_code(&record, Some(bound))
            .map_err(|_| AuthError::ExpiredCode)?;
        let matches: bool = subtle::ConstantTimeEq::ct_eq(
            expected.expose_secret().as_bytes(),
            guess.expose_secret().as_bytes(),
        )
        .into();
        if matches {
            Ok(record.pending_value)
        } else {
            Err(AuthError::CodeMismatch)
        }
    }

    pub(crate) fn decrypt_code(
        &self,
        record: &ConfirmationCodeRecord,
        bound_to: Option<&str>,
    ) -> Result<SecretString, AuthError> {
        let bytes = self
            .kek
            .decrypt(
                &record.code_encrypted,
                &context(&record.user_sub, record.purpose, bound_to),
            )
            .map_err(AuthError::internal)?;
        String::from_utf8(bytes)
            .map(|code| secret(&code))
            .map_err(AuthError::internal)
    }

    /// The user's live code of `purpose`, for the operator (`gatehouse user
    /// confirmation-code`) and tests.
    pub(crate) async fn live_code(
        &self,
        user: &User,
        purpose: CodePurpose,
    ) -> Result<Option<SecretString>, AuthError> {
        let now = self.clock.now();
        match self.store.confirmation_code(&user.sub, purpose).await? {
            Some(record) if now < record.expires_at => Ok(Some(self.decrypt_code(&record, None)?)),
            _ => Ok(None),
        }
    }
}
