//! `UpdateGroup`: the description, precedence and role given replace the group's; members
//! left out keep their values (docs/cognito-compatibility.md, "Groups").

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, GroupType};
use super::super::{failed, input, output};
use super::{group_name, group_settings, pool};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    group_name: Option<String>,
    user_pool_id: Option<String>,
    description: Option<String>,
    precedence: Option<i64>,
    role_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    group: GroupType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let name = group_name(input.group_name)?;
    let changes = group_settings(input.description, input.precedence, input.role_arn)?;
    let pool = pool(services, input.user_pool_id).await?;
    let group = services
        .update_group(&pool, &name, changes)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        group: shapes::group(&group),
    }))
}
