//! `ChangePassword`: a signed-in user proves the current password and chooses a new one.
//! The caller's session continues; every other session of the user is revoked.

use crate::crypto::password::Verification;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::UserStatus;
use crate::store::Revocation;

use super::access::AccessContext;
use super::sign_in::failure_scope;
use super::{AuthError, NotAuthorized, Services};

impl Services {
    pub async fn change_password(
        &self,
        caller: &AccessContext,
        previous: &SecretString,
        proposed: &SecretString,
    ) -> Result<(), AuthError> {
        let now = self.clock.now();
        let scope = failure_scope(&caller.pool.name, Some(&caller.pool));
        let key = caller.user.username_key.as_str();
        // A stolen access token must not become an unlimited password oracle: the previous
        // password is subject to the same lockout as sign-in.
        let lockout = &caller.pool.settings.lockout;
        if lockout.is_locked(self.store.failures(&scope, key).await?.as_ref(), now) {
            return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
        }
        let verification = self
            .hasher
            .verify(previous, caller.user.password.as_ref())
            .await?;
        if verification == Verification::Mismatch {
            self.store.record_failure(&scope, key, lockout, now).await?;
            return Err(AuthError::NotAuthorized(
                NotAuthorized::IncorrectCredentials,
            ));
        }
        caller
            .pool
            .settings
            .password_policy
            .check(proposed.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        let hash = self.hasher.hash(proposed).await?;
        self.store
            .set_password(
                &caller.user.sub,
                &hash,
                UserStatus::Confirmed,
                None,
                Revocation::AllExcept(caller.session.id.clone()),
                now,
            )
            .await?;
        tracing::info!(pool = %caller.pool.id, sub = %caller.user.sub, "password changed; other sessions revoked");
        Ok(())
    }
}
