//! `ChangePassword`: a signed-in user proves the current password and chooses a new one.
//! The caller's session continues; every other session of the user is revoked.

use crate::crypto::password::Verification;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::UserStatus;
use crate::store::{Reservation, Revocation};

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::password_credential::CredentialOwner;
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
        let key = &caller.user.username_key;
        // A stolen access token must not become an unlimited password oracle: the previous
        // password is subject to the same lockout as sign-in.
        // The attempt is counted before the verification, in the statement that checks the
        // lock, so concurrent guesses get no more verifications than sign-in would give them.
        let lockout = &caller.pool.settings.lockout;
        let admission = self.hasher.admit().await?;
        let reserved = match self
            .store
            .reserve_attempt(&scope, key, lockout, now)
            .await?
        {
            Reservation::Granted(record) => record,
            Reservation::Locked => {
                return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
            }
        };
        let verification = self
            .hasher
            .verify_admitted(admission, previous, caller.user.password.as_ref())
            .await?;
        if verification == Verification::Mismatch {
            let pool = caller.pool.id.as_str();
            AuditEvent::new("password_change", pool, Outcome::Failure)
                .with_user(&caller.user)
                .with_reason("incorrect_credentials")
                .emit();
            if reserved.locked_until.is_some_and(|until| until > now) {
                AuditEvent::new("lockout_started", pool, Outcome::Success)
                    .with_user(&caller.user)
                    .with_failures(reserved.count)
                    .emit();
            }
            return Err(AuthError::NotAuthorized(
                NotAuthorized::IncorrectCredentials,
            ));
        }
        // The previous password was right: the reservation is given back.
        self.store.clear_failures(&scope, key).await?;
        caller
            .pool
            .settings
            .password_policy
            .check(proposed.expose_secret())
            .map_err(|violation| AuthError::InvalidPassword(violation.0))?;
        let hash = self
            .new_password_credential(
                CredentialOwner {
                    pool_id: &caller.pool.id,
                    sub: &caller.user.sub,
                    username_key: &caller.user.username_key,
                },
                proposed,
            )
            .await?;
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
        AuditEvent::for_user("password_change", &caller.pool.id, &caller.user)
            .with_reason("other_sessions_revoked")
            .emit();
        Ok(())
    }
}
