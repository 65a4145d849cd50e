//! Checking an access token wherever Gatehouse accepts one (`/GlobalSignOut`,
//! `/ChangePassword`, `/oauth2/userInfo`): signature under a published access key of the
//! issuing pool with RS256 pinned, the pool's exact issuer, `token_use: access`, a client
//! of that pool, the admin scope, `exp` and `nbf` with 30 s of leeway, a live session, and a
//! user who has not been signed out since.

use crate::crypto::jwt;
use crate::domain::app_client::AppClient;
use crate::domain::claims::{ADMIN_SCOPE, AccessTokenClaims, TokenUse};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, SessionId, Sub};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::User;
use crate::store::{KeyPurpose, SessionRecord};

use super::{AuthError, NotAuthorized, Services};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 30;

/// A verified caller.
#[derive(Debug)]
pub struct AccessContext {
    pub pool: UserPool,
    /// The client the token was issued to: its attribute permissions apply to the caller.
    pub client: AppClient,
    pub user: User,
    pub session: SessionRecord,
    pub claims: AccessTokenClaims,
}

fn invalid(reason: impl std::fmt::Display) -> AuthError {
    tracing::debug!(%reason, "access token refused");
    AuthError::NotAuthorized(NotAuthorized::InvalidAccessToken)
}

fn revoked(reason: &str) -> AuthError {
    tracing::debug!(reason, "access token refused");
    AuthError::NotAuthorized(NotAuthorized::AccessTokenRevoked)
}

/// The checks on a verified token's own claims, which need no database: `token_use`, `exp`
/// and `nbf` with leeway, and the admin scope. Arithmetic saturates, because the claims are
/// whatever a holder of our key signed, and `i64::MAX` must not overflow.
pub(crate) fn check_claims(claims: &AccessTokenClaims, now: UnixSeconds) -> Result<(), AuthError> {
    check_times(claims, now)?;
    if !has_scope(claims, ADMIN_SCOPE) {
        return Err(invalid("missing the aws.cognito.signin.user.admin scope"));
    }
    Ok(())
}

fn has_scope(claims: &AccessTokenClaims, scope: &str) -> bool {
    claims.scope.split(' ').any(|s| s == scope)
}

/// `token_use`, `exp` and `nbf`: every check but the scope.
fn check_times(claims: &AccessTokenClaims, now: UnixSeconds) -> Result<(), AuthError> {
    if claims.token_use != TokenUse::Access {
        return Err(invalid("not an access token"));
    }
    if now > claims.exp.saturating_add(LEEWAY_SECONDS) {
        return Err(invalid("expired"));
    }
    if claims
        .nbf
        .is_some_and(|nbf| now.saturating_add(LEEWAY_SECONDS) < nbf)
    {
        return Err(invalid("not yet valid"));
    }
    Ok(())
}

/// Which scope a use of an access token needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// The user's own API calls: `aws.cognito.signin.user.admin`.
    Admin,
    /// userInfo: `openid` or `aws.cognito.signin.user.admin`.
    UserInfo,
}

impl Services {
    pub async fn authenticate_access_token(
        &self,
        token: &SecretString,
    ) -> Result<AccessContext, AuthError> {
        self.authenticate_access(token, Needs::Admin).await
    }

    /// An access token presented to userInfo, which takes `openid` as well as the admin
    /// scope; what it then shows depends on the scopes (docs/oauth2.md, "userInfo"). A
    /// deleted user's token is simply no longer valid there, as a bearer token.
    pub async fn authenticate_user_info_token(
        &self,
        token: &SecretString,
    ) -> Result<AccessContext, AuthError> {
        match self.authenticate_access(token, Needs::UserInfo).await {
            Err(AuthError::UserNotFound) => Err(revoked("user no longer exists")),
            other => other,
        }
    }

