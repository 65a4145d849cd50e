//! `GetGroup`: one group, or `ResourceNotFoundException` "Group not found.".

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::{GroupInPool, one_group};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<GroupInPool>(body)?.resolve(services).await?;
    let group = services.group(&pool, &name).await.map_err(failed)?;
    Ok(one_group(&group))
}
