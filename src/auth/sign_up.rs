//! Self-service sign-up: `SignUp` creates an `UNCONFIRMED` user and a six-digit code;
//! `ConfirmSignUp` spends the code. Gatehouse sends no mail, so the code is written to the
//! server log (it is single-use, expires in 24 hours, and allows five wrong guesses) and can
//! be read with `gatehouse user confirmation-code`.
//!
//! `SignUp` answers `UsernameExistsException` for a taken name, as Cognito does: the one
//! deliberate existence oracle, bounded per address by the HTTP layer's sign-up budget. It
//! is refused outright while the pool allows only operators to create users.

use rand::TryRng;
use rand::rngs::SysRng;

use super::password_credential::CredentialOwner;
use super::{AuthError, NotAuthorized, Services};
use crate::domain::app_client::AppClient;
use crate::domain::attribute_access::{Writer, apply_write};
use crate::domain::attributes::UserAttributes;
use crate::domain::ids::{ClientId, Sub};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::{CodeAttempt, ConfirmationCodeRecord, StoreError};

/// Cognito's validity for a sign-up confirmation code.
const CODE_VALIDITY_SECONDS: i64 = 86_400;
/// Guesses compared against a code before it is useless (a right guess spends the code, so
/// this is also the number of wrong guesses allowed).
const MAX_CODE_ATTEMPTS: i64 = 5;

pub struct SignUpRequest {
    pub client: ClientId,
    pub username: Username,
    pub password: SecretString,
    pub attributes: UserAttributes,
    pub secret_hash: Option<SecretString>,
}

pub struct SignedUp {
    pub user_sub: Sub,
    /// The masked e-mail address the code would have gone to, if the user has one.
    pub destination: Option<String>,
}

/// `a***@e***` — what Cognito shows of the address a code went to.
fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!(
            "{}***@{}***",
            local.chars().next().unwrap_or('*'),
            domain.chars().next().unwrap_or('*')
        ),
        None => "***".to_owned(),
    }
}

impl Services {
    pub(crate) async fn client_and_pool(
        &self,
        id: &ClientId,
    ) -> Result<(AppClient, UserPool), AuthError> {
        let not_found =
            || AuthError::ResourceNotFound(format!("User pool client {id} does not exist."));
        let client = self.store.client_by_id(id).await?.ok_or_else(not_found)?;
        let pool = self
            .store
            .pool_by_id(&client.pool_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((client, pool))
    }

    pub async fn sign_up(&self, request: SignUpRequest) -> Result<SignedUp, AuthError> {
        let (client, pool) = self.client_and_pool(&request.client).await?;
        self.check_secret_hash(
            &client,
            request.username.as_str(),
            request.secret_hash.as_ref(),
        )?;
        if !pool.settings.admin_create_user_config.allows_sign_up() {
            return Err(AuthError::NotAuthorized(NotAuthorized::Other(
                "SignUp is not permitted for this user pool".into(),
            )));
        }
        let attributes = apply_write(
            Writer::User(&client.settings),
            &UserAttributes::default(),
            &request.attributes,
        )?;
        pool.settings
            .password_policy
            .check(request.password.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        let now = self.clock.now();
        let sub = Sub::generate();
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &sub,
                    username_key: request.username.key(),
                },
                &request.password,
            )
            .await?;
        let user = User {
            sub,
            pool_id: pool.id.clone(),
            username: request.username.as_str().to_owned(),
            username_key: request.username.key().clone(),
            password: Some(hash),
            status: UserStatus::Unconfirmed,
            enabled: true,
            attributes,
            tokens_valid_after: 0,
            temporary_password_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_user(&user).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(AuthError::UsernameExists),
            Err(e) => return Err(e.into()),
        }
        self.issue_confirmation_code(&pool, &user).await?;
        Ok(SignedUp {
            user_sub: user.sub,
            destination: user.attributes.get("email").map(mask),
        })
    }

    async fn issue_confirmation_code(&self, pool: &UserPool, user: &User) -> Result<(), AuthError> {
        let mut bytes = [0u8; 4];
        SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let code = format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000);
        let now = self.clock.now();
        let code_encrypted = self
            .kek
            .encrypt(code.as_bytes(), &user.sub.to_string())
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        self.store
            .put_confirmation_code(
                &ConfirmationCodeRecord {
                    user_sub: user.sub,
                    code_encrypted,
                    expires_at: now + CODE_VALIDITY_SECONDS,
                    failed_attempts: 0,
                },
                now,
            )
            .await?;
        // No mail is sent: the log is the delivery channel (and the CLI can read it back).
        tracing::info!(pool = %pool.id, username = %user.username, code = %code, "sign-up confirmation code");
        Ok(())
    }

    pub async fn confirm_sign_up(
        &self,
        client: &ClientId,
        username: &Username,
        code: &SecretString,
        secret_hash: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        let (client, pool) = self.client_and_pool(client).await?;
        self.check_secret_hash(&client, username.as_str(), secret_hash)?;
        let hiding = client.settings.prevent_user_existence_errors;
        let unknown = || {
            if hiding {
                AuthError::CodeMismatch
            } else {
                AuthError::UserNotFound
            }
        };
        let Some(user) = self.store.user_by_key(&pool.id, username.key()).await? else {
            return Err(unknown());
        };
        if user.status != UserStatus::Unconfirmed {
            // Only a user awaiting confirmation has anything to confirm; with existence
            // errors prevented, every other user gets exactly the unknown user's answer, so
            // ConfirmSignUp cannot tell a taken name (or its status) from a free one.
            if hiding {
                return Err(unknown());
            }
            return Err(AuthError::NotAuthorized(NotAuthorized::Other(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            ))));
        }
        let now = self.clock.now();
        // The attempt is counted before the guess is compared, in the statement that checks
        // the limit, so no burst of guesses gets more than five codes compared.
        let record = match self
            .store
            .take_code_attempt(&user.sub, MAX_CODE_ATTEMPTS, now)
            .await?
        {
            CodeAttempt::Granted(record) => record,
            CodeAttempt::Exhausted => return Err(AuthError::LimitExceeded),
            CodeAttempt::Missing => return Err(AuthError::ExpiredCode),
        };
        let expected = self.decrypt_code(&record)?;
        let matches: bool = subtle::ConstantTimeEq::ct_eq(
            expected.expose_secret().as_bytes(),
            code.expose_secret().as_bytes(),
        )
        .into();
        if !matches {
            return Err(AuthError::CodeMismatch);
        }
        if !self.store.confirm_user(&user.sub, now).await? {
            return Err(AuthError::ExpiredCode);
        }
        tracing::info!(pool = %pool.id, sub = %user.sub, "sign-up confirmed");
        Ok(())
    }

    fn decrypt_code(&self, record: &ConfirmationCodeRecord) -> Result<SecretString, AuthError> {
        let bytes = self
            .kek
            .decrypt(&record.code_encrypted, &record.user_sub.to_string())
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        String::from_utf8(bytes)
            .map(secret)
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    /// The pending confirmation code of a user, for `gatehouse user confirmation-code`.
    pub async fn pending_confirmation_code(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<Option<SecretString>, AuthError> {
        let user = self.find_user(pool, username).await?;
        let now = self.clock.now();
        match self.store.confirmation_code(&user.sub).await? {
            Some(record) if now < record.expires_at => Ok(Some(self.decrypt_code(&record)?)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("alice@example.com"), "a***@e***");
        assert_eq!(mask("broken"), "***");
    }
}
