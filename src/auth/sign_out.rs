//! Signing out: one session by its refresh token (`/Logout`), or every session of a user by
//! an access token (`/GlobalSignOut`). Revocation is immediate for refresh tokens and for
//! access tokens presented to Gatehouse.

use crate::crypto::opaque::hash_secret_token;
use crate::domain::ids::ClientId;
use crate::domain::secret::SecretString;

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::{AuthError, Services};

impl Services {
    /// Revokes the session a refresh token belongs to. Idempotent, and silent about tokens
    /// it does not know, so it reveals nothing about them.
    pub async fn logout(&self, refresh_token: &SecretString) -> Result<(), AuthError> {
        let hash = hash_secret_token(refresh_token);
        if let Some(token) = self.store.refresh_token(&hash).await? {
            let now = self.clock.now();
            if self.store.revoke_session(&token.session_id, now).await? {
                self.audit_session_ended("sign_out", &token.session_id)
                    .await;
            }
        }
        Ok(())
    }

    /// `RevokeToken`: like [`Self::logout`], but only for a token issued to `client`; a token
    /// of another client is left alone, and the answer is the same either way.
    pub async fn revoke_refresh_token(
        &self,
        refresh_token: &SecretString,
        client: &ClientId,
    ) -> Result<(), AuthError> {
        let hash = hash_secret_token(refresh_token);
        let Some(token) = self.store.refresh_token(&hash).await? else {
            return Ok(());
        };
        let Some(session) = self.store.session(&token.session_id).await? else {
            return Ok(());
        };
        if session.client_id == *client
            && self
                .store
                .revoke_session(&session.id, self.clock.now())
                .await?
        {
            self.audit_session_ended("token_revoked", &session.id).await;
        }
        Ok(())
    }

    /// Audits a revoked session under its pool and user. Best effort: the revocation has
    /// committed, and a failed lookup only leaves the event without a username.
    async fn audit_session_ended(&self, event: &'static str, session_id: &str) {
        let session = self.store.session(session_id).await.ok().flatten();
        let user = match &session {
            Some(session) => self
                .store
                .user_by_sub(&session.user_sub)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        let pool = session.as_ref().map_or("", |s| s.pool_id.as_str());
        let mut audit = AuditEvent::new(event, pool, Outcome::Success);
        if let Some(session) = &session {
            audit = audit.with_client(session.client_id.as_str());
        }
        if let Some(user) = &user {
            audit = audit.with_user(user);
        }
        audit.emit();
    }

    /// Revokes every session of the caller and every token issued to them so far.
    pub async fn global_sign_out(&self, caller: &AccessContext) -> Result<(), AuthError> {
        self.store
            .revoke_user_sessions(&caller.user.sub, self.clock.now())
            .await?;
        AuditEvent::for_user("global_sign_out", &caller.pool.id, &caller.user).emit();
        Ok(())
    }
}
