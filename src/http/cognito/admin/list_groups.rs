//! `ListGroups` (`Limit` 1–60, opaque `NextToken`).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, GroupType};
use super::super::{constraint, failed, input, output};
use super::{page, pool};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
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
    let pool = pool(services, input.user_pool_id).await?;
    let limit = input.limit.unwrap_or(60);
    if !(1..=60).contains(&limit) {
        return Err(constraint(
            "limit",
            "Member must have value between 1 and 60",
        ));
    }
    let after = page::decode("nextToken", input.next_token.as_deref())?;
    let mut groups: Vec<_> = services
        .list_groups(&pool)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|g| after.as_deref().is_none_or(|a| g.name.as_str() > a))
        .collect();
    let limit = usize::try_from(limit).unwrap_or(60);
    let next_token = (groups.len() > limit).then(|| page::encode(&groups[limit - 1].name));
    groups.truncate(limit);
    Ok(output(&Output {
        groups: groups.iter().map(shapes::group).collect(),
        next_token,
    }))
}
