//! `DeleteUser`: the caller deletes their own account.

use actix_web::HttpResponse;

use super::{empty, failed, signed_in_caller};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let caller = signed_in_caller(services, body).await?;
    services.delete_own_account(&caller).await.map_err(failed)?;
    Ok(empty())
}
