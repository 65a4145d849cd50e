//! `POST /Logout` (one session, by refresh token) and `POST /GlobalSignOut` (every session
//! of the caller, by access token).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, empty_response, opaque_token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::bearer::bearer_token;
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::ApiError;

#[derive(Deserialize)]
struct LogoutRequest {
    #[serde(rename = "RefreshToken")]
    refresh_token: SecretString,
}

pub(super) async fn logout(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let body: LogoutRequest = read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let token = opaque_token("RefreshToken", &body.refresh_token)?;
    services
        .logout(&token)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(empty_response())
}

pub(super) async fn global_sign_out(
    request: HttpRequest,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&request, SURFACE)?;
    let caller = services
        .authenticate_access_token(&token)
        .await
        .map_err(|e| ApiError::from_auth(e.user_gone_as_revoked(), SURFACE))?;
    services
        .global_sign_out(&caller)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(empty_response())
}
