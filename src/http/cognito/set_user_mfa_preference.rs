//! `SetUserMFAPreference`: the signed-in user turns their TOTP factor on or off and marks it
//! preferred. `AdminSetUserMFAPreference` reads the same settings through
//! [`MfaPreferences`]. SMS and e-mail factors are not implemented: enabling one is refused,
//! disabling one is a no-op.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{SURFACE, empty, failed, input, required, token};
use crate::auth::Services;
use crate::auth::mfa_preference::TotpPreference;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

/// Cognito's `SoftwareTokenMfaSettingsType` (and the SMS and e-mail ones, same shape).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FactorSettings {
    enabled: Option<bool>,
    preferred_mfa: Option<bool>,
}

/// The factor settings both operations take.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MfaPreferences {
    software_token_mfa_settings: Option<FactorSettings>,
    #[serde(rename = "SMSMfaSettings")]
    sms_mfa_settings: Option<FactorSettings>,
    email_mfa_settings: Option<FactorSettings>,
}

impl MfaPreferences {
    /// The TOTP preference; turning on a factor Gatehouse lacks is refused.
    pub(super) fn totp(self) -> Result<TotpPreference, ApiError> {
        for (name, other) in [
            ("SMS", self.sms_mfa_settings),
            ("Email", self.email_mfa_settings),
        ] {
            if other.is_some_and(|s| s.enabled == Some(true) || s.preferred_mfa == Some(true)) {
                return Err(ApiError::invalid_parameter(
                    format!("{name} MFA is not supported by Gatehouse"),
                    SURFACE,
                ));
            }
        }
        let totp = self.software_token_mfa_settings.unwrap_or_default();
        Ok(TotpPreference {
            enabled: totp.enabled,
            preferred: totp.preferred_mfa,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    #[serde(flatten)]
    preferences: MfaPreferences,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let totp = input.preferences.totp()?;
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)?;
    services
        .set_mfa_preference(&caller.user, totp, false)
        .await
        .map_err(failed)?;
    Ok(empty())
}
