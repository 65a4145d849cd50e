//! Which second factors a user has and prefers: `SetUserMFAPreference` (the user, by access
//! token), `AdminSetUserMFAPreference` (an operator), and the `UserMFASettingList` /
//! `PreferredMfaSetting` that `GetUser` and `AdminGetUser` report. The factors are TOTP
//! (`SOFTWARE_TOKEN_MFA`), e-mailed codes (`EMAIL_OTP`) and texted codes (`SMS_MFA`); a
//! sent-code factor needs a verified address or number, and at most one factor is preferred.

use crate::domain::user::User;
use crate::store::OtpFactor;

use super::audit::AuditEvent;
use super::mfa_challenge::SOFTWARE_TOKEN_MFA;
use super::otp_mfa::{EMAIL_OTP, SMS_MFA, verified_destination};
use super::{AuthError, Services};

/// Cognito's `SoftwareTokenMfaSettingsType` (and the e-mail and SMS ones, same shape):
/// `None` leaves a flag as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotpPreference {
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// One factor's settings; the same shape for every factor.
pub type FactorPreference = TotpPreference;

impl FactorPreference {
    /// Disabling drops the preference; preferring enables.
    fn normalised(self) -> Self {
        let (enabled, preferred) = match (self.enabled, self.preferred) {
            (Some(false), _) => (Some(false), Some(false)),
            (enabled, Some(true)) => (enabled.or(Some(true)), Some(true)),
            other => other,
        };
        Self { enabled, preferred }
    }

    fn turns_on(self) -> bool {
        self.enabled == Some(true) || self.preferred == Some(true)
    }
}

/// What SetUserMFAPreference / AdminSetUserMFAPreference ask, per factor.
#[derive(Debug, Clone, Copy, Default)]
pub struct MfaPreferences {
    pub totp: FactorPreference,
    pub email: FactorPreference,
    pub sms: FactorPreference,
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
        let factors = [
            (SMS_MFA, mfa.sms_enabled, mfa.sms_preferred),
            (
                SOFTWARE_TOKEN_MFA,
                mfa.totp_secret.is_some() && mfa.totp_enabled,
                mfa.totp_preferred,
            ),
            (EMAIL_OTP, mfa.email_enabled, mfa.email_preferred),
        ];
        Ok(MfaSettings {
            enabled: factors
                .iter()
                .filter_map(|(name, enabled, _)| enabled.then_some(*name))
                .collect(),
            preferred: factors
                .iter()
                .find(|(_, enabled, preferred)| *enabled && *preferred)
                .map(|(name, _, _)| *name),
        })
    }

    /// Sets the user's preferences for every factor. A sent-code factor is turned on only
    /// for a user with a verified address (e-mail) or number (SMS); TOTP only with a
    /// verified app. Preferring one factor stops the others being preferred.
    pub async fn set_mfa_preferences(
        &self,
        user: &User,
        preferences: MfaPreferences,
        by_admin: bool,
    ) -> Result<(), AuthError> {
        let totp = preferences.totp.normalised();
        let email = preferences.email.normalised();
        let sms = preferences.sms.normalised();
        let preferring = [totp, email, sms]
            .iter()
            .filter(|p| p.preferred == Some(true))
            .count();
        if preferring > 1 {
            return Err(AuthError::InvalidParameter(
                "Only one MFA method can be preferred".into(),
            ));
        }
        for (factor, preference, name) in [
            (OtpFactor::Email, email, EMAIL_OTP),
            (OtpFactor::Sms, sms, SMS_MFA),
        ] {
            if preference.turns_on() && verified_destination(user, factor).is_none() {
                return Err(AuthError::InvalidParameter(format!(
                    "User does not have delivery config set to turn on {name}"
                )));
            }
        }
        let unprefer = |p: FactorPreference| {
            if preferring == 1 && p.preferred != Some(true) {
                FactorPreference {
                    enabled: p.enabled,
                    preferred: Some(false),
                }
            } else {
                p
            }
        };
        // TOTP first: it is the one that can be refused (no verified app).
        let totp = unprefer(totp);
        if totp.enabled.is_some() || totp.preferred.is_some() {
            let now = self.clock.now();
            let applied = self
                .store
                .set_totp_preference(&user.sub, totp.enabled, totp.preferred, now)
                .await?;
            if !applied && totp.turns_on() {
                return Err(AuthError::InvalidParameter(
                    "User has not verified software token mfa".into(),
                ));
            }
        }
        for (factor, preference) in [(OtpFactor::Email, email), (OtpFactor::Sms, sms)] {
            let preference = unprefer(preference);
            if preference.enabled.is_some() || preference.preferred.is_some() {
                self.store
                    .set_otp_preference(
                        &user.sub,
                        factor,
                        preference.enabled,
                        preference.preferred,
                        self.clock.now(),
                    )
                    .await?;
            }
        }
        AuditEvent::for_user("mfa_preference_set", &user.pool_id, user)
            .with_reason(if by_admin { "admin" } else { "user" })
            .emit();
        Ok(())
    }

    /// Sets the user's TOTP preference alone (see [`Self::set_mfa_preferences`]).
    pub async fn set_mfa_preference(
        &self,
        user: &User,
        totp: TotpPreference,
        by_admin: bool,
    ) -> Result<(), AuthError> {
        let preferences = MfaPreferences {
            totp,
            ..MfaPreferences::default()
        };
        self.set_mfa_preferences(user, preferences, by_admin).await
    }
}
