//! `AdminUpdateUserAttributes`: an administrator sets any attribute; a changed e-mail
//! address or phone number is unverified again unless the call sets its flag too.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::shapes::{self, AttributeType};
use super::super::{empty, failed, input, required};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    user_attributes: Option<Vec<AttributeType>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let (pool, name) = UserInPool {
        user_pool_id: input.user_pool_id,
        username: input.username,
    }
    .resolve(services)
    .await?;
    let changes = shapes::parse_attributes(required("userAttributes", input.user_attributes)?)?;
    services
        .admin_update_attributes(&pool, &name, &changes)
        .await
        .map_err(failed)?;
    Ok(empty())
}
