//! Refreshing with rotation: the presented refresh token is consumed and a successor issued
//! with new ID and access tokens (`auth_time` and `origin_jti` kept from the sign-in).
//!
//! A consumed token presented again is reuse, decided by order rather than by the clock's
//! second: the whole session is revoked, so the newest token dies too. Two exceptions:
//!
//! - A concurrent retry is refused quietly (nothing revoked): a request that found the token
//!   live and lost the race to consume it, or one that arrived less than
//!   [`REUSE_RACE_WINDOW_MS`] after the consumption (requests in flight while the winner
//!   committed). A token whose successor was itself exchanged before the request arrived is
//!   never a concurrent retry.
//! - Inside the client's grace window the immediate predecessor may be exchanged once more,
//!   for clients that lost a response; once per session per window, so two holders of one
//!   family cannot take turns re-exchanging each other's predecessors.

use crate::crypto::opaque::{OpaqueToken, hash_secret_token};
use crate::domain::app_client::{AppClient, REFRESH_TOKEN_AUTH, RefreshOperation};
use crate::domain::clock::{UnixMillis, seconds_of};
use crate::domain::ids::{ClientId, TokenHash, UserPoolId};
use crate::domain::secret::SecretString;
use crate::domain::telemetry::RefreshResult;
use crate::domain::user::User;
use crate::store::{RefreshContext, RefreshTokenRecord, Rotation, SessionRecord};

use super::audit::{AuditEvent, Outcome};
use super::issue::IssuedTokens;
use super::oauth_client::AuthenticatedClient;
use super::{AuthError, NotAuthorized, Services};

/// How long after a token's consumption a duplicate still counts as a concurrent retry
/// rather than reuse: requests sent before the first answer reached the client, delayed on
/// the way in. A duplicate inside it is refused without being granted anything.
pub const REUSE_RACE_WINDOW_MS: i64 = 500;

fn invalid() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidRefreshToken)
}

/// Which refresh: the login API's and GetTokensFromRefreshToken's (a new refresh token each
/// time), or Cognito's REFRESH_TOKEN_AUTH (new ID and access tokens only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshMode {
    Rotate,
    KeepRefreshToken,
}

/// Who presents the token: the login API may name the pool; the Cognito API names the app
/// client the token was issued to, through one of its refresh operations.
#[derive(Debug, Clone, Copy)]
enum RefreshBinding<'a> {
    /// The login API, naming the pool by its `TenantName` or not at all.
    LoginApi(Option<&'a str>),
    Client {
        client: &'a AppClient,
        refresh: CognitoRefresh<'a>,
    },
}

/// A refresh through the Cognito API, with the proof of the client secret its operation
/// carries (for clients that have one).
#[derive(Debug, Clone, Copy)]
pub enum CognitoRefresh<'a> {
    /// `GetTokensFromRefreshToken`: the `ClientSecret` itself; a new refresh token when the
    /// client rotates them.
    GetTokens {
        client_secret: Option<&'a SecretString>,
    },
    /// `REFRESH_TOKEN_AUTH`: a `SECRET_HASH` over the token owner's username; new ID and
    /// access tokens only.
    RefreshTokenAuth {
        secret_hash: Option<&'a SecretString>,
    },
}

impl Services {
    pub async fn refresh(
        &self,
        presented: &SecretString,
        login_name: Option<&str>,
    ) -> Result<IssuedTokens, AuthError> {
        let presented_hash = hash_secret_token(presented);
        let context = self.store.refresh_context(&presented_hash).await;
        self.refresh_tokens(
            &presented_hash,
            context,
            RefreshBinding::LoginApi(login_name),
            RefreshMode::Rotate,
        )
        .await
    }

    /// A refresh through the Cognito API for the client the request names (`client_id`; in
    /// `admin_pool` when the request came through `AdminInitiateAuth`). The client's own
    /// rules come first (the flow, then the secret where the operation carries it), so they
    /// answer the same whatever the token; then the token must be one issued to this client,
    /// or it is refused exactly like an unknown one, before any `SECRET_HASH` is looked at.
    ///
    /// The token is read first all the same, with its client: for a token of the client
    /// named, that one read is the whole of the refresh's reading. The client is read on its
    /// own only when the token is unknown or another client's.
    pub async fn refresh_for_client(
        &self,
        presented: &SecretString,
        client_id: &ClientId,
        admin_pool: Option<&UserPoolId>,
        refresh: CognitoRefresh<'_>,
    ) -> Result<IssuedTokens, AuthError> {
        let presented_hash = hash_secret_token(presented);
        let context = self.store.refresh_context(&presented_hash).await?;
        let client = match &context {
            Some(found) if found.client.id == *client_id => Some(found.client.clone()),
            _ => self.store.client_by_id(client_id).await?,
        };
        let client = client
            .filter(|c| admin_pool.is_none_or(|pool| *pool == c.pool_id))
            .ok_or_else(|| {
                AuthError::ResourceNotFound(format!("User pool client {client_id} does not exist."))
            })?;
        let client = &client;
        let (operation, flow_name) = match refresh {
            CognitoRefresh::GetTokens { .. } => (
                RefreshOperation::GetTokensFromRefreshToken,
                "GetTokensFromRefreshToken",
            ),
            CognitoRefresh::RefreshTokenAuth { .. } => {
                (RefreshOperation::RefreshTokenAuth, "REFRESH_TOKEN_AUTH")
            }
        };
        if !client.allows_refresh(operation) {
            return Err(AuthError::InvalidParameter(format!(
                "{flow_name} flow not enabled for this client"
            )));
        }
        let mode = match refresh {
            CognitoRefresh::GetTokens { client_secret } => {
                self.check_client_secret(client, client_secret)?;
                if client.settings.refresh_token_rotation {
                    RefreshMode::Rotate
                } else {
                    RefreshMode::KeepRefreshToken
                }
            }
            CognitoRefresh::RefreshTokenAuth { secret_hash } => {
                self.check_secret_hash_present(client, secret_hash)?;
                RefreshMode::KeepRefreshToken
            }
        };
        self.refresh_tokens(
            &presented_hash,
            Ok(context),
            RefreshBinding::Client { client, refresh },
            mode,
        )
        .await
    }

