//! `SetUserPoolMfaConfig`: `MfaConfiguration` (`OFF`, `OPTIONAL`, `ON`),
//! `SoftwareTokenMfaConfiguration`, `EmailMfaConfiguration` (e-mailed codes, `EMAIL_OTP`)
//! and `SmsMfaConfiguration` (texted codes, `SMS_MFA`, held in the outbox: Gatehouse has
//! no carrier). The answer is the configuration now in force, as `GetUserPoolMfaConfig`
//! gives it.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{constraint, failed, input, output};
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

fn email_config(raw: EmailMfaConfigType) -> EmailMfaConfiguration {
    EmailMfaConfiguration {
        message: raw.message,
        subject: raw.subject,
    }
}

fn sms_config(raw: SmsMfaConfigType) -> SmsMfaConfiguration {
    SmsMfaConfiguration {
        sms_authentication_message: raw.sms_authentication_message,
        sms_configuration: raw.sms_configuration,
    }
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
    // Checked by the use case, with what a seed file declares.
    let sms = input.sms_mfa_configuration.map(sms_config);
    let email = input.email_mfa_configuration.map(email_config);
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
