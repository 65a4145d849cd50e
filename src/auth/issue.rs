//! Token issuance shared by every flow that ends in a sign-in: a new session row with its
//! first refresh token, and the ID and access tokens minted for it.

use std::collections::BTreeMap;

use crate::crypto::jwt;
use crate::crypto::opaque::OpaqueToken;
use crate::domain::app_client::AppClient;
use crate::domain::claims::{
    ADMIN_SCOPE, AccessTokenClaims, ClientAccessTokenClaims, IdTokenClaims, TokenUse,
};
use crate::domain::clock::UnixSeconds;
use crate::domain::group::{GroupClaims, MemberGroup};
use crate::domain::ids::{SessionId, UserPoolId};
use crate::domain::pool_config::LambdaConfig;
use crate::domain::secret::{SecretString, secret};
use crate::domain::user::User;
use crate::store::{KeyPurpose, NewSession, SessionRecord};
use crate::triggers::Caller;
use crate::triggers::pre_token_generation::{
    EventVersion, TokenOverrides, TokenRequest, TokenSource,
};

use super::{AuthError, Services};

/// What a successful sign-in hands the client.
pub struct IssuedTokens {
    pub id_token: SecretString,
    pub access_token: SecretString,
    /// Absent where Cognito sends none (refresh without rotation).
    pub refresh_token: Option<SecretString>,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// What a token issuance tells the pool's `PreTokenGeneration` function: the pool and its
/// `LambdaConfig`, why the tokens are made, and the operation's `ClientMetadata`.
pub(crate) struct TokenEvent<'a> {
    pub pool: &'a UserPoolId,
    pub triggers: &'a LambdaConfig,
    pub source: TokenSource,
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// A session ready to be written, and the refresh token that belongs to it.
pub struct PreparedSession {
    pub row: NewSession,
    pub tokens: IssuedTokens,
}

/// What an OAuth 2.0 grant puts into the tokens besides the sign-in itself: the session id
/// chosen in advance (the authorization code names it when it is spent), the scopes granted
/// and the request's `nonce`.
#[derive(Debug, Clone)]
pub struct Grant {
    pub session: SessionId,
    /// Space-separated, as the access token's `scope` claim carries them.
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: UnixSeconds,
}

impl Services {
    /// Mints everything for a new sign-in session. Nothing is stored yet: the caller writes
    /// `row` in its transaction and only then returns `tokens` to the client.
    pub(crate) async fn prepare_session(
        &self,
        event: &TokenEvent<'_>,
        client: &AppClient,
        user: &User,
        now: UnixSeconds,
    ) -> Result<PreparedSession, AuthError> {
        let grant = Grant {
            session: SessionId::generate(),
            scope: ADMIN_SCOPE.to_owned(),
            nonce: None,
            auth_time: now,
        };
        self.prepare_granted_session(event, client, user, &grant, now)
            .await
    }

    /// As [`Self::prepare_session`], for an OAuth 2.0 grant: the tokens carry its scopes and
    /// nonce, the session its id.
    pub(crate) async fn prepare_granted_session(
        &self,
        event: &TokenEvent<'_>,
        client: &AppClient,
        user: &User,
        grant: &Grant,
        now: UnixSeconds,
    ) -> Result<PreparedSession, AuthError> {
        let refresh = OpaqueToken::generate().map_err(AuthError::internal)?;
        let groups = self.store.groups_of_user(&user.sub).await?;
        let (id_token, access_token) = self
            .mint_granted(event, client, user, groups, grant, now)
            .await?;
        Ok(PreparedSession {
            row: NewSession {
                id: grant.session,
                pool_id: user.pool_id.clone(),
                client_id: client.id.clone(),
                user_sub: user.sub,
                auth_time: grant.auth_time,
                expires_at: now + client.validity.refresh_token_seconds,
                refresh_token_hash: refresh.hash,
                scope: (grant.scope != ADMIN_SCOPE).then(|| grant.scope.clone()),
            },
            tokens: IssuedTokens {
                id_token,
                access_token,
                refresh_token: Some(refresh.value),
                expires_in: client.validity.access_token_seconds,
            },
        })
    }

