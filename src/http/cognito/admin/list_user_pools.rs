//! `ListUserPools` with `MaxResults` (1–60, required) and opaque `NextToken`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolDescriptionType};
use super::super::{constraint, failed, input, output, required};
use super::page;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pools: Vec<UserPoolDescriptionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let max = required("maxResults", input.max_results)?;
    if !(1..=60).contains(&max) {
        return Err(constraint(
            "maxResults",
            "Member must have value between 1 and 60",
        ));
    }
    let after = page::decode("nextToken", input.next_token.as_deref())?;
    let pools = services.list_pools().await.map_err(failed)?;
    // Pools are few; they are listed by id so pages are stable.
    let mut remaining: Vec<_> = pools
        .into_iter()
        .filter(|p| after.as_deref().is_none_or(|a| p.id.as_str() > a))
        .collect();
    remaining.sort_by(|a, b| a.id.cmp(&b.id));
    let limit = usize::try_from(max).unwrap_or(60);
    let next_token =
        (remaining.len() > limit).then(|| page::encode(remaining[limit - 1].id.as_str()));
    remaining.truncate(limit);
    Ok(output(&Output {
        user_pools: remaining.iter().map(shapes::pool_description).collect(),
        next_token,
    }))
}
