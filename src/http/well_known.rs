//! Per-pool discovery: the JWKS verifiers fetch, and an OpenID configuration pointing at it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::{ApiError, ErrorKind, Surface};
use crate::auth::{AuthError, IssuerStyle, Services};
use crate::crypto::keys::{ALGORITHM, PublicJwk};
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
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("User pool {raw_id} does not exist."),
            SURFACE,
        )
    };
    let id = UserPoolId::parse(raw_id).map_err(|_| not_found())?;
    services
        .store
        .pool_by_id(&id)
        .await
        .map_err(|e| ApiError::from_auth(AuthError::from(e), SURFACE))?
        .ok_or_else(not_found)
}

#[derive(Serialize)]
struct JwkSet {
    keys: Vec<PublicJwk>,
}

async fn jwks(
    request: HttpRequest,
    path: web::Path<String>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let pool = pool(&services, &path).await?;
    let keys = services
        .keys
        .jwks(&pool.id)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    let body = serde_json::to_string(&JwkSet { keys })
        .map_err(|e| ApiError::from_auth(AuthError::Internal(e.to_string()), SURFACE))?;
    let etag = format!("\"{}\"", hex_prefix(&Sha256::digest(body.as_bytes())));
    let cache_control = format!("public, max-age={JWKS_MAX_AGE_SECONDS}");
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, etag));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(body))
}

fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// OIDC discovery, limited to what Gatehouse serves: issuer and keys. There is no
/// authorization endpoint (no hosted UI), so none is advertised.
#[derive(Serialize)]
struct OpenIdConfiguration {
    issuer: String,
    jwks_uri: String,
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    response_types_supported: [&'static str; 1],
    scopes_supported: [&'static str; 1],
    claims_supported: &'static [&'static str],
}

async fn openid_configuration(
    path: web::Path<String>,
    services: web::Data<Services>,
    public_url: web::Data<PublicUrl>,
) -> Result<HttpResponse, ApiError> {
    let pool = pool(&services, &path).await?;
    let issuer = services.issuer.issuer(&pool.id);
    // With the AWS issuer style the issuer is not our address; the keys still are.
    let jwks_uri = match &services.issuer {
        IssuerStyle::Gatehouse { .. } => format!("{issuer}/.well-known/jwks.json"),
        IssuerStyle::Aws => format!("{}/{}/.well-known/jwks.json", public_url.0, pool.id),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        ))
        .json(OpenIdConfiguration {
            issuer,
            jwks_uri,
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: [ALGORITHM],
            response_types_supported: ["token"],
            scopes_supported: [crate::domain::claims::ADMIN_SCOPE],
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
                "email",
                "email_verified",
            ],
        }))
}

/// The address clients reach this server at, without a trailing slash.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);