    /// Signs an ID and an access token for one issuance event of a session (a refresh);
    /// `groups` are the user's, in precedence order (the caller read them with whatever else
    /// it needed). The tokens carry the scopes the session was granted, never more.
    pub(crate) async fn mint(
        &self,
        event: &TokenEvent<'_>,
        client: &AppClient,
        user: &User,
        groups: Vec<MemberGroup>,
        session: &SessionRecord,
        now: UnixSeconds,
    ) -> Result<(SecretString, SecretString), AuthError> {
        let grant = Grant {
            session: session.id,
            scope: session.scope.as_deref().unwrap_or(ADMIN_SCOPE).to_owned(),
            nonce: None,
            auth_time: session.auth_time,
        };
        self.mint_granted(event, client, user, groups, &grant, now)
            .await
    }

    async fn mint_granted(
        &self,
        event: &TokenEvent<'_>,
        client: &AppClient,
        user: &User,
        groups: Vec<MemberGroup>,
        grant: &Grant,
        now: UnixSeconds,
    ) -> Result<(SecretString, SecretString), AuthError> {
        let session = &grant.session;
        let auth_time = grant.auth_time;
        let claims = GroupClaims::of(&groups);
        // The function is called before anything is signed: its refusal issues nothing.
        let overrides = self
            .pre_token_generation(event, client, user, &claims, &grant.scope)
            .await?;
        let groups = (!claims.groups.is_empty()).then_some(claims.groups);
        let roles = (!claims.roles.is_empty()).then_some(claims.roles);
        let issuer = self.issuer.issuer(&user.pool_id);
        let event_id = uuid::Uuid::new_v4().to_string();
        let sub = user.sub.to_string();

        let mut attributes: BTreeMap<String, serde_json::Value> =
            client.settings.readable(&user.attributes).id_token_claims();
        attributes.retain(|name, _| !RESERVED_CLAIMS.contains(&name.as_str()));
        let id_claims = IdTokenClaims {
            sub: sub.clone(),
            aud: client.id.to_string(),
            iss: issuer.clone(),
            token_use: TokenUse::Id,
            auth_time,
            iat: now,
            exp: now + client.validity.id_token_seconds,
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: session.to_string(),
            event_id: event_id.clone(),
            cognito_username: user.username.clone(),
            cognito_groups: groups.clone(),
            cognito_roles: roles,
            cognito_preferred_role: claims.preferred_role,
            nonce: grant.nonce.clone(),
            attributes,
        };
        let access_claims = AccessTokenClaims {
            sub,
            client_id: client.id.to_string(),
            iss: issuer,
            token_use: TokenUse::Access,
            scope: grant.scope.clone(),
            auth_time,
            iat: now,
            exp: now + client.validity.access_token_seconds,
            jti: uuid::Uuid::new_v4().to_string(),
            origin_jti: session.to_string(),
            event_id,
            username: user.username.clone(),
            cognito_groups: groups,
            nbf: None,
        };

        let (id_kid, id_key) = self.keys.signing_key(&user.pool_id, KeyPurpose::Id).await?;
        let (access_kid, access_key) = self
            .keys
            .signing_key(&user.pool_id, KeyPurpose::Access)
            .await?;
        // The two RSA signatures are the request's biggest piece of CPU work (about a
        // millisecond). Signed on the HTTP worker's own thread, they hold up every other
        // request that worker serves, database replies included, and a request whose reply
        // waits keeps its pooled connection: at high concurrency the pool runs dry while the
        // CPUs idle. So they run on blocking threads, at most one pair per core at a time
        // (docs/benchmarks.md, "Signing off the event loop").
        let _slot = SIGNING_SLOTS.acquire().await.map_err(AuthError::internal)?;
        let (id_token, access_token) = tokio::task::spawn_blocking(move || {
            let Some(overrides) = overrides else {
                return Ok::<_, jwt::SigningFailed>((
                    jwt::sign(&id_claims, &id_kid, &id_key)?,
                    jwt::sign(&access_claims, &access_kid, &access_key)?,
                ));
            };
            let mut id = claims_object(&id_claims);
            overrides.apply_to_id_token(&mut id);
            let mut access = claims_object(&access_claims);
            overrides.apply_to_access_token(&mut access);
            Ok((
                jwt::sign(&id, &id_kid, &id_key)?,
                jwt::sign(&access, &access_kid, &access_key)?,
            ))
        })
        .await
        .map_err(AuthError::internal)?
        .map_err(AuthError::internal)?;
        Ok((secret(id_token), secret(access_token)))
    }
}

impl Services {
    /// Calls the pool's `PreTokenGeneration` function, if it has one, with what the tokens
    /// are about to carry; its answer, to apply to them.
    async fn pre_token_generation(
        &self,
        event: &TokenEvent<'_>,
        client: &AppClient,
        user: &User,
        groups: &GroupClaims,
        scope: &str,
    ) -> Result<Option<TokenOverrides>, AuthError> {
        let Some(config) = &event.triggers.pre_token_generation_config else {
            return Ok(None);
        };
        let scopes: Vec<String> = scope.split(' ').map(str::to_owned).collect();
        let overrides = self
            .triggers
            .pre_token_generation(
                &config.lambda_arn,
                TokenRequest {
                    source: event.source,
                    version: EventVersion::parse(&config.lambda_version),
                    caller: Caller {
                        pool: event.pool,
                        client: Some(&client.id),
                        user_name: &user.username,
                    },
                    user,
                    groups,
                    scopes: &scopes,
                    client_metadata: event.client_metadata,
                },
            )
            .await?;
        Ok(Some(overrides))
    }

