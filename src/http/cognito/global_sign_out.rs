//! `GlobalSignOut`: signs the caller out of every session.

use actix_web::HttpResponse;

use super::{AccessTokenOnly, empty, failed, input, required, token};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: AccessTokenOnly = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(|error| failed(error.user_gone_as_revoked()))?;
    services.global_sign_out(&caller).await.map_err(failed)?;
    Ok(empty())
}
