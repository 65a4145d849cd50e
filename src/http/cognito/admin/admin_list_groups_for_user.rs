//! `AdminListGroupsForUser`.

use actix_web::HttpResponse;
use serde::Serialize;

use super::super::shapes::{self, GroupType};
use super::super::{failed, input, output};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    groups: Vec<GroupType>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    let groups = services.groups_of(&pool, &name).await.map_err(failed)?;
    Ok(output(&Output {
        groups: groups.iter().map(shapes::group).collect(),
    }))
}
