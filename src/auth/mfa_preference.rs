//! Which second factors a user has and prefers: `SetUserMFAPreference` (the user, by access
//! token), `AdminSetUserMFAPreference` (an operator), and the `UserMFASettingList` /
//! `PreferredMfaSetting` that `GetUser` and `AdminGetUser` report. Only TOTP
//! (`SOFTWARE_TOKEN_MFA`) is a factor Gatehouse has (docs/cognito-compatibility.md).

use crate::domain::user::User;

use super::audit::AuditEvent;
use super::mfa_challenge::SOFTWARE_TOKEN_MFA;
use super::{AuthError, Services};

/// Cognito's `SoftwareTokenMfaSettingsType`: `None` leaves a flag as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotpPreference {
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// A user's factors as GetUser reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaSettings {
    /// `UserMFASettingList`: the enabled factors.
    pub enabled: Vec<&'static str>,
    /// `PreferredMfaSetting`.
    pub preferred: Option<&'static str>,
}

impl Services {
    pub async fn mfa_settings(&self, user: &User) -> Result<MfaSettings, AuthError> {
        let Some(mfa) = self.store.mfa_of(&user.sub).await? else {
            return Ok(MfaSettings::default());
        };
        let enabled = mfa.totp_secret.is_some() && mfa.totp_enabled;
        Ok(MfaSettings {
            enabled: if enabled {
                vec![SOFTWARE_TOKEN_MFA]
            } else {
                Vec::new()
            },
            preferred: (enabled && mfa.totp_preferred).then_some(SOFTWARE_TOKEN_MFA),
        })
    }

    /// Sets the user's TOTP preference. Enabling or preferring needs a verified app;
    /// disabling also drops the preference, and preferring enables.
    pub async fn set_mfa_preference(
        &self,
        user: &User,
        totp: TotpPreference,
        by_admin: bool,
    ) -> Result<(), AuthError> {
        let (enabled, preferred) = match (totp.enabled, totp.preferred) {
            (Some(false), _) => (Some(false), Some(false)),
            (enabled, Some(true)) => (enabled.or(Some(true)), Some(true)),
            other => other,
        };
        if enabled.is_none() && preferred.is_none() {
            return Ok(());
        }
        let applied = self
            .store
            .set_totp_preference(&user.sub, enabled, preferred, self.clock.now())
            .await?;
        let turning_on = enabled == Some(true) || preferred == Some(true);
        if !applied && turning_on {
            return Err(AuthError::InvalidParameter(
                "User has not verified software token mfa".into(),
            ));
        }
        AuditEvent::for_user("mfa_preference_set", &user.pool_id, user)
            .with_reason(if by_admin { "admin" } else { "user" })
            .emit();
        Ok(())
    }
}
