//! `UpdateUserPool`: replaces the pool's Cognito settings. As in Cognito, a setting the
//! request leaves out is reset to its default (the password policy to Cognito's,
//! `AllowAdminCreateUserOnly` to false, `DeletionProtection` to `INACTIVE`, `LambdaConfig`
//! to none, and so on), so callers send the whole configuration, typically what
//! `DescribeUserPool` returned with their change applied. Gatehouse-only settings (the
//! lockout thresholds) are not part of Cognito's API and are kept, as is everything Cognito
//! does not let an update change.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input};
use super::pool;
use super::pool_config::{OtherMembers, PoolConfig};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    /// The settings [`PoolConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: PoolConfig = input.config.read()?;
    let pool = pool(services, input.user_pool_id).await?;
    let settings = config.apply_to(pool.settings.clone())?;
    services
        .replace_pool_settings(&pool, settings)
        .await
        .map_err(failed)?;
    Ok(empty())
}
