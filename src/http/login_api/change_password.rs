//! `POST /ChangePassword`: the signed-in caller replaces their password.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, empty_response, password};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::bearer::bearer_token;
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::ApiError;

#[derive(Deserialize)]
struct ChangePasswordRequest {
    #[serde(rename = "PreviousPassword")]
    previous_password: SecretString,
    #[serde(rename = "ProposedPassword")]
    proposed_password: SecretString,
}

pub(super) async fn change_password(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&request, SURFACE)?;
    let body: ChangePasswordRequest =
        read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let previous = password("PreviousPassword", &body.previous_password)?;
    let proposed = password("ProposedPassword", &body.proposed_password)?;
    let caller = services
        .authenticate_access_token(&token)
        .await
        .map_err(|e| ApiError::from_auth(e.user_gone_as_revoked(), SURFACE))?;
    services
        .change_password(&caller, &previous, &proposed)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(empty_response())
}
