//! `AdminConfirmSignUp`: an administrator confirms a signed-up user without their code.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    services
        .admin_confirm_sign_up(&pool, &name)
        .await
        .map_err(failed)?;
    Ok(empty())
}
