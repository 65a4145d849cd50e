//! `AdminDisableUser`: the user can no longer sign in; every session is revoked.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    services
        .set_user_enabled(&pool, &name, false)
        .await
        .map_err(failed)?;
    Ok(empty())
}
