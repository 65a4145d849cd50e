//! `UpdateResourceServer`: replaces the name and the scopes (a request without `Scopes`
//! leaves none, as Cognito resets what an update leaves out).

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::resource_server_shapes::{ServerInput, one};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, spec) = input::<ServerInput>(body)?.resolve(services).await?;
    let server = services
        .update_resource_server(&pool, spec)
        .await
        .map_err(failed)?;
    Ok(one(&server))
}
