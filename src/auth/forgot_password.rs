//! Password recovery: `ForgotPassword` sends a reset code (valid one hour) to the user's
//! verified e-mail address or phone number; `ConfirmForgotPassword` spends it and sets the
//! new password; `AdminResetUserPassword` ends every session, marks the user
//! `RESET_REQUIRED` (the next sign-in answers `PasswordResetRequiredException`) and sends a
//! code. Codes are the shared one-time codes of `codes.rs`: single use, five guesses, counted
//! atomically. With existence errors prevented, an unknown user (or one who cannot reset)
//! gets a simulated delivery from `ForgotPassword` and `CodeMismatchException` from
//! `ConfirmForgotPassword`, exactly what a wrong code gets.

use super::audit::AuditEvent;
use super::messages::CodeDelivery;
use super::password_credential::CredentialOwner;
use super::sign_up::simulated_delivery;
use super::{AuthError, NotAuthorized, Services};
use crate::domain::attributes::UserAttributes;
use crate::domain::ids::ClientId;
use crate::domain::message::{Medium, MessageKind};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::CodePurpose;
use crate::triggers::custom_message::CustomMessageSource;

/// Cognito's validity for a password-reset code.
pub const RESET_CODE_VALIDITY_SECONDS: i64 = 3_600;

const NO_VERIFIED_DESTINATION: &str =
    "Cannot reset password for the user as there is no registered/verified email or phone_number";

/// Where a reset code may go: only to an address or number the user has verified, so a
/// reset cannot be sent to an address someone typed in and never proved.
fn reset_destination(attributes: &UserAttributes) -> Option<(Medium, String)> {
    let verified = |flag: &str| attributes.get(flag) == Some("true");
    if verified("email_verified")
        && let Some(email) = attributes.get("email")
    {
        return Some((Medium::Email, email.to_owned()));
    }
    if verified("phone_number_verified")
        && let Some(phone) = attributes.get("phone_number")
    {
        return Some((Medium::Sms, phone.to_owned()));
    }
    None
}

impl Services {
    /// Issues a reset code for `user` and sends it to `destination`.
    async fn send_reset_code(
        &self,
        pool: &UserPool,
        user: &User,
        (medium, destination): (Medium, String),
    ) -> Result<CodeDelivery, AuthError> {
        let code = self
            .issue_code(
                user,
                CodePurpose::ResetPassword,
                RESET_CODE_VALIDITY_SECONDS,
            )
            .await?;
        self.send_message(
            pool,
            (medium, &destination),
            MessageKind::ResetPasswordCode,
            (CustomMessageSource::ForgotPassword, user),
            code.expose_secret(),
        )
        .await
    }

    pub async fn forgot_password(
        &self,
        client: &ClientId,
        username: &Username,
        secret_hash: Option<&SecretString>,
    ) -> Result<CodeDelivery, AuthError> {
        let (client, pool) = self.client_and_pool(client).await?;
        self.check_secret_hash(&client, username.as_str(), secret_hash)?;
        let hiding = client.settings.prevent_user_existence_errors;
        let refuse = |error: AuthError| {
            if hiding {
                Ok(simulated_delivery(username))
            } else {
                Err(error)
            }
        };
        let user = match self.user_by_sign_in_name(&pool, username).await? {
            Some(user) => user,
            // The pool's migration function may vouch for a name it does not know
            // (auth/user_migration.rs); if it does not, the answer is any unknown user's.
            None => match self.migrate_forgetting(&pool, &client, username).await? {
                Some(user) => user,
                None => return refuse(AuthError::UserNotFound),
            },
        };
        if !user.enabled {
            return refuse(AuthError::NotAuthorized(NotAuthorized::UserDisabled));
        }
        if user.status == UserStatus::ForceChangePassword {
            // Cognito's answer: a user still on a temporary password has none to reset.
            return refuse(AuthError::NotAuthorized(NotAuthorized::Other(
                "User password cannot be reset in the current state.".into(),
            )));
        }
        let Some(destination) = reset_destination(&user.attributes) else {
            return refuse(AuthError::InvalidParameter(NO_VERIFIED_DESTINATION.into()));
        };
        // Over the cap, an existing user would get an answer an unknown one never gets: with
        // existence errors prevented it is the simulated delivery, and nothing is sent.
        if let Err(limit) = self
            .admit_code_request(&user, CodePurpose::ResetPassword)
            .await
        {
            return refuse(limit);
        }
        let delivery = self.send_reset_code(&pool, &user, destination).await?;
        AuditEvent::for_user("password_reset_code_sent", &pool.id, &user).emit();
        Ok(delivery)
    }

