//! `AdminEnableUser`.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    services
        .set_user_enabled(&pool, &name, true)
        .await
        .map_err(failed)?;
    Ok(empty())
}
