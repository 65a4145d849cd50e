//! `AdminResetUserPassword`: ends the user's sessions, makes the next sign-in answer
//! `PasswordResetRequiredException`, and sends a reset code for `ConfirmForgotPassword`.

use actix_web::HttpResponse;

use super::super::{empty, failed, input};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    services
        .admin_reset_user_password(&pool, &name)
        .await
        .map_err(failed)?;
    Ok(empty())
}
