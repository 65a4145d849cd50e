//! `ListTagsForResource`: a pool's tags (named by its ARN), its login name as the
//! `gatehouse:tenant` tag.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::{input, output};
use super::pool_by_arn;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    resource_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    tags: BTreeMap<String, String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool_by_arn(services, input.resource_arn).await?;
    Ok(output(&Output { tags: pool.tags() }))
}
