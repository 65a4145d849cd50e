//! `AdminDeleteUserAttributes`: an administrator removes any attributes of a user.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    user_attribute_names: Option<Vec<String>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let (pool, name) = UserInPool {
        user_pool_id: input.user_pool_id,
        username: input.username,
    }
    .resolve(services)
    .await?;
    let names = required("userAttributeNames", input.user_attribute_names)?;
    services
        .admin_delete_attributes(&pool, &name, &names)
        .await
        .map_err(failed)?;
    Ok(empty())
}