    async fn authenticate_access(
        &self,
        token: &SecretString,
        needs: Needs,
    ) -> Result<AccessContext, AuthError> {
        let token = token.expose_secret();
        let header = jwt::inspect_header(token).map_err(invalid)?;
        let issuer = jwt::unverified_issuer(token).map_err(invalid)?;
        let pool_id = self
            .issuer
            .pool_of(&issuer)
            .ok_or_else(|| invalid("issuer is not one of ours"))?;
        let key = self
            .keys
            .verification_key(&pool_id, KeyPurpose::Access, &header.kid)
            .await?
            .ok_or_else(|| invalid("kid is not a published access key of the issuing pool"))?;
        let claims: AccessTokenClaims = jwt::verify(token, &key, &issuer).map_err(invalid)?;

        let now = self.clock.now();
        match needs {
            Needs::Admin => check_claims(&claims, now)?,
            Needs::UserInfo => {
                check_times(&claims, now)?;
                if !has_scope(&claims, ADMIN_SCOPE) && !has_scope(&claims, "openid") {
                    return Err(invalid("missing the openid scope"));
                }
            }
        }
        let pool = self
            .store
            .pool_by_id(&pool_id)
            .await?
            .ok_or_else(|| invalid("pool no longer exists"))?;
        let client = match ClientId::parse(&claims.client_id) {
            Ok(id) => self.store.client_by_id(&id).await?,
            Err(_) => None,
        };
        let client = client
            .filter(|c| c.pool_id == pool.id)
            .ok_or_else(|| invalid("client is not of the issuing pool"))?;
        // A signed `origin_jti` that names no session the way we write them names none.
        let session = match SessionId::parse(&claims.origin_jti) {
            Ok(id) => self.store.session(&id).await?,
            Err(_) => None,
        };
        let Some(session) = session else {
            // A deleted user's sessions go with it. Cognito names that cause to the holder of
            // a token signed for them (docs/cognito-compatibility.md, "Errors by operation").
            return Err(self.missing_session(&claims).await?);
        };
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(revoked("session revoked or expired"));
        }
        if session.pool_id != pool.id || session.user_sub.to_string() != claims.sub {
            return Err(invalid("session belongs to someone else"));
        }
        let user = self
            .store
            .user_by_sub(&session.user_sub)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        if !user.enabled || claims.iat < user.tokens_valid_after {
            return Err(revoked("user disabled or signed out since"));
        }
        Ok(AccessContext {
            pool,
            client,
            user,
            session,
            claims,
        })
    }
}

impl Services {
    /// Why a verified token names no session: its user was deleted (`UserNotFoundException`),
    /// or the session was (revoked).
    async fn missing_session(&self, claims: &AccessTokenClaims) -> Result<AuthError, AuthError> {
        let user = match Sub::parse(&claims.sub) {
            Ok(sub) => self.store.user_by_sub(&sub).await?,
            Err(_) => None,
        };
        Ok(match user {
            None => AuthError::UserNotFound,
            Some(_) => revoked("session no longer exists"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: UnixSeconds, nbf: Option<UnixSeconds>) -> AccessTokenClaims {
        AccessTokenClaims {
            sub: "sub".into(),
            client_id: "client".into(),
            iss: "https://issuer/pool".into(),
            token_use: TokenUse::Access,
            scope: ADMIN_SCOPE.into(),
            auth_time: 0,
            iat: 0,
            exp,
            jti: "jti".into(),
            origin_jti: "origin".into(),
            event_id: "event".into(),
            username: "alice".into(),
            cognito_groups: None,
            nbf,
        }
    }

    fn refused(result: Result<(), AuthError>) -> bool {
        matches!(
            result,
            Err(AuthError::NotAuthorized(NotAuthorized::InvalidAccessToken))
        )
    }

    #[test]
    fn leeway_applies_to_exp_and_nbf() {
        assert!(check_claims(&claims(100, None), 130).is_ok());
        assert!(refused(check_claims(&claims(100, None), 131)));
        assert!(check_claims(&claims(1_000, Some(130)), 100).is_ok());
        assert!(refused(check_claims(&claims(1_000, Some(131)), 100)));
    }

    /// Seen while writing the `jwt_verify` fuzz target: `exp + leeway` overflowed (a panic in debug
    /// and fuzz builds) for an `exp` near `i64::MAX`; limits now saturate instead.
    #[test]
    fn extreme_times_do_not_overflow() {
        assert!(check_claims(&claims(i64::MAX, None), i64::MAX).is_ok());
        assert!(check_claims(&claims(i64::MAX, Some(i64::MAX)), i64::MAX).is_ok());
        assert!(refused(check_claims(&claims(i64::MIN, None), 0)));
        assert!(refused(check_claims(
            &claims(i64::MAX, Some(i64::MAX)),
            i64::MIN
        )));
    }

    #[test]
    fn id_tokens_and_missing_scope_are_refused() {
        let mut id = claims(i64::MAX, None);
        id.token_use = TokenUse::Id;
        assert!(refused(check_claims(&id, 0)));
        let mut narrow = claims(i64::MAX, None);
        narrow.scope = "openid email".into();
        assert!(refused(check_claims(&narrow, 0)));
    }
}
