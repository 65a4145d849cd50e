//! `POST /oauth2/revoke` (RFC 7009): a client revokes a refresh token it was issued, which
//! ends the token's whole family and the access tokens minted from it, through the same use
//! case as `RevokeToken`. As Cognito does, access tokens are refused with
//! `unsupported_token_type`, and an unknown token (or another client's) gets the same empty
//! 200 a revoked one gets (docs/oauth2.md, "Revocation endpoint").

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::OAuthError;
use super::form::Form;
use super::{addressed_pool, client_auth};
use crate::auth::{AuthError, Services};

pub async fn revoke(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, OAuthError> {
    let form = Form::read(&request, payload).await?;
    let token = form
        .secret("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let pool = addressed_pool(&services, &request).await?;
    let client = client_auth::authenticate(&services, &request, &form, pool.as_ref()).await?;
    services
        .revoke_for_oauth_client(&token, &client)
        .await
        .map_err(|error| match error {
            // Cognito answers a client without token revocation with invalid_request.
            AuthError::UnsupportedOperation(message) => OAuthError::invalid_request(message),
            other => OAuthError::from_auth(other),
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
