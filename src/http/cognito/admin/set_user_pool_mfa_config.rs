//! `SetUserPoolMfaConfig`: `MfaConfiguration` (`OFF`, `OPTIONAL`, `ON`),
//! `SoftwareTokenMfaConfiguration`, `EmailMfaConfiguration` (e-mailed codes, `EMAIL_OTP`)
//! and `SmsMfaConfiguration` (texted codes, `SMS_MFA`, held in the outbox: Gatehouse has
//! no carrier). The answer is the configuration now in force, as `GetUserPoolMfaConfig`
//! gives it.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{SURFACE, constraint, failed, input, output};
use super::get_user_pool_mfa_config::{
    EmailMfaConfigType, MfaConfigOutput, SmsMfaConfigType, SoftwareTokenConfigType,
};
use super::pool;
use crate::auth::Services;
use crate::domain::pool::{
    EmailMfaConfiguration, SmsMfaConfiguration, SoftwareTokenMfaConfiguration,
};
use crate::domain::pool_config::MfaConfiguration;
use crate::http::error::ApiError;
use crate::manage::mfa_config::PoolMfaConfig;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    mfa_configuration: Option<String>,
    software_token_mfa_configuration: Option<SoftwareTokenConfigType>,
    email_mfa_configuration: Option<EmailMfaConfigType>,
    sms_mfa_configuration: Option<SmsMfaConfigType>,
}

/// Cognito's bounds on the e-mailed code's message and subject.
const MESSAGE_CHARS: std::ops::RangeInclusive<usize> = 6..=20_000;
const SUBJECT_CHARS: std::ops::RangeInclusive<usize> = 1..=140;

fn email_config(raw: EmailMfaConfigType) -> Result<EmailMfaConfiguration, ApiError> {
    if let Some(message) = &raw.message
        && (!MESSAGE_CHARS.contains(&message.chars().count()) || !message.contains("{####}"))
    {
        return Err(ApiError::invalid_parameter(
            "EmailMfaConfiguration.Message must be 6-20000 characters and contain {####}",
            SURFACE,
        ));
    }
    if let Some(subject) = &raw.subject
        && (!SUBJECT_CHARS.contains(&subject.chars().count())
            || subject.chars().any(char::is_control))
    {
        return Err(ApiError::invalid_parameter(
            "EmailMfaConfiguration.Subject must be 1-140 characters on one line",
            SURFACE,
        ));
    }
    Ok(EmailMfaConfiguration {
        message: raw.message,
        subject: raw.subject,
    })
}

/// Cognito's bounds on the texted code's message.
const SMS_MESSAGE_CHARS: std::ops::RangeInclusive<usize> = 6..=140;

fn sms_config(raw: SmsMfaConfigType) -> Result<SmsMfaConfiguration, ApiError> {
    if let Some(message) = &raw.sms_authentication_message
        && (!SMS_MESSAGE_CHARS.contains(&message.chars().count()) || !message.contains("{####}"))
    {
        return Err(ApiError::invalid_parameter(
            "SmsMfaConfiguration.SmsAuthenticationMessage must be 6-140 characters and \
             contain {####}",
            SURFACE,
        ));
    }
    if let Some(sms) = &raw.sms_configuration {
        sms.validate()
            .map_err(|message| ApiError::invalid_parameter(message, SURFACE))?;
    }
    Ok(SmsMfaConfiguration {
        sms_authentication_message: raw.sms_authentication_message,
        sms_configuration: raw.sms_configuration,
    })
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let mfa_configuration = match input.mfa_configuration.as_deref() {
        None => None,
        Some(raw) => Some(MfaConfiguration::parse(raw).ok_or_else(|| {
            constraint(
                "mfaConfiguration",
                "Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
            )
        })?),
    };
    let sms = input.sms_mfa_configuration.map(sms_config).transpose()?;
    let email = input
        .email_mfa_configuration
        .map(email_config)
        .transpose()?;
    let pool = pool(services, input.user_pool_id).await?;
    let current = PoolMfaConfig::of(&pool);
    // As in Cognito, what the request leaves out is kept.
    let config = PoolMfaConfig {
        mfa_configuration: mfa_configuration.unwrap_or(current.mfa_configuration),
        software_token: input.software_token_mfa_configuration.map_or(
            current.software_token,
            |t| SoftwareTokenMfaConfiguration {
                enabled: t.enabled.unwrap_or(false),
            },
        ),
        email: email.or(current.email),
        sms: sms.or(current.sms),
    };
    let stored = services
        .set_pool_mfa_config(&pool, config)
        .await
        .map_err(failed)?;
    Ok(output(&MfaConfigOutput::from(&stored)))
}
