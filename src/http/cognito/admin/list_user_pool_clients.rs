//! `ListUserPoolClients` with `MaxResults` (1–60) and opaque `NextToken`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::UserPoolClientDescription;
use super::super::{constraint, failed, input, output};
use super::{page, pool};
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
    let pool = pool(services, input.user_pool_id).await?;
    let max = input.max_results.unwrap_or(60);
    if !(1..=60).contains(&max) {
        return Err(constraint(
            "maxResults",
            "Member must have value between 1 and 60",
        ));
    }
    let after = page::decode("nextToken", input.next_token.as_deref())?;
    let mut clients: Vec<_> = services
        .list_clients(&pool)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|c| after.as_deref().is_none_or(|a| c.id.as_str() > a))
        .collect();
    clients.sort_by(|a, b| a.id.cmp(&b.id));
    let limit = usize::try_from(max).unwrap_or(60);
    let next_token = (clients.len() > limit).then(|| page::encode(clients[limit - 1].id.as_str()));
    clients.truncate(limit);
    Ok(output(&Output {
        user_pool_clients: clients
            .iter()
            .map(|c| UserPoolClientDescription {
                client_id: c.id.to_string(),
                user_pool_id: c.pool_id.to_string(),
                client_name: c.name.clone(),
            })
            .collect(),
        next_token,
    }))
}
