//! `AdminRemoveUserFromGroup`.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::GroupMembership;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let membership: GroupMembership = input(body)?;
    let (pool, name, group) = membership.resolve(services).await?;
    services
        .remove_user_from_group(&pool, &name, &group)
        .await
        .map_err(failed)?;
    Ok(empty())
}