    pub async fn confirm_forgot_password(
        &self,
        client: &ClientId,
        username: &Username,
        code: &SecretString,
        proposed: &SecretString,
        secret_hash: Option<&SecretString>,
        client_metadata: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), AuthError> {
        let (client, pool) = self.client_and_pool(client).await?;
        self.check_secret_hash(&client, username.as_str(), secret_hash)?;
        let hiding = client.settings.prevent_user_existence_errors;
        let refuse = |error: AuthError| {
            if hiding {
                AuthError::CodeMismatch
            } else {
                error
            }
        };
        // The policy is checked before a guess is counted: a weak password costs no attempt.
        pool.settings
            .password_policy
            .check(proposed.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        let Some(user) = self.user_by_sign_in_name(&pool, username).await? else {
            return Err(refuse(AuthError::UserNotFound));
        };
        if !user.enabled {
            return Err(refuse(AuthError::NotAuthorized(
                NotAuthorized::UserDisabled,
            )));
        }
        self.check_code(&user, CodePurpose::ResetPassword, code)
            .await?;
        // The one path that makes a credential: the Argon2 hash and the SRP verifier together.
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &user.sub,
                    username_key: &user.username_key,
                },
                proposed,
            )
            .await?;
        if !self
            .store
            .reset_password_with_code(&user.sub, &hash, self.clock.now())
            .await?
        {
            // A concurrent confirmation with the same code won.
            return Err(AuthError::ExpiredCode);
        }
        AuditEvent::for_user("password_reset", &pool.id, &user)
            .with_reason("sessions_revoked")
            .emit();
        if let Some(function) = &pool.settings.lambda_config.post_confirmation {
            // As Cognito: the new password stands, but the caller hears the function's error.
            self.triggers
                .post_confirmation(
                    function,
                    crate::triggers::post_confirmation::PostConfirmationSource::ConfirmForgotPassword,
                    crate::triggers::Caller {
                        pool: &pool.id,
                        client: Some(&client.id),
                        user_name: &user.username,
                    },
                    &user,
                    client_metadata,
                )
                .await?;
        }
        Ok(())
    }

    /// `AdminResetUserPassword`: the user must reset their password (every session ends,
    /// sign-in answers `PasswordResetRequiredException`) and is sent a code to do it with.
    pub async fn admin_reset_user_password(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<CodeDelivery, AuthError> {
        let user = self.find_user(pool, username).await?;
        let destination = reset_destination(&user.attributes)
            .ok_or_else(|| AuthError::InvalidParameter(NO_VERIFIED_DESTINATION.into()))?;
        self.require_password_reset(pool, username).await?;
        self.send_reset_code(pool, &user, destination).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_codes_go_only_to_verified_destinations() {
        assert_eq!(
            reset_destination(&UserAttributes::from_pairs(&[("email", "a@b.example")])),
            None
        );
        assert_eq!(
            reset_destination(&UserAttributes::from_pairs(&[
                ("email", "a@b.example"),
                ("email_verified", "true"),
                ("phone_number", "+15555550123"),
                ("phone_number_verified", "true"),
            ])),
            Some((Medium::Email, "a@b.example".to_owned()))
        );
        assert_eq!(
            reset_destination(&UserAttributes::from_pairs(&[
                ("email", "a@b.example"),
                ("phone_number", "+15555550123"),
                ("phone_number_verified", "true"),
            ])),
            Some((Medium::Sms, "+15555550123".to_owned()))
        );
    }
}
