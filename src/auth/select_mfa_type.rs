//! `SELECT_MFA_TYPE`: a user with several second factors and no preferred one chooses one
//! (`ANSWER` = `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP` or `SMS_MFA`) and is challenged with it. The
//! choosing session is spent by the choice and a new one, bound to the same pool, client and
//! user, stands for the chosen factor (for a sent-code factor, with its code sent now).

use std::collections::BTreeMap;

use crate::crypto::opaque::hash_secret_token;
use crate::domain::secret::SecretString;
use crate::domain::username::Username;

use super::audit::AuditEvent;
use super::mfa_challenge::{MfaChallenge, SELECT_MFA_TYPE, SOFTWARE_TOKEN_MFA, usable_factors};
use super::otp_mfa::otp_factor;
use super::sign_in::SignInTarget;
use super::{AuthError, NotAuthorized, Services};

/// An answer to `SELECT_MFA_TYPE`.
#[derive(Debug)]
pub struct MfaChoice {
    pub target: SignInTarget,
    /// Required by the Cognito API; optional on the login API.
    pub username: Option<Username>,
    pub session: SecretString,
    /// `ANSWER`, already one of the factor names.
    pub factor: &'static str,
}

impl Services {
    pub async fn choose_mfa_type(&self, choice: MfaChoice) -> Result<MfaChallenge, AuthError> {
        let result = self.try_choose_mfa_type(&choice).await;
        if let Err(error) = &result {
            let target = match &choice.target {
                SignInTarget::LoginName(name) => name.clone(),
                SignInTarget::Client(id) => id.to_string(),
            };
            let (outcome, reason) = error.audit();
            let event = AuditEvent::new("sign_in", &target, outcome).with_reason(reason);
            match &choice.username {
                Some(name) => event.with_username(name.as_str()).emit(),
                None => event.emit(),
            }
        }
        result
    }

    async fn try_choose_mfa_type(&self, choice: &MfaChoice) -> Result<MfaChallenge, AuthError> {
        let now = self.clock.now();
        let session_hash = hash_secret_token(&choice.session);
        let (_, pool, user, client) = self
            .bound_challenge(
                &choice.target,
                choice.username.as_ref(),
                &session_hash,
                SELECT_MFA_TYPE,
                now,
            )
            .await?;
        // Only a factor the user can be challenged with now: one turned off since the
        // sign-in began is no longer on offer.
        let mfa = self.store.mfa_of(&user.sub).await?;
        let (usable, _) = usable_factors(&pool, &user, mfa.as_ref());
        if !usable.contains(&choice.factor) {
            return Err(AuthError::InvalidParameter(format!(
                "MFA type {} is not enabled for this user",
                choice.factor
            )));
        }
        // A sent code's message is worded before the choosing session is spent: a
        // CustomMessage function that fails leaves that session as a refused choice does
        // (open, until it expires, for another choice), and no code exists.
        let message = match otp_factor(choice.factor) {
            Some(factor) => Some(
                self.word_otp_message(&pool, &client.id, &user, factor, &BTreeMap::new())
                    .await?,
            ),
            None => None,
        };
        let taken = self
            .store
            .take_challenge(&session_hash, now)
            .await?
            .ok_or(AuthError::NotAuthorized(NotAuthorized::InvalidSession))?;
        let session = self.next_challenge(&taken, choice.factor, now).await?;
        let delivery = match message {
            Some(message) => {
                let expires_at = self
                    .store
                    .challenge(&hash_secret_token(&session))
                    .await?
                    .map_or(now, |c| c.expires_at);
                Some(
                    self.send_otp_code(&pool, &user, message, &session, expires_at)
                        .await?,
                )
            }
            None => None,
        };
        Ok(MfaChallenge {
            name: choice.factor,
            session,
            username: user.username.clone(),
            device_name: mfa
                .filter(|_| choice.factor == SOFTWARE_TOKEN_MFA)
                .and_then(|m| m.totp_device_name),
            delivery,
            factors: Vec::new(),
        })
    }
}
