//! Self-service sign-up: `SignUp` creates an `UNCONFIRMED` user and a six-digit code;
//! `ConfirmSignUp` spends the code. The code (single use, 24 hours, five wrong guesses) is
//! sent through the outbox (`messages.rs`) to the user's e-mail address, or by SMS to their
//! phone number when they have no address, among the attributes the pool auto-verifies
//! (`AutoVerifiedAttributes`); it is never logged. An operator can read it with
//! `gatehouse user confirmation-code`.
//!
//! `SignUp` answers `UsernameExistsException` for a taken name, as Cognito does: the one
//! deliberate existence oracle, bounded per address by the HTTP layer's sign-up budget. It
//! is refused outright while the pool allows only operators to create users.

use std::collections::BTreeMap;

use super::audit::AuditEvent;
use super::messages::CodeDelivery;
use super::password_credential::CredentialOwner;
use super::sign_in_names::{creation_conflict, new_identity};
use super::{AuthError, NotAuthorized, Services};
use crate::domain::app_client::AppClient;
use crate::domain::attribute_access::{Writer, apply_write};
use crate::domain::attributes::UserAttributes;
use crate::domain::contact_verification::AutoVerifiedAttributes;
use crate::domain::ids::{ClientId, Sub};
use crate::domain::message::{Medium, MessageKind};
use crate::domain::pool::UserPool;
use crate::domain::schema::Moment;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::CodePurpose;
use crate::triggers::Caller;
use crate::triggers::custom_message::CustomMessageSource;
use crate::triggers::post_confirmation::PostConfirmationSource;
use crate::triggers::pre_sign_up::{PreSignUp, PreSignUpAnswer, PreSignUpSource};

/// Cognito's validity for a sign-up confirmation code.
const CODE_VALIDITY_SECONDS: i64 = 86_400;

pub struct SignUpRequest {
    pub client: ClientId,
    pub username: Username,
    pub password: SecretString,
    pub attributes: UserAttributes,
    pub secret_hash: Option<SecretString>,
    /// `ValidationData` and `ClientMetadata`: passed to the `PreSignUp` function only.
    pub validation_data: BTreeMap<String, String>,
    pub client_metadata: BTreeMap<String, String>,
}

pub struct SignedUp {
    pub user_sub: Sub,
    /// Confirmed at once (a `PreSignUp` function's `autoConfirmUser`).
    pub confirmed: bool,
    /// Where the code went (masked), if the user has an address or phone number.
    pub delivery: Option<CodeDelivery>,
}

