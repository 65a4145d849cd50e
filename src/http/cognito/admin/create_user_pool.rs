//! `CreateUserPool`: a pool as Cognito makes it, with no app client and a name other pools
//! may share. The login API serves it only if the `gatehouse:tenant` tag in `UserPoolTags`
//! gives it a login name (its `TenantName`). Settings left out take Cognito's defaults,
//! self-registration allowed included.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolType};
use super::super::{failed, input, output, required};
use crate::auth::Services;
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{PoolName, PoolSettings, PoolTags};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    pool_name: Option<String>,
    policies: Option<Policies>,
    admin_create_user_config: Option<AdminCreateUserConfig>,
    email_configuration: Option<EmailConfiguration>,
    user_pool_tags: Option<BTreeMap<String, String>>,
}

/// `UserPoolTags` (or `TagResource`'s `Tags`) checked, the login name split out.
pub(super) fn pool_tags(
    member: &str,
    tags: Option<BTreeMap<String, String>>,
) -> Result<PoolTags, ApiError> {
    PoolTags::parse(tags.unwrap_or_default()).map_err(|e| super::super::constraint(member, &e))
}

/// Cognito's `EmailConfigurationType`; Gatehouse uses `From` (the sender of the pool's
/// mail) and accepts the rest without effect (docs/cognito-compatibility.md).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EmailConfiguration {
    pub from: Option<String>,
}

/// The stored setting for an input that may leave it out (no `From`: the server's sender).
pub(super) fn email_configuration(
    input: Option<EmailConfiguration>,
) -> Result<crate::domain::pool::EmailConfiguration, ApiError> {
    let from = input
        .and_then(|config| config.from)
        .map(|from| crate::domain::pool::EmailConfiguration::parse_from(&from))
        .transpose()
        .map_err(|e| super::super::constraint("emailConfiguration.from", &e))?;
    Ok(crate::domain::pool::EmailConfiguration { from })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Policies {
    pub password_policy: Option<PasswordPolicy>,
}

/// Cognito's input shape; a member left out takes Cognito's default (self-registration on).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminCreateUserConfig {
    pub allow_admin_create_user_only: Option<bool>,
}

/// The stored setting for an input that may leave it out.
pub(super) fn admin_create_user_config(
    input: Option<AdminCreateUserConfig>,
) -> crate::domain::pool::AdminCreateUserConfig {
    let default = crate::domain::pool::AdminCreateUserConfig::COGNITO_DEFAULT;
    crate::domain::pool::AdminCreateUserConfig {
        allow_admin_create_user_only: input
            .and_then(|config| config.allow_admin_create_user_only)
            .unwrap_or(default.allow_admin_create_user_only),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool: UserPoolType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let name = required("poolName", input.pool_name)?;
    let name = PoolName::parse(&name).map_err(|e| super::super::constraint("poolName", &e))?;
    let settings = PoolSettings {
        password_policy: input
            .policies
            .and_then(|p| p.password_policy)
            .unwrap_or_default(),
        admin_create_user_config: admin_create_user_config(input.admin_create_user_config),
        email_configuration: email_configuration(input.email_configuration)?,
        ..PoolSettings::default()
    };
    let tags = pool_tags("userPoolTags", input.user_pool_tags)?;
    let pool = services
        .create_user_pool(&name, settings, tags)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool: shapes::pool(&pool, Some(0)),
    }))
}
