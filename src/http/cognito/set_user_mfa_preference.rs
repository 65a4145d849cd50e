//! `SetUserMFAPreference`: the signed-in user turns their factors (TOTP, e-mailed codes,
//! texted codes) on or off and marks one preferred. `AdminSetUserMFAPreference` reads the
//! same settings through [`MfaPreferences`].

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{empty, failed, input, required, token};
use crate::auth::Services;
use crate::auth::mfa_preference::{self, FactorPreference};
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

impl FactorSettings {
    fn preference(self) -> FactorPreference {
        FactorPreference {
            enabled: self.enabled,
            preferred: self.preferred_mfa,
        }
    }
}

impl MfaPreferences {
    /// Every factor's settings, as the use case takes them.
    pub(super) fn preferences(self) -> mfa_preference::MfaPreferences {
        mfa_preference::MfaPreferences {
            totp: self
                .software_token_mfa_settings
                .unwrap_or_default()
                .preference(),
            email: self.email_mfa_settings.unwrap_or_default().preference(),
            sms: self.sms_mfa_settings.unwrap_or_default().preference(),
        }
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
    let preferences = input.preferences.preferences();
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)?;
    services
        .set_mfa_preferences(&caller.user, preferences, false)
        .await
        .map_err(failed)?;
    Ok(empty())
}