/// Where a user's sign-up code goes: among the pool's auto-verified attributes, their e-mail
/// address, else their phone number by SMS; nowhere when the pool verifies neither they have.
pub(crate) fn code_destination(
    attributes: &UserAttributes,
    auto_verified: &AutoVerifiedAttributes,
) -> Option<(Medium, String)> {
    [Medium::Email, Medium::Sms]
        .into_iter()
        .filter(|medium| auto_verified.contains(medium.attribute()))
        .find_map(|medium| {
            attributes
                .get(medium.attribute())
                .map(|value| (medium, value.to_owned()))
        })
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
        let mut attributes = apply_write(
            Writer::User(&client.settings),
            &pool.settings.schema(),
            Moment::Creation,
            &UserAttributes::default(),
            &request.attributes,
        )?;
        pool.settings
            .password_policy
            .check(request.password.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        // The function decides before anything is written: a refusal leaves no user behind.
        let answer = match &pool.settings.lambda_config.pre_sign_up {
            Some(function) => {
                self.triggers
                    .pre_sign_up(
                        function,
                        PreSignUp {
                            source: PreSignUpSource::SignUp,
                            caller: Caller {
                                pool: &pool.id,
                                client: Some(&client.id),
                                user_name: request.username.as_str(),
                            },
                            attributes: &attributes,
                            validation_data: &request.validation_data,
                            client_metadata: &request.client_metadata,
                        },
                    )
                    .await?
            }
            None => PreSignUpAnswer::default(),
        };
        apply_auto_verification(&answer, &mut attributes);
        let identity = new_identity(&pool, &request.username, &mut attributes)?;
        let now = self.clock.now();
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &identity.sub,
                    username_key: &identity.key,
                },
                &request.password,
            )
            .await?;
        let user = User {
            sub: identity.sub,
            pool_id: pool.id.clone(),
            username: identity.username,
            username_key: identity.key,
            password: Some(hash),
            status: if answer.auto_confirm_user {
                UserStatus::Confirmed
            } else {
                UserStatus::Unconfirmed
            },
            enabled: true,
            attributes,
            tokens_valid_after: 0,
            temporary_password_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_user(&user)
            .await
            .map_err(|e| creation_conflict(&pool, e))?;
        // A user confirmed by the function has nothing to confirm: no code is sent.
        let delivery = if answer.auto_confirm_user {
            None
        } else {
            self.issue_confirmation_code(&pool, &user, CustomMessageSource::SignUp)
                .await?
        };
        Ok(SignedUp {
            user_sub: user.sub,
            confirmed: answer.auto_confirm_user,
            delivery,
        })
    }

    /// Stores a fresh code for `user` and sends it; None when the user has nowhere to send
    /// it to (the operator can still read it with the CLI).
    async fn issue_confirmation_code(
        &self,
        pool: &UserPool,
        user: &User,
        source: CustomMessageSource,
    ) -> Result<Option<CodeDelivery>, AuthError> {
        let code = self
            .issue_code(user, CodePurpose::SignUp, CODE_VALIDITY_SECONDS)
            .await?;
        let Some((medium, destination)) =
            code_destination(&user.attributes, &pool.settings.auto_verified_attributes)
        else {
            tracing::info!(pool = %pool.id, sub = %user.sub, "sign-up code stored; the user has no address the pool verifies to send it to");
            return Ok(None);
        };
        let delivery = self
            .send_message(
                pool,
                (medium, &destination),
                MessageKind::SignUpCode,
                (source, user),
                code.expose_secret(),
            )
            .await?;
        Ok(Some(delivery))
    }

    pub async fn confirm_sign_up(
        &self,
        client: &ClientId,
        username: &Username,
        code: &SecretString,
        secret_hash: Option<&SecretString>,
        force_alias_creation: bool,
        client_metadata: &BTreeMap<String, String>,
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
        let Some(user) = self.user_by_sign_in_name(&pool, username).await? else {
            return Err(unknown());
        };
        if user.status != UserStatus::Unconfirmed {
            // Only a user awaiting confirmation has anything to confirm; with existence
            // errors prevented, every other user gets exactly the unknown user's answer, so
            // ConfirmSignUp cannot tell a taken name (or its status) from a free one.
            if hiding {
                return Err(unknown());
            }
            return Err(cannot_be_confirmed(&user));
        }
        // The attempt is counted before the guess is compared, in the statement that checks
        // the limit, so no burst of guesses gets more than five codes compared.
        self.check_code(&user, CodePurpose::SignUp, code).await?;
        // The address the code went to becomes verified, and so perhaps a sign-in alias:
        // refused before anything changes if another user holds it (Cognito's
        // AliasExistsException), unless the caller asked to take it over.
        let verified = verified_by_code(&user, &pool.settings.auto_verified_attributes);
        if force_alias_creation {
            self.force_aliases(&pool, &user.sub, &verified).await?;
        } else {
            self.check_aliases_free(&pool, &user, &verified).await?;
        }
        if !self.store.confirm_user(&user.sub, self.clock.now()).await? {
            return Err(AuthError::ExpiredCode);
        }
        self.mark_code_destination_verified(&pool, &user).await?;
        tracing::info!(pool = %pool.id, sub = %user.sub, "sign-up confirmed");
        if let Some(function) = &pool.settings.lambda_config.post_confirmation {
            // As Cognito: the confirmation stands, but the caller hears the function's error.
            let confirmed = self.store.user_by_sub(&user.sub).await?.unwrap_or(user);
            self.triggers
                .post_confirmation(
                    function,
                    PostConfirmationSource::ConfirmSignUp,
                    Caller {
                        pool: &pool.id,
                        client: Some(&client.id),
                        user_name: &confirmed.username,
                    },
                    &confirmed,
                    client_metadata,
                )
                .await?;
        }
        Ok(())
    }

    /// Refuses when a sign-in alias `attributes` would give `user` is another user's.
    async fn check_aliases_free(
        &self,
        pool: &UserPool,
        user: &User,
        attributes: &UserAttributes,
    ) -> Result<(), AuthError> {
        for alias in pool.settings.sign_in_names.aliases(attributes) {
            let holder = self
                .store
                .user_by_sign_in_name(&pool.id, &alias.key)
                .await?;
            if holder.is_some_and(|holder| holder.sub != user.sub) {
                return Err(AuthError::AliasExists(alias.attribute.name().to_owned()));
            }
        }
        Ok(())
    }

    /// The code came back, so the address or number it was sent to is the user's: its
    /// `*_verified` flag is set, as Cognito does for the attribute it verified.
    async fn mark_code_destination_verified(
        &self,
        pool: &UserPool,
        user: &User,
    ) -> Result<(), AuthError> {
        let Some((medium, destination)) =
            code_destination(&user.attributes, &pool.settings.auto_verified_attributes)
        else {
            return Ok(());
        };
        let flag = format!("{}_verified", medium.attribute());
        self.change_attributes(user, |current| {
            let mut next = current.clone();
            // Only if the attribute still holds what the code was sent to.
            if current.get(medium.attribute()) == Some(destination.as_str()) {
                next.set(&flag, "true");
            }
            Ok(next)
        })
        .await?;
        Ok(())
    }

    /// `ResendConfirmationCode`: a fresh sign-up code (the old one and its count of guesses
    /// are replaced). With existence errors prevented, an unknown or already confirmed user
    /// gets a simulated delivery, so the answer tells nothing about the name.
    pub async fn resend_confirmation_code(
        &self,
        client: &ClientId,
        username: &Username,
        secret_hash: Option<&SecretString>,
    ) -> Result<Option<CodeDelivery>, AuthError> {
        let (client, pool) = self.client_and_pool(client).await?;
        self.check_secret_hash(&client, username.as_str(), secret_hash)?;
        let hiding = client.settings.prevent_user_existence_errors;
        let user = self.user_by_sign_in_name(&pool, username).await?;
        match user {
            Some(user) if user.status == UserStatus::Unconfirmed => {
                // Over the cap, an existing user would get an answer an unknown one never
                // gets: with existence errors prevented it is the simulated delivery.
                match self.admit_code_request(&user, CodePurpose::SignUp).await {
                    Ok(()) => {
                        self.issue_confirmation_code(&pool, &user, CustomMessageSource::ResendCode)
                            .await
                    }
                    Err(AuthError::LimitExceeded) if hiding => {
                        Ok(Some(simulated_delivery(username)))
                    }
                    Err(error) => Err(error),
                }
            }
            _ if hiding => Ok(Some(simulated_delivery(username))),
            None => Err(AuthError::UserNotFound),
            Some(_) => Err(AuthError::InvalidParameter(
                "User is already confirmed.".into(),
            )),
        }
    }

    /// `AdminConfirmSignUp`: an administrator confirms an `UNCONFIRMED` user without a code.
    pub async fn admin_confirm_sign_up(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(cannot_be_confirmed(&user));
        }
        let now = self.clock.now();
        // Spends the pending code with the confirmation; a user without one (it was never
        // stored) is confirmed all the same.
        if !self.store.confirm_user(&user.sub, now).await? {
            self.store
                .set_status(&user.sub, UserStatus::Confirmed, now)
                .await?;
        }
        AuditEvent::for_user("user_confirmed", &pool.id, &user).emit();
        Ok(())
    }

    /// The pending confirmation code of a user, for `gatehouse user confirmation-code`.
    pub async fn pending_confirmation_code(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<Option<SecretString>, AuthError> {
        let user = self.find_user(pool, username).await?;
        self.live_code(&user, CodePurpose::SignUp).await
    }
}

