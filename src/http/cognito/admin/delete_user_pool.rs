//! `DeleteUserPool`: the pool and everything in it.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    services.delete_pool(&pool).await.map_err(failed)?;
    Ok(empty())
}
