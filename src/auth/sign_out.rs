//! Signing out: one session by its refresh token (`/Logout`), or every session of a user by
//! an access token (`/GlobalSignOut`). Revocation is immediate for refresh tokens and for
//! access tokens presented to Gatehouse.

use crate::crypto::opaque::hash_secret_token;
use crate::domain::app_client::{AppClient, REFRESH_TOKEN_AUTH};
use crate::domain::ids::SessionId;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::store::SessionRecord;

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::oauth_client::AuthenticatedClient;
use super::{AuthError, Services};

impl Services {
    /// `/Logout`: revokes the session a refresh token belongs to, under the rule
    /// `/RefreshToken` applies. The login API acts for the pool's default client and
    /// carries no secret, so a token of a client it cannot act for is left alone, like an
    /// unknown one. Idempotent, and the answer is the same whatever the token, so it reveals
    /// nothing about it.
    pub async fn logout(&self, refresh_token: &SecretString) -> Result<(), AuthError> {
        let Some(session) = self.session_of(refresh_token).await? else {
            return Ok(());
        };
        let Some(client) = self.store.client_by_id(&session.client_id).await? else {
            return Ok(());
        };
        if !client.serves_login_api(REFRESH_TOKEN_AUTH) {
            tracing::debug!(client = %client.id, "logout of another client's session ignored");
            return Ok(());
        }
        if self
            .store
            .revoke_session(&session.id, self.clock.now())
            .await?
        {
            self.audit_session_ended("sign_out", &session.id).await;
        }
        Ok(())
    }

    /// `RevokeToken`, for `client`, the one the request names. The client's own rules come
    /// first and answer the same whatever the token: its secret (for a confidential client;
    /// `UnauthorizedException`, the one refusal Cognito's model declares for the operation),
    /// then the token's kind, then `EnableTokenRevocation`. A token issued to another client
    /// is then left alone, with the answer an unknown token gets, as Cognito revokes only
    /// through the client the token was issued to.
    pub async fn revoke_refresh_token(
        &self,
        refresh_token: &SecretString,
        client: &AppClient,
        client_secret: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        self.check_client_secret(client, client_secret)
            .map_err(|refused| match refused {
                AuthError::NotAuthorized(reason) => {
                    AuthError::Unauthorized(reason.message().to_owned())
                }
                other => other,
            })?;
        self.revoke_client_token(refresh_token, client).await
    }

    /// `POST /oauth2/revoke` (RFC 7009): as `RevokeToken`, for a client that authenticated
    /// at the endpoint.
    pub async fn revoke_for_oauth_client(
        &self,
        refresh_token: &SecretString,
        client: &AuthenticatedClient,
    ) -> Result<(), AuthError> {
        self.revoke_client_token(refresh_token, client.client())
            .await
    }

    /// Revocation by a proven client: an ID or access token refused as the wrong kind (it
    /// cannot be revoked on its own: revoking its refresh token ends it); refused when the
    /// client has revocation switched off; a token of another client, or none, left alone
    /// with the same answer.
    async fn revoke_client_token(
        &self,
        refresh_token: &SecretString,
        client: &AppClient,
    ) -> Result<(), AuthError> {
        if looks_like_jwt(refresh_token.expose_secret()) {
            return Err(AuthError::UnsupportedTokenType);
        }
        if !client.allows_revocation() {
            return Err(AuthError::UnsupportedOperation(format!(
                "Token revocation is not enabled for client {}",
                client.id
            )));
        }
        let Some(session) = self.session_of(refresh_token).await? else {
            return Ok(());
        };
        if session.client_id != client.id {
            tracing::debug!(client = %client.id, "revocation of another client's token ignored");
            return Ok(());
        }
        if self
            .store
            .revoke_session(&session.id, self.clock.now())
            .await?
        {
            self.audit_session_ended("token_revoked", &session.id).await;
        }
        Ok(())
    }

    /// The session a refresh token (current or spent) belongs to, if any.
    async fn session_of(
        &self,
        refresh_token: &SecretString,
    ) -> Result<Option<SessionRecord>, AuthError> {
        let hash = hash_secret_token(refresh_token);
        let Some(token) = self.store.refresh_token(&hash).await? else {
            return Ok(None);
        };
        Ok(self.store.session(&token.session_id).await?)
    }

    /// Audits a revoked session under its pool and user. Best effort: the revocation has
    /// committed, and a failed lookup only leaves the event without a username.
    async fn audit_session_ended(&self, event: &'static str, session_id: &SessionId) {
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

/// Whether a token is a JWT (an ID or access token) rather than an opaque refresh token.
fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}
