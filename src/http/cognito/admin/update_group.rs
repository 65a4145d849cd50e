//! `UpdateGroup`: the description, precedence and role given replace the group's; members
//! left out keep their values (docs/cognito-compatibility.md, "Groups").

use actix_web::HttpResponse;

use super::super::{failed, input};
use super::{GroupDefinition, one_group};
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name, changes) = input::<GroupDefinition>(body)?.resolve(services).await?;
    let group = services
        .update_group(&pool, &name, changes)
        .await
        .map_err(failed)?;
    Ok(one_group(&group))
}
