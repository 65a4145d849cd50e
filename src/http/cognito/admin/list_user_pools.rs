//! `ListUserPools` with `MaxResults` (1–60, required) and the one paging type's `NextToken`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolDescriptionType};
use super::super::{failed, input, output, required};
use super::page_request;
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
    let request = page_request(
        "maxResults",
        Some(max),
        1..=60,
        "nextToken",
        input.next_token,
    )?;
    let page = services.list_pools_page(&request).await.map_err(failed)?;
    Ok(output(&Output {
        user_pools: page.items.iter().map(shapes::pool_description).collect(),
        next_token: page.next_token,
    }))
}
