//! The authorization-code grant's front half and its exchange (docs/oauth2.md, "Authorization endpoint, hosted pages and logout"):
//! checking `/oauth2/authorize` requests, the browser's hosted sign-in session, issuing
//! codes, and spending a code at the token endpoint.
//!
//! A code is 256 random bits, stored only as its SHA-256, bound to the client, user,
//! redirect_uri, scopes, nonce and PKCE challenge, and lives five minutes. It is spent by one
//! conditional statement that also names the refresh-token session its exchange starts; a
//! second presentation revokes that session (RFC 9700 2.1.1), including when it arrives
//! while the first exchange is still under way.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::crypto::opaque::{OpaqueToken, hash_secret_token};
use crate::domain::app_client::AppClient;
use crate::domain::authorization_request::{
    self, AuthorizationRefusal, AuthorizationRequest, RawParameters,
};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, SessionId, UserPoolId};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::{User, UserStatus};
use crate::store::{AuthorizationCodeRecord, CodeRedemption, HostedSessionRecord};

use super::audit::{AuditEvent, Outcome};
use super::issue::{Grant, IssuedTokens};
use super::{AuthError, Services};

/// How long a code may wait for its exchange (Cognito: five minutes).
pub const CODE_LIFETIME_SECONDS: i64 = 300;
/// The longest a hosted sign-in lets a browser skip the form (Cognito: one hour). It ends
/// sooner if the sign-in's session is revoked or expires.
pub const HOSTED_SESSION_SECONDS: i64 = 3600;

/// A code presented at the token endpoint by a client already authenticated there (or a
/// public one, which has nothing to authenticate with).
pub struct CodeExchange {
    pub client: AppClient,
    pub code: SecretString,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<SecretString>,
}

/// Why an exchange is refused, in RFC 6749's terms (the token endpoint spells them).
#[derive(Debug)]
pub enum CodeExchangeError {
    /// `invalid_grant`: the code is unknown, expired, spent, of another client, or its
    /// redirect_uri or PKCE verifier does not match.
    InvalidGrant(&'static str),
    /// `invalid_request`: a parameter is missing or malformed.
    InvalidRequest(&'static str),
    /// Anything else (store unavailable, internal).
    Auth(AuthError),
}

impl From<AuthError> for CodeExchangeError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl From<crate::store::StoreError> for CodeExchangeError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Auth(error.into())
    }
}

/// A browser's signed-in user, as its hosted-session cookie proves.
#[derive(Debug)]
pub struct HostedUser {
    pub user: User,
    pub auth_time: UnixSeconds,
}

impl Services {
    /// The app client with this id, if any (the hosted pages look up the client they serve).
    pub async fn app_client(&self, id: &ClientId) -> Result<Option<AppClient>, AuthError> {
        Ok(self.store.client_by_id(id).await?)
    }

    /// Checks an authorization request: the client it names (under a pool's path, a client of
    /// that pool) and everything Cognito checks before showing the sign-in page.
    pub async fn check_authorization_request(
        &self,
        parameters: &RawParameters,
        path_pool: Option<&UserPoolId>,
    ) -> Result<AuthorizationRequest, AuthorizationRefusal> {
        let client = match parameters
            .get("client_id")
            .and_then(|id| ClientId::parse(id).ok())
        {
            Some(id) => self.store.client_by_id(&id).await.map_err(|error| {
                tracing::warn!(error = %crate::domain::error_chain::ErrorChain(&error), "client look-up failed");
                AuthorizationRefusal::Page("The service is unavailable; try again.".into())
            })?,
            None => None,
        };
        authorization_request::check(parameters, client.as_ref(), path_pool)
    }

    /// Starts the browser's hosted session from the tokens of a sign-in it just completed
    /// through one of the sign-in use cases. Returns the cookie's value.
    pub async fn start_hosted_session(
        &self,
        tokens: &IssuedTokens,
    ) -> Result<(SecretString, HostedUser), AuthError> {
        let context = self.authenticate_access_token(&tokens.access_token).await?;
        let now = self.clock.now();
        let cookie = OpaqueToken::generate().map_err(AuthError::internal)?;
        let record = HostedSessionRecord {
            id_hash: cookie.hash,
            pool_id: context.pool.id.clone(),
            user_sub: context.user.sub,
            session_id: context.session.id,
            auth_time: context.session.auth_time,
            expires_at: (now + HOSTED_SESSION_SECONDS).min(context.session.expires_at),
        };
        self.store.create_hosted_session(&record, now).await?;
        Ok((
            cookie.value,
            HostedUser {
                user: context.user,
                auth_time: context.session.auth_time,
            },
        ))
    }

