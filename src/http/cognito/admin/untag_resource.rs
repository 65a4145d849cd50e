//! `UntagResource`: removes tags from a pool (named by its ARN); removing the
//! `gatehouse:tenant` tag takes the pool away from the login API. Keys it does not have are
//! ignored, as in Cognito.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{constraint, empty, failed, input, required};
use super::pool_by_arn;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool_by_arn(services, input.resource_arn).await?;
    let keys = required("tagKeys", input.tag_keys)?;
    if keys.iter().any(|k| k.is_empty() || k.chars().count() > 128) {
        return Err(constraint(
            "tagKeys",
            "Member must satisfy constraint: [Member must have length between 1 and 128]",
        ));
    }
    services.untag_pool(&pool, &keys).await.map_err(failed)?;
    Ok(empty())
}
