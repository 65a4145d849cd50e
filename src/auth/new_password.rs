//! Answering `NEW_PASSWORD_REQUIRED`: the user signed in with a temporary password and now
//! chooses their own. The session string is single-use and expires after three minutes; a
//! password the policy rejects leaves it usable for another try.

use std::collections::BTreeMap;

use crate::crypto::opaque::hash_secret_token;
use crate::domain::app_client::USER_PASSWORD_AUTH;
use crate::domain::attribute_access::{Writer, apply_write};
use crate::domain::attributes::UserAttributes;
use crate::domain::password_policy::MAX_PASSWORD_CHARS;
use crate::domain::schema::Moment;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::UserStatus;
use crate::domain::username::Username;

use super::issue::IssuedTokens;
use super::password_credential::CredentialOwner;
use super::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use super::{AuthError, NotAuthorized, Services};

#[derive(Debug)]
pub struct NewPasswordAnswer {
    /// The pool (login API) or app client (Cognito API) the challenge was issued for.
    pub target: SignInTarget,
    /// Optional in Cognito's API; when present it must name the challenged user.
    pub username: Option<Username>,
    pub session: SecretString,
    pub new_password: SecretString,
    /// `userAttributes.<name>` responses, without the prefix.
    pub attributes: BTreeMap<String, String>,
    /// `ClientMetadata`: the `clientMetadata` of `PostAuthentication` and
    /// `PreTokenGeneration`.
    pub client_metadata: BTreeMap<String, String>,
}

/// Compare-and-set rounds before giving up while attributes keep changing under the answer.
const MAX_ROUNDS: usize = 10;

fn invalid_session() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidSession)
}

impl Services {
    pub async fn answer_new_password(
        &self,
        answer: NewPasswordAnswer,
    ) -> Result<IssuedTokens, AuthError> {
        let now = self.clock.now();
        let session_hash = hash_secret_token(&answer.session);
        let attributes = UserAttributes::parse(answer.attributes)
            .map_err(|e| AuthError::InvalidParameter(format!("Invalid user attributes: {e}")))?;
        if answer.new_password.expose_secret().chars().count() > MAX_PASSWORD_CHARS {
            return Err(AuthError::InvalidPassword(format!(
                "Password did not conform with password policy: Password is longer than {MAX_PASSWORD_CHARS} characters"
            )));
        }

        // Check everything cheap before the expensive hash, without consuming the session.
        let (pool, expected_client) = match &answer.target {
            SignInTarget::LoginName(name) => (
                self.store
                    .pool_by_login_name(name)
                    .await?
                    .ok_or_else(invalid_session)?,
                None,
            ),
            SignInTarget::Client(id) => {
                let (client, pool) = self.client_and_pool(id).await?;
                (pool, Some(client.id))
            }
        };
        let challenge = self
            .store
            .challenge(&session_hash)
            .await?
            .filter(|c| {
                c.pool_id == pool.id
                    && expected_client.as_ref().is_none_or(|id| *id == c.client_id)
                    && c.challenge_name == NEW_PASSWORD_REQUIRED
                    && now < c.expires_at
            })
            .ok_or_else(invalid_session)?;
        let client = self
            .store
            .client_by_id(&challenge.client_id)
            .await?
            .ok_or_else(invalid_session)?;
        // The login API answers for the pool's default client, with no place for a
        // SECRET_HASH: another client's challenge is refused like an unknown session unless
        // that client takes password sign-ins without a secret.
        if expected_client.is_none() && !client.serves_login_api(USER_PASSWORD_AUTH) {
            return Err(invalid_session());
        }
        let user = self
            .store
            .user_by_sub(&challenge.user_sub)
            .await?
            .filter(|u| u.enabled && u.status == UserStatus::ForceChangePassword)
            .ok_or_else(invalid_session)?;
        // USERNAME, when given, must name this user: by username or by a sign-in alias.
        if let Some(username) = &answer.username
            && pool.settings.sign_in_names.key(username) != user.username_key
            && self
                .user_by_sign_in_name(&pool, username)
                .await?
                .is_none_or(|named| named.sub != user.sub)
        {
            return Err(invalid_session());
        }
        pool.settings
            .password_policy
            .check(answer.new_password.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        // The challenge may fill in what is missing, never overwrite what an administrator
        // set; a forged answer is refused here, before hashing, and leaves the session usable.
        // It completes the user's creation, so immutable attributes may still be filled and
        // the schema's required ones must be there after it.
        let writer = Writer::NewPasswordChallenge(&client.settings);
        let schema = pool.settings.schema();
        apply_write(
            writer,
            &schema,
            Moment::Creation,
            &user.attributes,
            &attributes,
        )?;

        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &user.sub,
                    username_key: &user.username_key,
                },
                &answer.new_password,
            )
            .await?;
        // The PostAuthentication function may still refuse: before the session is spent.
        self.post_authentication(&pool, &client, &user, &answer.client_metadata)
            .await?;
        let event = super::issue::TokenEvent {
            pool: &pool.id,
            triggers: &pool.settings.lambda_config,
            source: crate::triggers::pre_token_generation::TokenSource::NewPasswordChallenge,
            client_metadata: &answer.client_metadata,
        };
        // Only now is the session spent; of two concurrent answers exactly one gets here.
        self.store
            .take_challenge(&session_hash, now)
            .await?
            .ok_or_else(invalid_session)?;

        // Decided again on the stored attributes each round, and written only if they are
        // still those: an administrator's change made meanwhile is never undone.
        let mut current = user.clone();
        for _ in 0..MAX_ROUNDS {
            let mut updated = current.clone();
            updated.attributes = apply_write(
                writer,
                &schema,
                Moment::Creation,
                &current.attributes,
                &attributes,
            )?;
            updated.status = UserStatus::Confirmed;
            let prepared = self.prepare_session(&event, &client, &updated, now).await?;
            if self
                .store
                .complete_new_password(
                    &hash,
                    &current.attributes,
                    &updated.attributes,
                    &prepared.row,
                    now,
                )
                .await?
            {
                super::audit::AuditEvent::for_user("sign_in", &pool.id, &user)
                    .with_reason("new_password_set")
                    .emit();
                return Ok(prepared.tokens);
            }
            current = self
                .store
                .user_by_sub(&user.sub)
                .await?
                .ok_or_else(invalid_session)?;
        }
        Err(AuthError::TooManyRequests)
    }
}
