//! The `UserMigration` trigger as the password sign-in calls it: a name the pool does not
//! know, a pool that names a migration function, and the function vouches for the user and
//! the password they typed. The user is created with that password (an Argon2 hash and its
//! SRP verifier, as any password is stored) and the sign-in goes on as if they had existed.
//!
//! Anything else (no function, the function refuses or fails, its answer is unreadable or
//! its attributes do not fit the pool) leaves the user unknown, so the caller answers what
//! it answers for any unknown user: a migration function changes nothing an outsider can
//! tell apart (docs/triggers.md, "UserMigration").

use std::collections::BTreeMap;

use super::password_credential::CredentialOwner;
use super::sign_in_names::new_identity;
use super::{AuthError, Services};
use crate::crypto::password::Verification;
use crate::domain::app_client::AppClient;
use crate::domain::attribute_access::{Writer, apply_write};
use crate::domain::attributes::UserAttributes;
use crate::domain::pool::UserPool;
use crate::domain::schema::Moment;
use crate::domain::secret::SecretString;
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::StoreError;
use crate::triggers::Caller;
use crate::triggers::user_migration::{MigratedUser, MigrationSource, UserMigration};

impl Services {
    /// `UserMigration_Authentication`: the user the function vouched for, created with
    /// `password`, or None (the name stays unknown). A sign-in that loses the race to create
    /// the same user (parallel sign-ins of one unknown name) verifies the password against
    /// the user the winner created, so exactly one user is created.
    pub(super) async fn migrate_signing_in(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &Username,
        password: &SecretString,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<Option<User>, AuthError> {
        let Some(function) = &pool.settings.lambda_config.user_migration else {
            return Ok(None);
        };
        let answer = self
            .triggers
            .user_migration(
                function,
                UserMigration {
                    source: MigrationSource::Authentication,
                    caller: Caller {
                        pool: &pool.id,
                        client: Some(&client.id),
                        user_name: username.as_str(),
                    },
                    password: Some(password),
                    validation_data: client_metadata,
                    client_metadata,
                },
            )
            .await;
        let migrated = match answer {
            Ok(migrated) => migrated,
            Err(refused) => {
                tracing::info!(pool = %pool.id, reason = %refused, "the migration function vouched for no user");
                return Ok(None);
            }
        };
        let user = match self
            .create_migrated_user(pool, username, Some(password), migrated)
            .await?
        {
            Created::New(user) => *user,
            Created::Refused => return Ok(None),
            Created::Taken => {
                // Another sign-in created them first: this one must prove the password
                // against what that one stored.
                let key = pool.settings.sign_in_names.key(username);
                let Some(user) = self.store.user_by_sign_in_name(&pool.id, &key).await? else {
                    return Ok(None);
                };
                match self.hasher.verify(password, user.password.as_ref()).await? {
                    Verification::Match { .. } => user,
                    Verification::Mismatch => return Ok(None),
                }
            }
        };
        super::audit::AuditEvent::for_user("user_migrated", &pool.id, &user).emit();
        Ok(Some(user))
    }

    /// `UserMigration_ForgotPassword`: the user the function vouched for, created without a
    /// password and `RESET_REQUIRED` whatever the answer says (they have no password yet), or
    /// None. A lost race to create them finds the user the winner created.
    pub(super) async fn migrate_forgetting(
        &self,
        pool: &UserPool,
        client: &AppClient,
        username: &Username,
    ) -> Result<Option<User>, AuthError> {
        let Some(function) = &pool.settings.lambda_config.user_migration else {
            return Ok(None);
        };
        let no_metadata = BTreeMap::new();
        let answer = self
            .triggers
            .user_migration(
                function,
                UserMigration {
                    source: MigrationSource::ForgotPassword,
                    caller: Caller {
                        pool: &pool.id,
                        client: Some(&client.id),
                        user_name: username.as_str(),
                    },
                    password: None,
                    validation_data: &no_metadata,
                    client_metadata: &no_metadata,
                },
            )
            .await;
        let mut migrated = match answer {
            Ok(migrated) => migrated,
            Err(refused) => {
                tracing::info!(pool = %pool.id, reason = %refused, "the migration function vouched for no user");
                return Ok(None);
            }
        };
        migrated.final_status = UserStatus::ResetRequired;
        let user = match self
            .create_migrated_user(pool, username, None, migrated)
            .await?
        {
            Created::New(user) => *user,
            Created::Refused => return Ok(None),
            Created::Taken => {
                let key = pool.settings.sign_in_names.key(username);
                return Ok(self.store.user_by_sign_in_name(&pool.id, &key).await?);
            }
        };
        super::audit::AuditEvent::for_user("user_migrated", &pool.id, &user).emit();
        Ok(Some(user))
    }

    /// Creates the user the function described, under the name that was typed.
    async fn create_migrated_user(
        &self,
        pool: &UserPool,
        username: &Username,
        password: Option<&SecretString>,
        migrated: MigratedUser,
    ) -> Result<Created, AuthError> {
        let mut attributes: UserAttributes = migrated.attributes;
        // `sub` is Gatehouse's to give, and the status is the answer's, not an attribute.
        attributes.remove("sub");
        attributes.remove("cognito:user_status");
        let attributes = match apply_write(
            Writer::Administrator,
            &pool.settings.schema(),
            Moment::Creation,
            &UserAttributes::default(),
            &attributes,
        ) {
            Ok(attributes) => attributes,
            Err(refused) => {
                tracing::warn!(pool = %pool.id, reason = ?refused, "the migration function's attributes do not fit the pool");
                return Ok(Created::Refused);
            }
        };
        let mut attributes = attributes;
        let identity = match new_identity(pool, username, &mut attributes) {
            Ok(identity) => identity,
            Err(refused) => {
                tracing::warn!(pool = %pool.id, reason = %refused, "the migrated user's name does not fit the pool");
                return Ok(Created::Refused);
            }
        };
        let hash = match password {
            Some(password) => Some(
                self.new_password_credential(
                    CredentialOwner {
                        pool_id: &pool.id,
                        sub: &identity.sub,
                        username_key: &identity.key,
                    },
                    password,
                )
                .await?,
            ),
            None => None,
        };
        let now = self.clock.now();
        let user = User {
            sub: identity.sub,
            pool_id: pool.id.clone(),
            username: identity.username,
            username_key: identity.key,
            password: hash,
            status: migrated.final_status,
            enabled: true,
            attributes,
            tokens_valid_after: 0,
            temporary_password_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_user(&user).await {
            Ok(()) => Ok(Created::New(Box::new(user))),
            Err(StoreError::Conflict(_)) => Ok(Created::Taken),
            Err(error) => Err(error.into()),
        }
    }
}

enum Created {
    New(Box<User>),
    /// The name (or one of the user's aliases) is taken.
    Taken,
    /// The function's description does not fit the pool.
    Refused,
}
