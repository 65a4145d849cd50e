//! `CreateGroup`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, GroupType};
use super::super::{failed, input, output, required};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;
use crate::manage::groups::GroupRecord;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    group_name: Option<String>,
    user_pool_id: Option<String>,
    description: Option<String>,
    precedence: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    group: GroupType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let group = services
        .create_group(GroupRecord {
            pool_id: pool.id.clone(),
            name: required("groupName", input.group_name)?,
            description: input.description,
            precedence: input.precedence,
        })
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        group: shapes::group(&group),
    }))
}
