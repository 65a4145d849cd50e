//! `AdminRemoveUserFromGroup`.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required, username};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    group_name: Option<String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = username("username", &required("username", input.username)?)?;
    let group = required("groupName", input.group_name)?;
    services
        .remove_user_from_group(&pool, &name, &group)
        .await
        .map_err(failed)?;
    Ok(empty())
}