    /// The `refresh_token` grant of `/oauth2/token`, for a client that authenticated there
    /// (its secret already proven). Rotation as for `GetTokensFromRefreshToken`: a new refresh
    /// token only when the client rotates them; a token issued to another client is refused
    /// like an unknown one.
    pub async fn refresh_for_oauth_client(
        &self,
        presented: &SecretString,
        client: &AuthenticatedClient,
    ) -> Result<IssuedTokens, AuthError> {
        let client = client.client();
        if !client.allows_refresh(RefreshOperation::GetTokensFromRefreshToken) {
            return Err(AuthError::UnsupportedOperation(format!(
                "The refresh_token grant is not enabled for client {}",
                client.id
            )));
        }
        let mode = if client.settings.refresh_token_rotation {
            RefreshMode::Rotate
        } else {
            RefreshMode::KeepRefreshToken
        };
        let presented_hash = hash_secret_token(presented);
        let context = self.store.refresh_context(&presented_hash).await;
        self.refresh_tokens(
            &presented_hash,
            context,
            RefreshBinding::Client {
                client,
                refresh: CognitoRefresh::GetTokens {
                    client_secret: None,
                },
            },
            mode,
        )
        .await
    }

    async fn refresh_tokens(
        &self,
        presented_hash: &TokenHash,
        context: Result<Option<RefreshContext>, crate::store::StoreError>,
        binding: RefreshBinding<'_>,
        mode: RefreshMode,
    ) -> Result<IssuedTokens, AuthError> {
        let result = match context {
            Ok(context) => self.exchange(presented_hash, context, binding, mode).await,
            Err(error) => Err(error.into()),
        };
        self.telemetry.refresh(match &result {
            Ok(_) => RefreshResult::Refreshed,
            Err(error) => error.metric().into(),
        });
        result
    }

    /// The exchange itself, on what [`crate::store::SessionStore::refresh_context`] read
    /// with the presented token (None: no such token, or its session, user, client or pool
    /// is gone).
    async fn exchange(
        &self,
        presented_hash: &TokenHash,
        context: Option<RefreshContext>,
        binding: RefreshBinding<'_>,
        mode: RefreshMode,
    ) -> Result<IssuedTokens, AuthError> {
        let arrived_ms = self.clock.now_millis();
        let now = seconds_of(arrived_ms);
        let RefreshContext {
            token,
            session,
            pool_login_name,
            pool_triggers,
            user,
            client,
            groups,
        } = context.ok_or_else(invalid)?;
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(invalid());
        }
        // Everything that can refuse without consuming the token comes first.
        let via_login_api = matches!(binding, RefreshBinding::LoginApi(_));
        let bound = match binding {
            RefreshBinding::LoginApi(name) => {
                name.is_none_or(|name| pool_login_name.as_deref() == Some(name))
            }
            RefreshBinding::Client { client, .. } => client.id == session.client_id,
        };
        if !bound || !user.enabled {
            return Err(invalid());
        }
        // The login API names no client and carries no secret: a token another client was
        // issued is refused, exactly like an unknown one, unless the Cognito API would let
        // anyone without the secret refresh it.
        if via_login_api && !client.serves_login_api(REFRESH_TOKEN_AUTH) {
            return Err(invalid());
        }
        // REFRESH_TOKEN_AUTH's SECRET_HASH is over the owner's name, so it is checked only
        // now that the token is known to be this client's.
        if let RefreshBinding::Client {
            refresh: CognitoRefresh::RefreshTokenAuth { secret_hash },
            ..
        } = binding
        {
            self.check_refresh_secret_hash(&client, &user, secret_hash)?;
        }

