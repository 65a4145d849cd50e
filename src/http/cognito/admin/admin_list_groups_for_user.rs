//! `AdminListGroupsForUser` (`Limit` 0–60, 0 or left out meaning 60; `NextToken` of the
//! one paging type, bound to the pool and the user): the user's groups in the order their
//! tokens list them.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, GroupType};
use super::super::{failed, input, output};
use super::{UserInPool, page_request};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    limit: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    groups: Vec<GroupType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let request = page_request("limit", input.limit, 0..=60, "nextToken", input.next_token)?;
    let user = UserInPool {
        user_pool_id: input.user_pool_id,
        username: input.username,
    };
    let (pool, name) = user.resolve(services).await?;
    let page = services
        .groups_of(&pool, &name, &request)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        groups: page.items.iter().map(shapes::group).collect(),
        next_token: page.next_token,
    }))
}
