//! `GetUICustomization`: the branding a client's hosted pages show (its own, else the
//! pool-wide one), or the pool-wide one when no client is named. With none set, only the
//! pool and client ids come back, as from Cognito.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{failed, input};
use super::pool;
use super::ui_customization_shapes::{answer, named_client};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
}

pub(crate) async fn handle(
    services: &Services,
    body: &[u8],
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let client = named_client(input.client_id)?;
    let found = services
        .ui_customization(&pool, client.as_ref())
        .await
        .map_err(failed)?;
    Ok(answer(
        public_url,
        &pool.id,
        client.as_ref(),
        found.as_ref(),
    ))
}
