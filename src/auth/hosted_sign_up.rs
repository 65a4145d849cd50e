//! Sign-up on the hosted pages (docs/oauth2.md, "Sign-up and password reset pages"): the
//! form a pool's settings call for, and the sign-up, code and confirmation of the API's own
//! use cases (`sign_up.rs`), so the password policy, the schema, the code's limits and the
//! existence rules are the API's. The pages act for the app client their authorization
//! request proved, so a client with a secret is served with the `SECRET_HASH` it would send.
//!
//! After the code is confirmed, the browser that signed up is signed in, as Cognito's
//! managed login does: the sign-up page hands it a ticket, a MAC under the CSRF key of the
//! new user's `sub` and the browser's pre-session cookie, and the confirmation signs in only
//! the user the ticket names, and only in the request that confirmed them (a user is
//! confirmed once), so a ticket never signs anyone in twice.

use std::collections::BTreeMap;

use super::audit::AuditEvent;
use super::messages::CodeDelivery;
use super::sign_in::SignInOutcome;
use super::sign_up::SignUpRequest;
use super::{AuthError, Services};
use crate::domain::attributes::UserAttributes;
use crate::domain::ids::{ClientId, Sub};
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::schema::AttributeDataType;
use crate::domain::secret::SecretString;
use crate::domain::sign_in_names::SignInAttribute;
use crate::domain::user::UserStatus;
use crate::domain::username::Username;

/// What the sign-up page asks for, from the pool's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpForm {
    /// Empty: users choose a username. Else (`UsernameAttributes`) they sign up under an
    /// e-mail address or phone number, one of these.
    pub username_attributes: Vec<SignInAttribute>,
    /// The attributes asked for: the schema's required ones, then the contact attributes the
    /// pool sends its code to (optional: without one no code can be sent).
    pub attributes: Vec<SignUpField>,
    /// What a password must be, so the page can say so before it is refused.
    pub password_policy: PasswordPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpField {
    pub name: String,
    pub required: bool,
    pub data_type: AttributeDataType,
}

/// A sign-up the browser made: where its code went, and the ticket that signs the browser
/// in once the code is confirmed.
pub struct HostedSignUp {
    pub delivery: Option<CodeDelivery>,
    pub ticket: String,
}

/// The CSRF form name a sign-up ticket is a MAC of: no page's form is named with a colon.
fn ticket_form(sub: &Sub) -> String {
    format!("sign-up:{sub}")
}

impl Services {
    /// The sign-up form of the client's pool; None while the pool allows only operators to
    /// create users (`AllowAdminCreateUserOnly`), when no sign-up page is offered.
    pub async fn hosted_sign_up_form(
        &self,
        client: &ClientId,
    ) -> Result<Option<SignUpForm>, AuthError> {
        let (_, pool) = self.client_and_pool(client).await?;
        let settings = &pool.settings;
        if !settings.admin_create_user_config.allows_sign_up() {
            return Ok(None);
        }
        let username_attributes = settings.sign_in_names.username_attributes.clone();
        // The name typed as the username already is this attribute.
        let is_the_username =
            |name: &str| matches!(username_attributes.as_slice(), [only] if only.name() == name);
        let schema = settings.schema();
        let mut attributes: Vec<SignUpField> = schema
            .attributes()
            .iter()
            .filter(|a| a.required && a.name != "sub" && !a.developer_only_attribute)
            .filter(|a| !is_the_username(&a.name))
            .map(|a| SignUpField {
                name: a.name.clone(),
                required: true,
                data_type: a.attribute_data_type,
            })
            .collect();
        for contact in ["email", "phone_number"] {
            if settings.auto_verified_attributes.contains(contact)
                && !is_the_username(contact)
                && !attributes.iter().any(|a| a.name == contact)
            {
                attributes.push(SignUpField {
                    name: contact.to_owned(),
                    required: false,
                    data_type: AttributeDataType::String,
                });
            }
        }
        Ok(Some(SignUpForm {
            username_attributes,
            attributes,
            password_policy: settings.password_policy.clone(),
        }))
    }

    /// `SignUp` for the browser holding `pre_session`, with the ticket that signs it in once
    /// the code is confirmed.
    pub async fn hosted_sign_up(
        &self,
        client: &ClientId,
        username: Username,
        password: SecretString,
        attributes: UserAttributes,
        pre_session: &SecretString,
    ) -> Result<HostedSignUp, AuthError> {
        let (app_client, _) = self.client_and_pool(client).await?;
        let secret_hash = self.own_secret_hash(&app_client, username.as_str())?;
        let signed_up = self
            .sign_up(SignUpRequest {
                client: client.clone(),
                username,
                password,
                attributes,
                secret_hash,
                // The page has no ClientMetadata or ValidationData to pass to the triggers.
                validation_data: BTreeMap::new(),
                client_metadata: BTreeMap::new(),
            })
            .await?;
        let sub = signed_up.user_sub;
        let mac = self.csrf_token(&ticket_form(&sub), pre_session)?;
        Ok(HostedSignUp {
            delivery: signed_up.delivery,
            ticket: format!("{sub}.{mac}"),
        })
    }

    /// `ResendConfirmationCode` for the hosted confirmation page.
    pub async fn hosted_resend_confirmation_code(
        &self,
        client: &ClientId,
        username: &Username,
    ) -> Result<Option<CodeDelivery>, AuthError> {
        let (app_client, _) = self.client_and_pool(client).await?;
        let secret_hash = self.own_secret_hash(&app_client, username.as_str())?;
        self.resend_confirmation_code(client, username, secret_hash.as_ref())
            .await
    }

    /// `ConfirmSignUp`, then, when `ticket` is the one this browser was given at sign-up
    /// for the user just confirmed, that user's sign-in (which may still ask for a second
    /// factor). None: confirmed, but the browser must sign in with the password.
    pub async fn hosted_confirm_sign_up(
        &self,
        client: &ClientId,
        username: &Username,
        code: &SecretString,
        ticket: Option<(&str, &SecretString)>,
    ) -> Result<Option<SignInOutcome>, AuthError> {
        let (app_client, pool) = self.client_and_pool(client).await?;
        let secret_hash = self.own_secret_hash(&app_client, username.as_str())?;
        // The user the name resolves to, looked up before the confirmation: the ticket must
        // name this very user, the one whose code is about to be spent.
        let named = self.user_by_sign_in_name(&pool, username).await?;
        self.confirm_sign_up(
            client,
            username,
            code,
            secret_hash.as_ref(),
            false,
            &BTreeMap::new(),
        )
        .await?;
        let Some((ticket, pre_session)) = ticket else {
            return Ok(None);
        };
        let Some((sub, mac)) = ticket.split_once('.') else {
            return Ok(None);
        };
        let Ok(sub) = Sub::parse(sub) else {
            return Ok(None);
        };
        if named.as_ref().map(|user| user.sub) != Some(sub)
            || !self.csrf_token_matches(&ticket_form(&sub), pre_session, mac)?
        {
            return Ok(None);
        }
        let Some(user) = self
            .store
            .user_by_sub(&sub)
            .await?
            .filter(|user| user.status == UserStatus::Confirmed && user.pool_id == pool.id)
        else {
            return Ok(None);
        };
        AuditEvent::for_user("signed_in_after_sign_up", &pool.id, &user).emit();
        let now = self.clock.now();
        let outcome = self
            .admit_proven(
                &pool,
                &app_client,
                &user,
                pool.id.as_str(),
                &BTreeMap::new(),
                now,
            )
            .await?;
        Ok(Some(outcome))
    }
}
