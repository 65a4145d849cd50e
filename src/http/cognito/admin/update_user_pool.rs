//! `UpdateUserPool`: replaces the pool's Cognito settings. As in Cognito, a setting the
//! request leaves out is reset to its default (the password policy to Cognito's, and
//! `AllowAdminCreateUserOnly` to false), so callers send the whole configuration, typically
//! what `DescribeUserPool` returned with their change applied. Gatehouse-only settings (the
//! lockout thresholds) are not part of Cognito's API and are kept.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input};
use super::create_user_pool::{
    AdminCreateUserConfig, EmailConfiguration, Policies, admin_create_user_config,
    email_configuration,
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
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let settings = PoolSettings {
        password_policy: input
            .policies
            .and_then(|p| p.password_policy)
            .unwrap_or_default(),
        admin_create_user_config: admin_create_user_config(input.admin_create_user_config),
        email_configuration: email_configuration(input.email_configuration)?,
        lockout: pool.settings.lockout.clone(),
        // The MFA settings are SetUserPoolMfaConfig's.
        mfa_configuration: pool.settings.mfa_configuration,
        software_token_mfa_configuration: pool.settings.software_token_mfa_configuration,
        email_mfa_configuration: pool.settings.email_mfa_configuration.clone(),
    };
    services
        .replace_pool_settings(&pool, settings)
        .await
        .map_err(failed)?;
    Ok(empty())
}
