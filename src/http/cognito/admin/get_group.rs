//! `GetGroup`: one group, or `ResourceNotFoundException` "Group not found.".

use actix_web::HttpResponse;
use serde::Serialize;

use super::super::shapes::{self, GroupType};
use super::super::{failed, input, output};
use super::GroupInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    group: GroupType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<GroupInPool>(body)?.resolve(services).await?;
    let group = services.group(&pool, &name).await.map_err(failed)?;
    Ok(output(&Output {
        group: shapes::group(&group),
    }))
}
