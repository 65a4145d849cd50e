//! `CreateResourceServer`: a resource server and its custom scopes (`identifier/scope_name`),
//! checked as Cognito checks them; an identifier the pool already has is refused.

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::resource_server_shapes::{ServerInput, one};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, spec) = input::<ServerInput>(body)?.resolve(services).await?;
    let server = services
        .create_resource_server(&pool, spec)
        .await
        .map_err(failed)?;
    Ok(one(&server))
}
