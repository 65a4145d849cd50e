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
use super::pool_messages::{
    MessageInputs, UserAttributeUpdateSettingsInput, VerificationMessageTemplateInput,
    message_settings, verification_settings,
};
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
    verification_message_template: Option<VerificationMessageTemplateInput>,
    email_verification_message: Option<String>,
    email_verification_subject: Option<String>,
    sms_verification_message: Option<String>,
    sms_authentication_message: Option<String>,
    auto_verified_attributes: Option<Vec<String>>,
    user_attribute_update_settings: Option<UserAttributeUpdateSettingsInput>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let messages = message_settings(MessageInputs {
        verification_message_template: input.verification_message_template,
        email_verification_message: input.email_verification_message,
        email_verification_subject: input.email_verification_subject,
        sms_verification_message: input.sms_verification_message,
        sms_authentication_message: input.sms_authentication_message,
    })?;
    let (auto_verified_attributes, user_attribute_update_settings) = verification_settings(
        input.auto_verified_attributes,
        input.user_attribute_update_settings,
    )?;
    let settings = PoolSettings {
        password_policy: input
            .policies
            .and_then(|p| p.password_policy)
            .unwrap_or_default(),
        admin_create_user_config: admin_create_user_config(input.admin_create_user_config)?,
        email_configuration: email_configuration(input.email_configuration)?,
        // Templates left out return to Cognito's defaults, like every other member.
        verification_message_template: messages.verification_message_template,
        sms_authentication_message: messages.sms_authentication_message,
        auto_verified_attributes,
        user_attribute_update_settings,
        lockout: pool.settings.lockout.clone(),
    };
    services
        .replace_pool_settings(&pool, settings)
        .await
        .map_err(failed)?;
    Ok(empty())
}
