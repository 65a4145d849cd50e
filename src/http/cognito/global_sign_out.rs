//! `GlobalSignOut`: signs the caller out of every session.

use actix_web::HttpResponse;

use super::{empty, failed, signed_in_caller};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let caller = signed_in_caller(services, body).await?;
    services.global_sign_out(&caller).await.map_err(failed)?;
    Ok(empty())
}
