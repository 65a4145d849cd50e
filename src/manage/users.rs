//! Creating users and changing their password, status and attributes.

use crate::auth::audit::AuditEvent;
use crate::auth::password_credential::CredentialOwner;
use crate::auth::sign_in_names::{creation_conflict, new_identity};
use crate::auth::update_attributes::check_names;
use crate::auth::{AuthError, Services};
use crate::domain::attribute_access::{Writer, apply_delete, apply_write};
use crate::domain::attributes::UserAttributes;
use crate::domain::pool::UserPool;
use crate::domain::schema::Moment;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::Revocation;

#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub password: SecretString,
    /// A temporary password: the first sign-in must choose a new one.
    pub temporary: bool,
    pub attributes: UserAttributes,
    pub enabled: bool,
}

impl Services {
    /// Creates a user as an administrator (AdminCreateUser, the CLI, seed files): any
    /// attribute the pool's schema has, the required ones included.
    pub async fn create_user(&self, pool: &UserPool, new: NewUser) -> Result<User, AuthError> {
        self.create_user_with_aliases(pool, new, false).await
    }

    /// Creates a user; with `force_alias_creation` (Cognito's `ForceAliasCreation`) the
    /// sign-in aliases their attributes give them are taken from whoever holds them, else a
    /// taken one is `AliasExistsException`.
    pub async fn create_user_with_aliases(
        &self,
        pool: &UserPool,
        new: NewUser,
        force_alias_creation: bool,
    ) -> Result<User, AuthError> {
        self.check_password_policy(pool, &new.password)?;
        let mut attributes = new.attributes;
        let identity = new_identity(pool, &new.username, &mut attributes)?;
        // Checked once the username has filled in the address it stands for, so what is
        // stored conforms to the schema.
        let attributes = apply_write(
            Writer::Administrator,
            &pool.settings.schema(),
            Moment::Creation,
            &UserAttributes::default(),
            &attributes,
        )?;
        let now = self.clock.now();
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &identity.sub,
                    username_key: &identity.key,
                },
                &new.password,
            )
            .await?;
        let (status, temporary_expiry) = self.status_for(pool, new.temporary, now);
        let user = User {
            sub: identity.sub,
            pool_id: pool.id.clone(),
            username: identity.username,
            username_key: identity.key,
            password: Some(hash),
            status,
            enabled: new.enabled,
            attributes,
            tokens_valid_after: 0,
            temporary_password_expires_at: temporary_expiry,
            created_at: now,
            updated_at: now,
        };
        if force_alias_creation && !pool.settings.sign_in_names.by_username_attribute() {
            self.force_aliases(pool, &user.sub, &user.attributes)
                .await?;
        }
        self.store
            .create_user(&user)
            .await
            .map_err(|e| creation_conflict(pool, e))?;
        AuditEvent::for_user("user_created", &pool.id, &user).emit();
        Ok(user)
    }

    /// The user an administrator names: by username, sign-in alias or `sub`.
    pub async fn find_user(&self, pool: &UserPool, username: &Username) -> Result<User, AuthError> {
        self.user_named_by_admin(pool, username)
            .await?
            .ok_or(AuthError::UserNotFound)
    }

    /// Signs a user out of every session (AdminUserGlobalSignOut).
    pub async fn sign_out_user(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        self.store
            .revoke_user_sessions(&user.sub, self.clock.now())
            .await?;
        AuditEvent::for_user("user_signed_out", &pool.id, &user).emit();
        Ok(())
    }

    /// Sets a password as an administrator. Every session of the user is revoked.
    pub async fn set_user_password(
        &self,
        pool: &UserPool,
        username: &Username,
        password: &SecretString,
        temporary: bool,
    ) -> Result<(), AuthError> {
        self.check_password_policy(pool, password)?;
        let user = self.find_user(pool, username).await?;
        let now = self.clock.now();
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &pool.id,
                    sub: &user.sub,
                    username_key: &user.username_key,
                },
                password,
            )
            .await?;
        let (status, expiry) = self.status_for(pool, temporary, now);
        self.store
            .set_password(&user.sub, &hash, status, expiry, Revocation::All, now)
            .await?;
        AuditEvent::for_user("user_password_set", &pool.id, &user)
            .with_reason(if temporary { "temporary" } else { "permanent" })
            .emit();
        Ok(())
    }

    /// Disabling revokes every session of the user at once.
    pub async fn set_user_enabled(
        &self,
        pool: &UserPool,
        username: &Username,
        enabled: bool,
    ) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        self.store
            .set_enabled(&user.sub, enabled, self.clock.now())
            .await?;
        let event = if enabled {
            "user_enabled"
        } else {
            "user_disabled"
        };
        AuditEvent::for_user(event, &pool.id, &user).emit();
        Ok(())
    }

    /// The user must reset their password before signing in again, and every session they
    /// have ends now, as AdminResetUserPassword does: a reset is asked for when the password
    /// may be known to someone else, who may be holding a session made with it.
    pub async fn require_password_reset(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        // Status first: from then on no new session can start with the old password, so
        // the revocation that follows leaves none behind.
        self.store
            .set_status(&user.sub, UserStatus::ResetRequired, self.clock.now())
            .await?;
        self.store
            .revoke_user_sessions(&user.sub, self.clock.now())
            .await?;
        AuditEvent::for_user("user_reset_required", &pool.id, &user).emit();
        Ok(())
    }

    /// AdminUpdateUserAttributes: an administrator is not limited by any client's
    /// `WriteAttributes`; a changed e-mail address or phone number is unverified again unless
    /// the same call sets its flag.
    pub async fn admin_update_attributes(
        &self,
        pool: &UserPool,
        username: &Username,
        changes: &UserAttributes,
    ) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        let schema = pool.settings.schema();
        let held = self
            .change_attributes_holding(pool, &user, changes, |current| {
                apply_write(
                    Writer::Administrator,
                    &schema,
                    Moment::Update,
                    current,
                    changes,
                )
            })
            .await?;
        AuditEvent::for_user("user_attributes_updated", &pool.id, &user).emit();
        // As Cognito does: a changed address the call did not mark verified is sent a code
        // (or, held back until verified, its new value is).
        self.send_codes_for_changed_contacts(pool, &user, changes, held)
            .await?;
        Ok(())
    }

    pub async fn admin_delete_attributes(
        &self,
        pool: &UserPool,
        username: &Username,
        names: &[String],
    ) -> Result<(), AuthError> {
        check_names(names)?;
        let user = self.find_user(pool, username).await?;
        let schema = pool.settings.schema();
        self.change_attributes(&user, |current| {
            apply_delete(Writer::Administrator, &schema, current, names)
        })
        .await?;
        AuditEvent::for_user("user_attributes_deleted", &pool.id, &user).emit();
        Ok(())
    }

    pub async fn delete_user(&self, pool: &UserPool, username: &Username) -> Result<(), AuthError> {
        let user = self.find_user(pool, username).await?;
        self.store.delete_user(&user.sub).await?;
        AuditEvent::for_user("user_deleted", &pool.id, &user).emit();
        Ok(())
    }

    fn check_password_policy(
        &self,
        pool: &UserPool,
        password: &SecretString,
    ) -> Result<(), AuthError> {
        pool.settings
            .password_policy
            .check(password.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))
    }

    fn status_for(&self, pool: &UserPool, temporary: bool, now: i64) -> (UserStatus, Option<i64>) {
        if temporary {
            (
                UserStatus::ForceChangePassword,
                Some(
                    now + pool
                        .settings
                        .password_policy
                        .temporary_password_validity_seconds(),
                ),
            )
        } else {
            (UserStatus::Confirmed, None)
        }
    }
}

impl Services {
    /// Every user of a pool (the CLI's listing).
    pub async fn list_users(&self, pool: &UserPool) -> Result<Vec<User>, AuthError> {
        Ok(self.store.list_users(&pool.id).await?)
    }
}
