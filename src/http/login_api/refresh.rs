//! `POST /RefreshToken`: exchanges a refresh token for new ID, access and refresh tokens.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, opaque_token, tenant_name, token_response};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::auth_result::CognitoToken;
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::ApiError;

#[derive(Deserialize)]
struct RefreshRequest {
    #[serde(rename = "RefreshToken")]
    refresh_token: SecretString,
    /// Optional; when given it must name the token's pool.
    #[serde(rename = "TenantName", default)]
    tenant_name: Option<String>,
}

pub(super) async fn refresh_token(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let body: RefreshRequest = read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let token = opaque_token("RefreshToken", &body.refresh_token)?;
    let pool_name = body.tenant_name.as_deref().map(tenant_name).transpose()?;
    let tokens = services
        .refresh(&token, pool_name.as_deref())
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::authenticated(&tokens)))
}
