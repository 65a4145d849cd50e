//! A pool's MFA configuration (`SetUserPoolMfaConfig` / `GetUserPoolMfaConfig`): whether
//! sign-ins ask for a second factor (`OFF`, `OPTIONAL`, `ON`) and which factors exist. Kept
//! in the pool's settings document; sign-ins see a change from the next request.

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::pool::{
    EmailMfaConfiguration, SmsMfaConfiguration, SoftwareTokenMfaConfiguration, UserPool,
};
use crate::domain::pool_config::MfaConfiguration;

/// The part of a pool's settings SetUserPoolMfaConfig replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolMfaConfig {
    pub mfa_configuration: MfaConfiguration,
    pub software_token: SoftwareTokenMfaConfiguration,
    pub email: Option<EmailMfaConfiguration>,
    pub sms: Option<SmsMfaConfiguration>,
}

impl PoolMfaConfig {
    pub fn of(pool: &UserPool) -> Self {
        Self {
            mfa_configuration: pool.settings.mfa_configuration,
            software_token: pool.settings.software_token_mfa_configuration,
            email: pool.settings.email_mfa_configuration.clone(),
            sms: pool.settings.sms_mfa_configuration.clone(),
        }
    }
}

impl Services {
    /// Stores a pool's MFA configuration, its messages checked as Cognito checks them.
    /// `OPTIONAL` and `ON` need at least one factor: software tokens enabled, or an e-mail
    /// or SMS configuration.
    pub async fn set_pool_mfa_config(
        &self,
        pool: &UserPool,
        config: PoolMfaConfig,
    ) -> Result<PoolMfaConfig, AuthError> {
        for check in [
            config.email.as_ref().map(EmailMfaConfiguration::check),
            config.sms.as_ref().map(SmsMfaConfiguration::check),
        ]
        .into_iter()
        .flatten()
        {
            check.map_err(AuthError::InvalidParameter)?;
        }
        let any_factor =
            config.software_token.enabled || config.email.is_some() || config.sms.is_some();
        if config.mfa_configuration != MfaConfiguration::Off && !any_factor {
            return Err(AuthError::InvalidParameter(
                "Invalid MFA configuration given, can't turn on MFA without any enabled MFA \
                 factor"
                    .into(),
            ));
        }
        let mut settings = pool.settings.clone();
        settings.mfa_configuration = config.mfa_configuration;
        settings.software_token_mfa_configuration = config.software_token;
        settings.email_mfa_configuration = config.email.clone();
        settings.sms_mfa_configuration = config.sms.clone();
        // Cognito's SmsMfaConfiguration is the pool's SMS wording and configuration.
        if let Some(sms) = &config.sms {
            settings.sms_authentication_message = sms.sms_authentication_message.clone();
            settings.sms_configuration = sms.sms_configuration.clone();
        }
        if !self
            .store
            .update_pool_settings(&pool.id, &settings, self.clock.now())
            .await?
        {
            return Err(AuthError::ResourceNotFound(format!(
                "User pool {} does not exist.",
                pool.id
            )));
        }
        AuditEvent::new("pool_mfa_config_set", pool.id.as_str(), Outcome::Success).emit();
        Ok(config)
    }
}
