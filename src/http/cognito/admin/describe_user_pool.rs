//! `DescribeUserPool`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolType};
use super::super::{failed, input, output};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool: UserPoolType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let users = services.count_users(&pool).await.map_err(failed)?;
    let mut user_pool = shapes::pool(&pool, Some(usize::try_from(users).unwrap_or_default()));
    if let Some(domain) = services.domain_of_pool(&pool).await.map_err(failed)? {
        if domain.is_custom {
            user_pool.custom_domain = Some(domain.domain);
        } else {
            user_pool.domain = Some(domain.domain);
        }
    }
    Ok(output(&Output { user_pool }))
}
