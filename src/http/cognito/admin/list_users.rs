//! `ListUsers`: Cognito's filter grammar (`attribute = "value"`, `attribute ^= "prefix"` on
//! the fields Cognito searches), `AttributesToGet`, and the one paging type (`Limit` 0–60,
//! 0 or left out meaning 60; `PaginationToken` bound to the pool and the filter). Each page
//! is one bounded index range (docs/cognito-compatibility.md, "Lists and paging").

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserType};
use super::super::{constraint, failed, input, output};
use super::{page_request, pool};
use crate::auth::{AuthError, Services};
use crate::domain::attributes::validate_name;
use crate::domain::user_filter::UserFilter;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    pagination_token: Option<String>,
    filter: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination_token: Option<String>,
}

/// `AttributesToGet`: names of attributes a pool can have (`sub` included).
fn attributes_to_get(names: Option<Vec<String>>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(names) = names else {
        return Ok(None);
    };
    if names.len() > 100 {
        return Err(constraint(
            "attributesToGet",
            "Member must have length less than or equal to 100",
        ));
    }
    if names
        .iter()
        .any(|n| n != "sub" && validate_name(n).is_err())
    {
        return Err(failed(AuthError::InvalidParameter(
            "One or more requested attributes do not exist.".into(),
        )));
    }
    Ok(Some(names))
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let filter_text = input.filter.unwrap_or_default();
    if filter_text.chars().count() > 256 {
        return Err(constraint(
            "filter",
            "Member must have length less than or equal to 256",
        ));
    }
    let filter = UserFilter::parse(&filter_text)
        .map_err(|e| failed(AuthError::InvalidParameter(e.to_string())))?;
    let wanted = attributes_to_get(input.attributes_to_get)?;
    let request = page_request(
        "limit",
        input.limit,
        0..=60,
        "paginationToken",
        input.pagination_token,
    )?;
    let pool = pool(services, input.user_pool_id).await?;
    let page = services
        .search_users(&pool, filter.as_ref(), &request)
        .await
        .map_err(failed)?;
    let users = page
        .items
        .iter()
        .map(|user| {
            let mut shape = shapes::user(user);
            if let Some(wanted) = &wanted {
                shape.attributes.retain(|a| wanted.contains(&a.name));
            }
            shape
        })
        .collect();
    Ok(output(&Output {
        users,
        pagination_token: page.next_token,
    }))
}
