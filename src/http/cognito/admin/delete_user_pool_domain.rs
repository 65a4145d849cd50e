//! `DeleteUserPoolDomain`: the pool's domain; a name that is not the pool's is refused as
//! Cognito refuses it.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    domain: Option<String>,
    user_pool_id: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let domain = required("domain", input.domain)?;
    let pool = pool(services, input.user_pool_id).await?;
    services
        .delete_domain(&pool, &domain)
        .await
        .map_err(failed)?;
    Ok(empty())
}
