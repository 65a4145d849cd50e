//! `ListResourceServers` (`MaxResults` 1–50, left out meaning 50; `NextToken` of the one
//! paging type, bound to the pool).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::{failed, input, output};
use super::resource_server_shapes::{ResourceServerType, shape};
use super::{page_request, pool};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    resource_servers: Vec<ResourceServerType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let request = page_request(
        "maxResults",
        Some(input.max_results.unwrap_or(50)),
        1..=50,
        "nextToken",
        input.next_token,
    )?;
    let pool = pool(services, input.user_pool_id).await?;
    let page = services
        .list_resource_servers_page(&pool, &request)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        resource_servers: page.items.iter().map(shape).collect(),
        next_token: page.next_token,
    }))
}
