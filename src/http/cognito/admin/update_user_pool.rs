//! `UpdateUserPool`: replaces the pool's Cognito settings. As in Cognito, a setting the
//! request leaves out is reset to its default (the password policy to Cognito's, and
//! `AllowAdminCreateUserOnly` to false), so callers send the whole configuration, typically
//! what `DescribeUserPool` returned with their change applied. Gatehouse-only settings (the
//! lockout thresholds) are not part of Cognito's API and are kept. `UserPoolTags`, when
//! given, replaces the tags (the `gatehouse:tenant` tag sets or removes the login name); left
//! out, the tags are kept, so an update that does not mention them never takes a pool away
//! from the login API (docs/cognito-compatibility.md).

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input};
use super::create_user_pool::{
    AdminCreateUserConfig, EmailConfiguration, Policies, admin_create_user_config,
    email_configuration, pool_tags,
};
use super::pool;
use crate::auth::Services;
use crate::domain::pool::PoolSettings;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    policies: Option<Policies>,
    admin_create_user_config: Option<AdminCreateUserConfig>,
    email_configuration: Option<EmailConfiguration>,
    user_pool_tags: Option<BTreeMap<String, String>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let tags = input
        .user_pool_tags
        .map(|tags| pool_tags("userPoolTags", Some(tags)))
        .transpose()?;
    let settings = PoolSettings {
        password_policy: input
            .policies
            .and_then(|p| p.password_policy)
            .unwrap_or_default(),
        admin_create_user_config: admin_create_user_config(input.admin_create_user_config),
        email_configuration: email_configuration(input.email_configuration)?,
        lockout: pool.settings.lockout.clone(),
        user_pool_tags: pool.settings.user_pool_tags.clone(),
    };
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
