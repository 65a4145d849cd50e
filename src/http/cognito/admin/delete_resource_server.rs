//! `DeleteResourceServer`: the resource server and its scopes, which no token carries from
//! then on; `ResourceNotFoundException` if there is none.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::resource_server_shapes::ServerInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, identifier) = input::<ServerInPool>(body)?.resolve(services).await?;
    services
        .delete_resource_server(&pool, &identifier)
        .await
        .map_err(failed)?;
    Ok(empty())
}
