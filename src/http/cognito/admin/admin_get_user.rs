//! `AdminGetUser`: what Cognito shows of a user: `UserAttributes` with `sub`, the status,
//! `Enabled`, creation and last-modified dates (epoch seconds), and the MFA members Cognito
//! sends for users who have MFA (none yet, so they are left out as Cognito leaves them out).

use actix_web::HttpResponse;
use serde::Serialize;

use super::super::shapes::{self, AttributeType, MfaSettings};
use super::super::{failed, input, output};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    username: String,
    user_attributes: Vec<AttributeType>,
    user_create_date: i64,
    user_last_modified_date: i64,
    enabled: bool,
    user_status: &'static str,
    #[serde(flatten)]
    mfa: MfaSettings,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let (pool, name) = input::<UserInPool>(body)?.resolve(services).await?;
    let user = services.find_user(&pool, &name).await.map_err(failed)?;
    Ok(output(&Output {
        username: user.username.clone(),
        user_attributes: shapes::attributes(&user),
        user_create_date: user.created_at,
        user_last_modified_date: user.updated_at,
        enabled: user.enabled,
        user_status: user.status.as_str(),
        mfa: shapes::mfa_settings(&user),
    }))
}
