//! `DeleteGroup`: the group and its memberships; an unknown group is
//! `ResourceNotFoundException` "Group not found.".

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::GroupInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<GroupInPool>(body)?.resolve(services).await?;
    services.delete_group(&pool, &name).await.map_err(failed)?;
    Ok(empty())
}