    /// The user a hosted-session cookie signs in to `pool`, if it is live: its sign-in session
    /// not revoked or expired, the user enabled, confirmed and not signed out since.
    pub async fn hosted_user(
        &self,
        cookie: &SecretString,
        pool: &UserPoolId,
    ) -> Result<Option<HostedUser>, AuthError> {
        let now = self.clock.now();
        let Some(hosted) = self
            .store
            .hosted_session(&hash_secret_token(cookie), now)
            .await?
        else {
            return Ok(None);
        };
        if hosted.pool_id != *pool {
            return Ok(None);
        }
        let live = self
            .store
            .session(&hosted.session_id)
            .await?
            .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now);
        if !live {
            return Ok(None);
        }
        let user = self.store.user_by_sub(&hosted.user_sub).await?;
        Ok(user
            .filter(|u| {
                u.enabled
                    && u.status == UserStatus::Confirmed
                    && hosted.auth_time >= u.tokens_valid_after
            })
            .map(|user| HostedUser {
                user,
                auth_time: hosted.auth_time,
            }))
    }

    /// Ends the browser's hosted session and revokes the sign-in session under it (`/logout`).
    pub async fn end_hosted_session(&self, cookie: &SecretString) -> Result<(), AuthError> {
        let now = self.clock.now();
        if let Some(hosted) = self
            .store
            .end_hosted_session(&hash_secret_token(cookie))
            .await?
        {
            self.store.revoke_session(&hosted.session_id, now).await?;
            AuditEvent::new("hosted_sign_out", hosted.pool_id.as_str(), Outcome::Success).emit();
        }
        Ok(())
    }

    /// Issues a code for `request` to the signed-in `user`; returns the URL the browser is
    /// sent to (the redirect_uri with `code` and `state`).
    pub async fn issue_authorization_code(
        &self,
        request: &AuthorizationRequest,
        signed_in: &HostedUser,
    ) -> Result<String, AuthError> {
        let now = self.clock.now();
        let code = OpaqueToken::generate().map_err(AuthError::internal)?;
        self.store
            .create_authorization_code(
                &AuthorizationCodeRecord {
                    code_hash: code.hash,
                    pool_id: request.pool_id.clone(),
                    client_id: request.client_id.clone(),
                    user_sub: signed_in.user.sub,
                    redirect_uri: request.redirect_uri.clone(),
                    scopes: request.scope.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time: signed_in.auth_time,
                    expires_at: now + CODE_LIFETIME_SECONDS,
                },
                now,
            )
            .await?;
        let mut extra = vec![("code", code.value.expose_secret())];
        if let Some(state) = &request.state {
            extra.push(("state", state.as_str()));
        }
        Ok(authorization_request::redirect_with(
            &request.redirect_uri,
            &extra,
        ))
    }

    /// `grant_type=authorization_code`: spends the code and starts the session it grants.
    pub async fn exchange_authorization_code(
        &self,
        exchange: CodeExchange,
    ) -> Result<IssuedTokens, CodeExchangeError> {
        let now = self.clock.now();
        let code_hash = hash_secret_token(&exchange.code);
        let session = SessionId::generate();
        let code = match self
            .store
            .redeem_authorization_code(&code_hash, &session, now)
            .await?
        {
            CodeRedemption::Spent(code) => code,
            CodeRedemption::Replayed { session } => {
                // The code leaked: whatever it issued is no longer trusted (RFC 9700).
                if let Some(session) = session {
                    self.store.revoke_session(&session, now).await?;
                }
                AuditEvent::new(
                    "authorization_code_replayed",
                    exchange.client.pool_id.as_str(),
                    Outcome::Failure,
                )
                .emit();
                return Err(CodeExchangeError::InvalidGrant(
                    "authorization code already used",
                ));
            }
            CodeRedemption::Unknown => {
                return Err(CodeExchangeError::InvalidGrant(
                    "authorization code unknown or expired",
                ));
            }
        };
        // Checked after spending: a wrong verifier or redirect_uri burns the code, so neither
        // can be guessed at.
        if code.client_id != exchange.client.id {
            return Err(CodeExchangeError::InvalidGrant(
                "authorization code was issued to another client",
            ));
        }
        if exchange.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
            return Err(CodeExchangeError::InvalidGrant(
                "redirect_uri does not match the authorization request",
            ));
        }
        if let Some(challenge) = &code.code_challenge {
            let verifier = exchange
                .code_verifier
                .as_ref()
                .ok_or(CodeExchangeError::InvalidGrant("code_verifier is missing"))?;
            if !pkce_matches(verifier.expose_secret(), challenge) {
                return Err(CodeExchangeError::InvalidGrant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        let user = self
            .store
            .user_by_sub(&code.user_sub)
            .await?
            .filter(|u| u.enabled && u.status == UserStatus::Confirmed)
            .ok_or(CodeExchangeError::InvalidGrant("user is not active"))?;
        let grant = Grant {
            session,
            scope: code.scopes.clone(),
            nonce: code.nonce.clone(),
            auth_time: code.auth_time,
        };
        let pool = self
            .store
            .pool_by_id(&code.pool_id)
            .await?
            .ok_or(CodeExchangeError::InvalidGrant("user is not active"))?;
        let no_metadata = std::collections::BTreeMap::new();
        let event = super::issue::TokenEvent {
            pool: &pool.id,
            triggers: &pool.settings.lambda_config,
            source: crate::triggers::pre_token_generation::TokenSource::HostedAuth,
            client_metadata: &no_metadata,
        };
        let prepared = self
            .prepare_granted_session(&event, &exchange.client, &user, &grant, now)
            .await?;
        self.store
            .start_session(&prepared.row, code.pool_id.as_str(), &user.username_key)
            .await?;
        // A replay that came while the session was being written found nothing to revoke
        // yet; it left its mark on the code instead.
        if self.store.authorization_code_replayed(&code_hash).await? {
            self.store.revoke_session(&session, now).await?;
        }
        AuditEvent::for_user("sign_in", &code.pool_id, &user)
            .with_reason("authorization_code")
            .emit();
        Ok(prepared.tokens)
    }
}

/// RFC 7636 4.6 with `S256`: BASE64URL(SHA256(verifier)) equals the challenge, compared in
/// constant time.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    if !authorization_request::is_code_verifier(verifier) {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches("short", challenge));
    }
}
