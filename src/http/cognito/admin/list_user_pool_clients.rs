//! `ListUserPoolClients` with `MaxResults` (1–60, left out meaning 60) and the one paging
//! type's `NextToken`, bound to the pool.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::UserPoolClientDescription;
use super::super::{failed, input, output};
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
    user_pool_clients: Vec<UserPoolClientDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let request = page_request(
        "maxResults",
        input.max_results,
        1..=60,
        "nextToken",
        input.next_token,
    )?;
    let pool = pool(services, input.user_pool_id).await?;
    let page = services
        .list_clients_page(&pool, &request)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool_clients: page
            .items
            .iter()
            .map(|c| UserPoolClientDescription {
                client_id: c.id.to_string(),
                user_pool_id: c.pool_id.to_string(),
                client_name: c.name.clone(),
            })
            .collect(),
        next_token: page.next_token,
    }))
}
