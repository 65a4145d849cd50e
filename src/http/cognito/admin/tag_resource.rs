//! `TagResource`: adds tags to a pool (named by its ARN) or overwrites their values. The
//! `gatehouse:tenant` tag gives the pool its login name, the login API's `TenantName`.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::create_user_pool::pool_tags;
use super::pool_by_arn;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    resource_arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool_by_arn(services, input.resource_arn).await?;
    let tags = pool_tags("tags", Some(required("tags", input.tags)?))?;
    services.tag_pool(&pool, tags).await.map_err(failed)?;
    Ok(empty())
}
