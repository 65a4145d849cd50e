//! `DeleteUserPoolClient`: the client, its sessions and refresh tokens.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{client_id, empty, failed, input, required};
use super::pool;
use super::pool_config::OtherMembers;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    #[serde(flatten)]
    unknown: OtherMembers,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    input.unknown.refuse()?;
    let pool = pool(services, input.user_pool_id).await?;
    let id = client_id(&required("clientId", input.client_id)?)?;
    let client = services.client_of(&pool, Some(&id)).await.map_err(failed)?;
    services.delete_client(&client).await.map_err(failed)?;
    Ok(empty())
}
