//! Per-pool discovery: the JWKS verifiers fetch, and an OpenID configuration pointing at it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::{ApiError, Surface};
use crate::auth::{AuthError, IssuerStyle, Services};
use crate::crypto::keys::{ALGORITHM, PublicJwk};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;

const SURFACE: Surface = Surface::Plain;
/// How long verifiers may cache the JWKS. Key rotation publishes a new key at least this long
/// before it signs anything.
pub const JWKS_MAX_AGE_SECONDS: u32 = 300;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/{pool_id}/.well-known/jwks.json", web::get().to(jwks))
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            web::get().to(openid_configuration),
        );
}

async fn pool(services: &Services, raw_id: &str) -> Result<UserPool, ApiError> {
    let not_found = || {
        ApiError::from_auth(
            AuthError::ResourceNotFound(format!("User pool {raw_id} does not exist.")),
            SURFACE,
        )
    };
    let id = UserPoolId::parse(raw_id).map_err(|_| not_found())?;
    services
        .pool_by_id(&id)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?
        .ok_or_else(not_found)
}

#[derive(Serialize)]
struct JwkSet {
    keys: Vec<PublicJwk>,
}

/// Each pool's rendered JWKS, served from memory for at most a second. The JWKS is the
/// hottest public read (every verifier fetches it) and changes only on rotation, which
/// publishes a key `GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS` (> 300 s) before it signs, so a
/// replica that sees another replica's rotation up to a second late breaks no verifier.
/// A key change in this process, or the clock moving to another second (retired keys drop
/// out by time), renders it again. Only existing pools are kept.
#[derive(Default)]
pub struct JwksCache(Mutex<HashMap<UserPoolId, RenderedJwks>>);

#[derive(Clone)]
struct RenderedJwks {
    body: web::Bytes,
    etag: Arc<str>,
    rendered: Instant,
    clock_second: UnixSeconds,
    key_generation: u64,
}

/// How long a rendered JWKS is reused, whatever the clock says.
const JWKS_REUSE: Duration = Duration::from_secs(1);

impl JwksCache {
    fn fresh(&self, pool: &UserPoolId, now: UnixSeconds, generation: u64) -> Option<RenderedJwks> {
        let cache = self.0.lock().ok()?;
        cache
            .get(pool)
            .filter(|r| {
                r.clock_second == now
                    && r.key_generation == generation
                    && r.rendered.elapsed() < JWKS_REUSE
            })
            .cloned()
    }

    fn keep(&self, pool: UserPoolId, rendered: RenderedJwks) {
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(pool, rendered);
        }
    }
}

async fn render_jwks(services: &Services, raw_id: &str) -> Result<RenderedJwks, ApiError> {
    // Read before the keys, so a change racing this render makes the result stale at once.
    let key_generation = services.keys.generation();
    let clock_second = services.clock.now();
    let pool = pool(services, raw_id).await?;
    let keys = services
        .keys
        .jwks(&pool.id)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    let body = serde_json::to_string(&JwkSet { keys })
        .map_err(|e| ApiError::from_auth(AuthError::internal(e), SURFACE))?;
    let etag = format!("\"{}\"", hex_prefix(&Sha256::digest(body.as_bytes())));
    Ok(RenderedJwks {
        body: web::Bytes::from(body),
        etag: etag.into(),
        rendered: Instant::now(),
        clock_second,
        key_generation,
    })
}

async fn jwks(
    request: HttpRequest,
    path: web::Path<String>,
    services: web::Data<Services>,
    cache: web::Data<JwksCache>,
) -> Result<HttpResponse, ApiError> {
    let id = UserPoolId::parse(&path).ok();
    let cached = id
        .as_ref()
        .and_then(|id| cache.fresh(id, services.clock.now(), services.keys.generation()));
    let document = match cached {
        Some(document) => document,
        None => {
            let document = render_jwks(&services, &path).await?;
            if let Some(id) = id {
                cache.keep(id, document.clone());
            }
            document
        }
    };
    let cache_control = format!("public, max-age={JWKS_MAX_AGE_SECONDS}");
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == &*document.etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, &*document.etag));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("application/json")
        .body(document.body))
}

fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// OIDC discovery: issuer, keys, and the pool's OAuth 2.0 endpoints under its path on the
/// public URL (docs/oauth2.md, "Routing").
#[derive(Serialize)]
struct OpenIdConfiguration {
    issuer: String,
    jwks_uri: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    revocation_endpoint: String,
    end_session_endpoint: String,
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    response_types_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 3],
    code_challenge_methods_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 3],
    scopes_supported: &'static [&'static str],
    claims_supported: &'static [&'static str],
}

async fn openid_configuration(
    path: web::Path<String>,
    services: web::Data<Services>,
    public_url: web::Data<PublicUrl>,
) -> Result<HttpResponse, ApiError> {
    let pool = pool(&services, &path).await?;
    let issuer = services.issuer.issuer(&pool.id);
    // With the AWS issuer style the issuer is not our address; the endpoints still are.
    let base = format!("{}/{}", public_url.0, pool.id);
    let jwks_uri = match &services.issuer {
        IssuerStyle::Gatehouse { .. } => format!("{issuer}/.well-known/jwks.json"),
        IssuerStyle::Aws => format!("{base}/.well-known/jwks.json"),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        ))
        .json(OpenIdConfiguration {
            issuer,
            jwks_uri,
            authorization_endpoint: format!("{base}/oauth2/authorize"),
            token_endpoint: format!("{base}/oauth2/token"),
            userinfo_endpoint: format!("{base}/oauth2/userInfo"),
            revocation_endpoint: format!("{base}/oauth2/revoke"),
            end_session_endpoint: format!("{base}/logout"),
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: [ALGORITHM],
            response_types_supported: ["code"],
            grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
            code_challenge_methods_supported: ["S256"],
            token_endpoint_auth_methods_supported: [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            scopes_supported: crate::domain::client_oauth::STANDARD_SCOPES,
            claims_supported: &[
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "token_use",
                "cognito:username",
                "cognito:groups",
                "cognito:roles",
                "cognito:preferred_role",
                "email",
                "email_verified",
            ],
        }))
}

/// The address clients reach this server at, without a trailing slash.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);
