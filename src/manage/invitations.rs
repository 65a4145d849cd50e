//! `AdminCreateUser`'s invitation: a user created by an administrator gets a temporary
//! password (the one given, or one generated to meet the pool's policy) and a message
//! carrying it, through the outbox. `MessageAction` `SUPPRESS` sends nothing; `RESEND` gives
//! an existing `FORCE_CHANGE_PASSWORD` user a new temporary password, a new validity period
//! and a new message (docs/cognito-compatibility.md, "AdminCreateUser").

use crate::triggers::custom_message::CustomMessageSource;
use std::collections::BTreeMap;

use crate::auth::audit::AuditEvent;
use crate::auth::sign_in_names::new_identity;
use crate::auth::{AuthError, Services};
use crate::domain::attributes::UserAttributes;
use crate::domain::message::{Medium, MessageKind};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::manage::users::NewUser;
use crate::triggers::Caller;
use crate::triggers::pre_sign_up::{PreSignUp, PreSignUpSource};

/// Cognito's `MessageAction`; `Send` is its absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    Send,
    Suppress,
    Resend,
}

#[derive(Debug)]
pub struct Invitation {
    pub username: Username,
    /// Ignored by `RESEND`, which keeps the user's attributes.
    pub attributes: UserAttributes,
    /// None: one is generated to meet the pool's password policy.
    pub temporary_password: Option<SecretString>,
    pub action: MessageAction,
    /// `DesiredDeliveryMediums`; None lets the user's attributes decide.
    pub mediums: Option<Vec<Medium>>,
    /// `ForceAliasCreation`: take a verified e-mail or phone alias over from its holder.
    pub force_alias_creation: bool,
    /// `ValidationData` and `ClientMetadata`: passed to the `PreSignUp` function only.
    pub validation_data: BTreeMap<String, String>,
    pub client_metadata: BTreeMap<String, String>,
}

/// Where the invitation goes. Mediums asked for must each have their attribute, with
/// Cognito's refusal otherwise. Left unasked, Gatehouse sends to the e-mail address if there
/// is one, else to the phone number (Cognito's default is SMS, which has no carrier here).
fn destinations(
    attributes: &UserAttributes,
    mediums: Option<&[Medium]>,
) -> Result<Vec<(Medium, String)>, AuthError> {
    let reach = |medium: Medium| {
        attributes
            .get(medium.attribute())
            .map(|value| (medium, value.to_owned()))
    };
    match mediums {
        Some(mediums) => mediums
            .iter()
            .map(|&medium| {
                reach(medium).ok_or_else(|| {
                    AuthError::InvalidParameter(match medium {
                        Medium::Email => {
                            "No email provided but desired delivery medium was Email".into()
                        }
                        Medium::Sms => {
                            "No phone_number provided but desired delivery medium was SMS".into()
                        }
                    })
                })
            })
            .collect(),
        None => Ok(reach(Medium::Email)
            .or_else(|| reach(Medium::Sms))
            .into_iter()
            .collect()),
    }
}

impl Services {
    /// `AdminCreateUser`: creates the user (or, with `RESEND`, renews an invited one) and
    /// sends the invitation unless suppressed.
    pub async fn invite_user(
        &self,
        pool: &UserPool,
        invitation: Invitation,
    ) -> Result<User, AuthError> {
        let password = invitation
            .temporary_password
            .unwrap_or_else(|| secret(pool.settings.password_policy.generate_temporary_password()));
        let user = if invitation.action == MessageAction::Resend {
            let user = self.find_user(pool, &invitation.username).await?;
            if user.status != UserStatus::ForceChangePassword {
                return Err(AuthError::UnsupportedUserState(
                    "Resend not possible. User is not in FORCE_CHANGE_PASSWORD state".into(),
                ));
            }
            // Checked before the password changes, so a refused resend changes nothing.
            destinations(&user.attributes, invitation.mediums.as_deref())?;
            self.set_user_password(pool, &invitation.username, &password, true)
                .await?;
            self.find_user(pool, &invitation.username).await?
        } else {
            let mut attributes = invitation.attributes;
            // The function decides before anything is written; an administrator's user is
            // always invited (`autoConfirmUser` does not apply), but may be verified.
            if let Some(function) = &pool.settings.lambda_config.pre_sign_up {
                let answer = self
                    .triggers
                    .pre_sign_up(
                        function,
                        PreSignUp {
                            source: PreSignUpSource::AdminCreateUser,
                            caller: Caller {
                                pool: &pool.id,
                                client: None,
                                user_name: invitation.username.as_str(),
                            },
                            attributes: &attributes,
                            validation_data: &invitation.validation_data,
                            client_metadata: &invitation.client_metadata,
                        },
                    )
                    .await?;
                crate::auth::sign_up::apply_auto_verification(&answer, &mut attributes);
            }
            if invitation.action == MessageAction::Send {
                // With the e-mail address or phone number the username puts in them.
                let mut attributes = attributes.clone();
                new_identity(pool, &invitation.username, &mut attributes)?;
                destinations(&attributes, invitation.mediums.as_deref())?;
            }
            self.create_user_with_aliases(
                pool,
                NewUser {
                    username: invitation.username,
                    password: password.clone(),
                    temporary: true,
                    attributes,
                    enabled: true,
                },
                invitation.force_alias_creation,
            )
            .await?
        };
        if invitation.action != MessageAction::Suppress {
            for (medium, destination) in
                destinations(&user.attributes, invitation.mediums.as_deref())?
            {
                self.send_message(
                    pool,
                    (medium, &destination),
                    MessageKind::Invitation,
                    (CustomMessageSource::AdminCreateUser, &user),
                    password.expose_secret(),
                )
                .await?;
            }
            AuditEvent::for_user("invitation_sent", &pool.id, &user)
                .with_reason(if invitation.action == MessageAction::Resend {
                    "resend"
                } else {
                    "new_user"
                })
                .emit();
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_go_where_asked_or_to_email_first() {
        let both = UserAttributes::from_pairs(&[
            ("email", "a@example.com"),
            ("phone_number", "+15550100"),
        ]);
        let mail_only = UserAttributes::from_pairs(&[("email", "a@example.com")]);
        assert_eq!(
            destinations(&both, None).unwrap(),
            vec![(Medium::Email, "a@example.com".to_owned())]
        );
        assert_eq!(
            destinations(&both, Some(&[Medium::Sms, Medium::Email])).unwrap(),
            vec![
                (Medium::Sms, "+15550100".to_owned()),
                (Medium::Email, "a@example.com".to_owned())
            ]
        );
        assert!(
            destinations(&UserAttributes::from_pairs(&[]), None)
                .unwrap()
                .is_empty()
        );
        let refused = destinations(&mail_only, Some(&[Medium::Sms])).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "No phone_number provided but desired delivery medium was SMS"
        );
    }
}
