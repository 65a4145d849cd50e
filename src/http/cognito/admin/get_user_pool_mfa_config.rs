//! `GetUserPoolMfaConfig`: the pool's MFA configuration (the TOTP, e-mail and SMS factors),
//! in the shape `SetUserPoolMfaConfig` also answers with.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::{input, output};
use super::pool;
use crate::auth::Services;
use crate::domain::pool_config::SmsConfiguration;
use crate::http::error::ApiError;
use crate::manage::mfa_config::PoolMfaConfig;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
}

/// Cognito's `SoftwareTokenMfaConfigType`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SoftwareTokenConfigType {
    pub enabled: Option<bool>,
}

/// Cognito's `EmailMfaConfigType`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EmailMfaConfigType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// Cognito's `SmsMfaConfigType`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SmsMfaConfigType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_authentication_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_configuration: Option<SmsConfiguration>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MfaConfigOutput {
    mfa_configuration: &'static str,
    software_token_mfa_configuration: SoftwareTokenConfigType,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_mfa_configuration: Option<EmailMfaConfigType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_mfa_configuration: Option<SmsMfaConfigType>,
}

impl From<&PoolMfaConfig> for MfaConfigOutput {
    fn from(config: &PoolMfaConfig) -> Self {
        Self {
            mfa_configuration: config.mfa_configuration.as_str(),
            software_token_mfa_configuration: SoftwareTokenConfigType {
                enabled: Some(config.software_token.enabled),
            },
            email_mfa_configuration: config.email.as_ref().map(|e| EmailMfaConfigType {
                message: e.message.clone(),
                subject: e.subject.clone(),
            }),
            sms_mfa_configuration: config.sms.as_ref().map(|s| SmsMfaConfigType {
                sms_authentication_message: s.sms_authentication_message.clone(),
                sms_configuration: s.sms_configuration.clone(),
            }),
        }
    }
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    Ok(output(&MfaConfigOutput::from(&PoolMfaConfig::of(&pool))))
}