    /// Signs the access token of a `client_credentials` grant for `client`, carrying
    /// `scope` (space-separated custom scopes), with the client's access-token lifetime and
    /// the changes of the pool's `PreTokenGeneration` function, if it was called.
    pub(crate) async fn mint_client_access_token(
        &self,
        client: &AppClient,
        scope: String,
        overrides: Option<TokenOverrides>,
        now: UnixSeconds,
    ) -> Result<SecretString, AuthError> {
        let claims = ClientAccessTokenClaims {
            sub: client.id.to_string(),
            token_use: TokenUse::Access,
            scope,
            auth_time: now,
            iss: self.issuer.issuer(&client.pool_id),
            exp: now + client.validity.access_token_seconds,
            iat: now,
            version: 2,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: client.id.to_string(),
        };
        let (kid, key) = self
            .keys
            .signing_key(&client.pool_id, KeyPurpose::Access)
            .await?;
        // Off the event loop, in the same slots as the user tokens (see `mint`).
        let _slot = SIGNING_SLOTS.acquire().await.map_err(AuthError::internal)?;
        let token = tokio::task::spawn_blocking(move || match overrides {
            None => jwt::sign(&claims, &kid, &key),
            Some(overrides) => {
                let mut claims = claims_object(&claims);
                overrides.apply_to_client_access_token(&mut claims);
                jwt::sign(&claims, &kid, &key)
            }
        })
        .await
        .map_err(AuthError::internal)?
        .map_err(AuthError::internal)?;
        Ok(secret(token))
    }
}

/// A token's claims as a JSON object, for a trigger's changes to apply to.
fn claims_object(claims: &impl serde::Serialize) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(claims) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// How many token pairs may be signed at once: one per core, so signing never queues more
/// threads than can run and the HTTP workers always have a core to answer on.
static SIGNING_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
    });

/// Claims the token's own fields own; an attribute can never override them.
const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "aud",
    "iss",
    "token_use",
    "auth_time",
    "iat",
    "exp",
    "jti",
    "origin_jti",
    "event_id",
    "nbf",
];
