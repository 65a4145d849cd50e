//! `UpdateUserPool`: replaces the pool's Cognito settings. As in Cognito, a setting the
//! request leaves out is reset to its default (the password policy to Cognito's,
//! `AllowAdminCreateUserOnly` to false, `DeletionProtection` to `INACTIVE`, `LambdaConfig`
//! to none, and so on), so callers send the whole configuration, typically what
//! `DescribeUserPool` returned with their change applied. Gatehouse-only settings (the
//! lockout thresholds) are not part of Cognito's API and are kept, as is everything Cognito
//! does not let an update change. `UserPoolTags`, when given, replaces the tags (the
//! `gatehouse:tenant` tag sets or removes the login name); left out, the tags are kept, so an update that does not mention them
//! never takes a pool away from the login API (docs/cognito-compatibility.md).

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input};
use super::create_user_pool::pool_tags;
use super::pool;
use super::pool_config::{OtherMembers, refused};
use crate::auth::Services;
use crate::domain::pool::PoolSettings;
use crate::domain::pool_declaration::{Omitted, PoolConfig};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    /// The settings [`PoolConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
    user_pool_tags: Option<BTreeMap<String, String>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: PoolConfig = input.config.read()?;
    let pool = pool(services, input.user_pool_id).await?;
    let tags = input
        .user_pool_tags
        .map(|tags| pool_tags("userPoolTags", Some(tags)))
        .transpose()?;
    let settings = config
        .apply_to(pool.settings.clone(), Omitted::CognitoDefault)
        .map_err(refused)?;
    // Tags first: a login name another pool has refuses the whole update.
    let pool = match tags {
        Some(tags) => services
            .replace_pool_tags(&pool, tags)
            .await
            .map_err(failed)?,
        None => pool,
    };
    let settings = PoolSettings {
        user_pool_tags: pool.settings.user_pool_tags.clone(),
        ..settings
    };
    services
        .replace_pool_settings(&pool, settings)
        .await
        .map_err(failed)?;
    Ok(empty())
}
