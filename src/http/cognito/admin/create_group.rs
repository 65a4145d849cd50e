//! `CreateGroup`: a group with its description, precedence and role, each checked against
//! Cognito's shapes; a taken name is `GroupExistsException`.

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::{GroupDefinition, one_group};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name, settings) = input::<GroupDefinition>(body)?.resolve(services).await?;
    let group = services
        .create_group(&pool, &name, settings)
        .await
        .map_err(failed)?;
    Ok(one_group(&group))
}
