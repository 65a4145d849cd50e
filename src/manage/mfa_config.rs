//! A pool's MFA configuration (`SetUserPoolMfaConfig` / `GetUserPoolMfaConfig`): whether
//! sign-ins ask for a second factor (`OFF`, `OPTIONAL`, `ON`) and which factors exist. Kept
//! in the pool's settings document; sign-ins see a change from the next request.

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::pool::{EmailMfaConfiguration, SoftwareTokenMfaConfiguration, UserPool};
use crate::domain::pool_config::MfaConfiguration;

/// The part of a pool's settings SetUserPoolMfaConfig replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolMfaConfig {
    pub mfa_configuration: MfaConfiguration,
    pub software_token: SoftwareTokenMfaConfiguration,
    pub email: Option<EmailMfaConfiguration>,
}

impl PoolMfaConfig {
    pub fn of(pool: &UserPool) -> Self {
        Self {
            mfa_configuration: pool.settings.mfa_configuration,
            software_token: pool.settings.software_token_mfa_configuration,
            email: pool.settings.email_mfa_configuration.clone(),
        }
    }
}

impl Services {
    /// Stores a pool's MFA configuration. `OPTIONAL` and `ON` need a factor users can set
    /// up, and the one Gatehouse has is TOTP: so they need software tokens enabled.
    pub async fn set_pool_mfa_config(
        &self,
        pool: &UserPool,
        config: PoolMfaConfig,
    ) -> Result<PoolMfaConfig, AuthError> {
        if config.mfa_configuration != MfaConfiguration::Off && !config.software_token.enabled {
            return Err(AuthError::InvalidParameter(
                "Invalid MFA configuration given, can't turn on MFA without any enabled MFA \
                 factor; enable SoftwareTokenMfaConfiguration"
                    .into(),
            ));
        }
        let mut settings = pool.settings.clone();
        settings.mfa_configuration = config.mfa_configuration;
        settings.software_token_mfa_configuration = config.software_token;
        settings.email_mfa_configuration = config.email.clone();
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
