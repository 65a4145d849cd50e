//! `ListUsersInGroup` (`Limit` 0–60, 0 or left out meaning 60; `NextToken` of the one
//! paging type, bound to the pool and the group).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserType};
use super::super::{failed, input, output};
use super::{group_name, page_request, pool};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    group_name: Option<String>,
    limit: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let name = group_name(input.group_name)?;
    let request = page_request("limit", input.limit, 0..=60, "nextToken", input.next_token)?;
    let pool = pool(services, input.user_pool_id).await?;
    let page = services
        .users_in_group(&pool, &name, &request)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        users: page.items.iter().map(shapes::user).collect(),
        next_token: page.next_token,
    }))
}