/// A `PreSignUp` function's `autoVerifyEmail` and `autoVerifyPhone`: the address or number
/// the user gives is marked verified (nothing happens for one they do not give).
pub(crate) fn apply_auto_verification(answer: &PreSignUpAnswer, attributes: &mut UserAttributes) {
    for (wanted, attribute) in [
        (answer.auto_verify_email, "email"),
        (answer.auto_verify_phone, "phone_number"),
    ] {
        if wanted && attributes.get(attribute).is_some() {
            attributes.set(&format!("{attribute}_verified"), "true");
        }
    }
}

/// The user's attributes once the address or number their sign-up code went to is verified.
fn verified_by_code(user: &User, auto_verified: &AutoVerifiedAttributes) -> UserAttributes {
    let mut attributes = user.attributes.clone();
    if let Some((medium, _)) = code_destination(&user.attributes, auto_verified) {
        attributes.set(&format!("{}_verified", medium.attribute()), "true");
    }
    attributes
}

fn cannot_be_confirmed(user: &User) -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::Other(format!(
        "User cannot be confirmed. Current status is {}",
        user.status.as_str()
    )))
}

/// What a delivery to an unknown user looks like when existence errors are prevented: an
/// e-mail masked like a real one, so it cannot be told from one.
pub(crate) fn simulated_delivery(username: &Username) -> CodeDelivery {
    let initial = username
        .as_str()
        .chars()
        .next()
        .unwrap_or('u')
        .to_lowercase()
        .next()
        .unwrap_or('u');
    CodeDelivery {
        medium: Medium::Email,
        destination: format!("{initial}***@e***"),
    }
}