        // The pool's PreTokenGeneration function sees every refresh.
        let no_metadata = std::collections::BTreeMap::new();
        let event = super::issue::TokenEvent {
            pool: &user.pool_id,
            triggers: &pool_triggers,
            source: crate::triggers::pre_token_generation::TokenSource::RefreshTokens,
            client_metadata: &no_metadata,
        };
        if mode == RefreshMode::KeepRefreshToken && token.consumed_at.is_none() {
            let (id_token, access_token) = self
                .mint(&event, &client, &user, groups, &session, now)
                .await?;
            return Ok(IssuedTokens {
                id_token,
                access_token,
                refresh_token: None,
                expires_in: client.validity.access_token_seconds,
            });
        }
        let successor = OpaqueToken::generate().map_err(AuthError::internal)?;
        // Signed before the exchange commits, with every database read it needs done: once a
        // rotation or re-exchange has committed, nothing but the reply stands between it and
        // the client, so a database failing at that moment cannot consume the token and leave
        // the client without its successor. Tokens of a request that loses never leave here.
        let (id_token, access_token) = self
            .mint(&event, &client, &user, groups, &session, now)
            .await?;
        let refreshed = IssuedTokens {
            id_token,
            access_token,
            refresh_token: Some(successor.value),
            expires_in: client.validity.access_token_seconds,
        };
        let consumed = match token.consumed_at {
            None => match self
                .store
                .rotate_refresh_token(presented_hash, &successor.hash, self.clock.now_millis())
                .await?
            {
                Rotation::Rotated => return Ok(refreshed),
                Rotation::Invalid => return Err(invalid()),
                // Found live, then consumed by another request before ours: the two were in
                // flight together. A concurrent retry, refused without revoking anything.
                Rotation::AlreadyConsumed(_) => return Err(invalid()),
            },
            Some(_) => token,
        };
        // Found consumed: possibly a client whose answer was lost, which is what the grace
        // window is for; then a duplicate still inside the race window; then a replay.
        if self
            .regrant(&consumed, &client, &successor.hash, arrived_ms)
            .await?
        {
            tracing::info!(session = %session.id, "refresh token re-exchanged inside the grace window");
            return Ok(refreshed);
        }
        if self.is_concurrent_retry(&consumed, arrived_ms).await? {
            return Err(invalid());
        }
        self.refuse_reuse(&session, &user, arrived_ms).await
    }

    /// Tries the one re-exchange the grace window allows; false when it does not apply.
    async fn regrant(
        &self,
        consumed: &RefreshTokenRecord,
        client: &AppClient,
        successor_hash: &TokenHash,
        arrived_ms: UnixMillis,
    ) -> Result<bool, AuthError> {
        let grace_ms = client.refresh_grace_seconds.saturating_mul(1000);
        let (Some(consumed_at), Some(head)) =
            (consumed.consumed_at_millis(), &consumed.replaced_by)
        else {
            return Ok(false);
        };
        if grace_ms <= 0 || arrived_ms - consumed_at > grace_ms || consumed.regranted_at.is_some() {
            return Ok(false);
        }
        Ok(self
            .store
            .regrant_refresh_token(
                &consumed.token_hash,
                head,
                successor_hash,
                grace_ms,
                self.clock.now_millis(),
            )
            .await?)
    }

    /// Whether a consumed token presented at `arrived_ms` is a retry that raced its own
    /// exchange rather than a replay.
    async fn is_concurrent_retry(
        &self,
        consumed: &RefreshTokenRecord,
        arrived_ms: UnixMillis,
    ) -> Result<bool, AuthError> {
        // Its successor exchanged before this request arrived: the holder had the answer and
        // moved on, so this is a replay however soon it comes. A re-exchange inside the grace
        // window consumed the successor itself; then the token it issued is the one to watch.
        let mut successor = consumed.replaced_by.clone();
        if consumed.regranted_at.is_some()
            && let Some(head) = successor
        {
            successor = self
                .store
                .refresh_token(&head)
                .await?
                .and_then(|h| h.replaced_by);
        }
        if let Some(successor) = successor {
            let exchanged = self
                .store
                .refresh_token(&successor)
                .await?
                .and_then(|s| s.consumed_at_millis());
            if exchanged.is_some_and(|at| at <= arrived_ms) {
                return Ok(false);
            }
        }
        let last_exchange = consumed
            .consumed_at_millis()
            .max(consumed.regranted_at_millis());
        Ok(last_exchange.is_some_and(|at| arrived_ms < at + REUSE_RACE_WINDOW_MS))
    }

    /// A consumed token that is neither a concurrent retry nor due a re-exchange: a replay,
    /// which ends the session.
    async fn refuse_reuse(
        &self,
        session: &SessionRecord,
        user: &User,
        arrived_ms: UnixMillis,
    ) -> Result<IssuedTokens, AuthError> {
        self.store
            .revoke_session(&session.id, seconds_of(arrived_ms))
            .await?;
        AuditEvent::new(
            "refresh_token_reuse",
            session.pool_id.as_str(),
            Outcome::Failure,
        )
        .with_user(user)
        .with_client(session.client_id.as_str())
        .with_reason("session_revoked")
        .emit();
        Err(AuthError::RefreshTokenReuse)
    }
}
