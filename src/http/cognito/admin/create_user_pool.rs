//! `CreateUserPool`: the pool's name is the `TenantName` `/Login` uses, so it must be unique.
//! Settings left out take Cognito's defaults, self-registration allowed included.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolType};
use super::super::{failed, input, output, required};
use super::pool_messages::{
    InviteMessageTemplateInput, MessageInputs, UserAttributeUpdateSettingsInput,
    VerificationMessageTemplateInput, invite_message_template, message_settings,
    verification_settings,
};
use crate::auth::Services;
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{PoolName, PoolSettings};
use crate::http::error::ApiError;
use crate::manage::pools::FixedIds;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    pool_name: Option<String>,
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
    pub invite_message_template: Option<InviteMessageTemplateInput>,
}

/// The stored setting for an input that may leave it out.
pub(super) fn admin_create_user_config(
    input: Option<AdminCreateUserConfig>,
) -> Result<crate::domain::pool::AdminCreateUserConfig, ApiError> {
    let default = crate::domain::pool::AdminCreateUserConfig::COGNITO_DEFAULT;
    let (only, invitation) = match input {
        Some(config) => (
            config.allow_admin_create_user_only,
            config.invite_message_template,
        ),
        None => (None, None),
    };
    Ok(crate::domain::pool::AdminCreateUserConfig {
        allow_admin_create_user_only: only.unwrap_or(default.allow_admin_create_user_only),
        invite_message_template: invite_message_template(invitation)?,
    })
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
        verification_message_template: messages.verification_message_template,
        sms_authentication_message: messages.sms_authentication_message,
        auto_verified_attributes,
        user_attribute_update_settings,
        ..PoolSettings::default()
    };
    let (pool, _) = services
        .create_pool(&name, settings, FixedIds::default())
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool: shapes::pool(&pool, Some(0)),
    }))
}
