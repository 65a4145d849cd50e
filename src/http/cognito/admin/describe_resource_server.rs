//! `DescribeResourceServer`: one resource server, or `ResourceNotFoundException`.

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::resource_server_shapes::{ServerInPool, one};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, identifier) = input::<ServerInPool>(body)?.resolve(services).await?;
    let server = services
        .resource_server(&pool, &identifier)
        .await
        .map_err(failed)?;
    Ok(one(&server))
}
