//! Sent sign-in codes as the second factor: `EMAIL_OTP` (eight digits by e-mail, as Cognito
//! sends them) and `SMS_MFA` (six digits by text message, held in the outbox: Gatehouse has
//! no carrier). The code goes out when the challenge is made, worded by the pool's
//! `EmailMfaConfiguration` / `SmsMfaConfiguration` (or by its `CustomMessage` function,
//! `CustomMessage_Authentication`, docs/triggers.md), and only to an address or number the
//! user has verified. A user has one live code: a new challenge's code replaces the last.
//! The code is stored only as a hash of the challenge session and the code together, so the
//! database alone cannot test guesses, and a code answers only the session it was sent for;
//! it is spent by one conditional update (docs/security.md, "Multi-factor authentication").

use std::collections::BTreeMap;

use rand::TryRng;
use rand::rngs::SysRng;

use crate::crypto::opaque::hash_secret_token;
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::ClientId;
use crate::domain::message::{Medium, MessageContent, MessageKind};
use crate::domain::message_template::Template;
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::User;
use crate::store::{MfaRecord, OtpFactor};
use crate::triggers::custom_message::CustomMessageSource;

use super::messages::{CodeDelivery, WordingRequest};
use super::{AuthError, Services};

pub const EMAIL_OTP: &str = "EMAIL_OTP";
pub const SMS_MFA: &str = "SMS_MFA";

/// Digits of a sign-in code: Cognito e-mails eight and texts six.
pub fn code_digits(factor: OtpFactor) -> usize {
    match factor {
        OtpFactor::Email => 8,
        OtpFactor::Sms => 6,
    }
}

/// The factor a challenge name stands for, if it is one of the sent-code factors.
pub fn otp_factor(challenge_name: &str) -> Option<OtpFactor> {
    match challenge_name {
        EMAIL_OTP => Some(OtpFactor::Email),
        SMS_MFA => Some(OtpFactor::Sms),
        _ => None,
    }
}

pub fn challenge_name(factor: OtpFactor) -> &'static str {
    match factor {
        OtpFactor::Email => EMAIL_OTP,
        OtpFactor::Sms => SMS_MFA,
    }
}

/// Cognito's default wording of sign-in codes, when the pool's MFA configuration has none.
const DEFAULT_EMAIL_SUBJECT: &str = "Your sign-in code";
const DEFAULT_EMAIL_MESSAGE: &str = "Your sign-in code is {####}.";
const DEFAULT_SMS_MESSAGE: &str = "Your authentication code is {####}.";

/// The verified address or number a factor's code goes to, if the user has one.
pub(super) fn verified_destination(user: &User, factor: OtpFactor) -> Option<String> {
    let (attribute, flag) = match factor {
        OtpFactor::Email => ("email", "email_verified"),
        OtpFactor::Sms => ("phone_number", "phone_number_verified"),
    };
    (user.attributes.get(flag) == Some("true"))
        .then(|| user.attributes.get(attribute).map(str::to_owned))
        .flatten()
}

/// Whether the user has `factor` on, the pool offers it, and it has somewhere to go.
pub(super) fn otp_factor_usable(
    pool: &UserPool,
    user: &User,
    mfa: &MfaRecord,
    factor: OtpFactor,
) -> bool {
    let (offered, enabled) = match factor {
        OtpFactor::Email => (
            pool.settings.email_mfa_configuration.is_some(),
            mfa.email_enabled,
        ),
        OtpFactor::Sms => (
            pool.settings.sms_mfa_configuration.is_some(),
            mfa.sms_enabled,
        ),
    };
    offered && enabled && verified_destination(user, factor).is_some()
}

/// What a code is stored as: bound to the session it was sent with.
fn code_hash(session: &SecretString, code: &str) -> String {
    hash_secret_token(&secret(format!(
        "mfa-code\n{}\n{code}",
        session.expose_secret()
    )))
    .as_str()
    .to_owned()
}

fn random_code(digits: usize) -> Result<String, AuthError> {
    let mut bytes = [0u8; 8];
    SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(AuthError::internal)?;
    let modulus = 10_u64.pow(u32::try_from(digits).map_err(AuthError::internal)?);
    // 64 random bits reduced modulo at most 10^8: the bias is below 10^-10.
    Ok(format!(
        "{:0digits$}",
        u64::from_le_bytes(bytes) % modulus,
        digits = digits
    ))
}

/// The message a sign-in code will go out in: worded and addressed, before the code exists.
pub(super) struct CodeMessage {
    factor: OtpFactor,
    destination: String,
    /// Placeholders still in it.
    template: Template,
}

/// The pool's wording of sign-in codes sent by `factor` (its MFA configuration, or
/// Cognito's default).
fn pool_template(pool: &UserPool, factor: OtpFactor) -> Template {
    match factor {
        OtpFactor::Email => {
            let config = pool.settings.email_mfa_configuration.as_ref();
            Template {
                medium: Medium::Email,
                subject: config
                    .and_then(|c| c.subject.clone())
                    .unwrap_or_else(|| DEFAULT_EMAIL_SUBJECT.to_owned()),
                body: config
                    .and_then(|c| c.message.clone())
                    .unwrap_or_else(|| DEFAULT_EMAIL_MESSAGE.to_owned()),
            }
        }
        OtpFactor::Sms => Template {
            medium: Medium::Sms,
            subject: String::new(),
            body: pool
                .settings
                .sms_mfa_configuration
                .as_ref()
                .and_then(|c| c.sms_authentication_message.clone())
                .or_else(|| pool.settings.sms_authentication_message.clone())
                .unwrap_or_else(|| DEFAULT_SMS_MESSAGE.to_owned()),
        },
    }
}

impl Services {
    /// Words the message a sign-in code for `factor` will go out in, to the user's verified
    /// destination: the pool's MFA wording, or that of the pool's `CustomMessage` function
    /// (`CustomMessage_Authentication`), which sees the placeholders and never the code.
    /// Called before the challenge and its code are stored, so a function that fails (or
    /// answers without `{####}`) fails the sign-in with nothing stored that could be
    /// answered, and the user's earlier code, if any, stays as it was.
    pub(super) async fn word_otp_message(
        &self,
        pool: &UserPool,
        client: &ClientId,
        user: &User,
        factor: OtpFactor,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<CodeMessage, AuthError> {
        let destination = verified_destination(user, factor).ok_or_else(|| {
            AuthError::InvalidParameter(format!(
                "User does not have a verified {} to receive the code",
                match factor {
                    OtpFactor::Email => "email",
                    OtpFactor::Sms => "phone_number",
                }
            ))
        })?;
        let template = pool_template(pool, factor);
        let asked = WordingRequest {
            source: CustomMessageSource::Authentication,
            medium: template.medium,
            user,
            client: Some(client),
            client_metadata,
        };
        let template = self.worded(pool, template, &asked).await?;
        Ok(CodeMessage {
            factor,
            destination,
            template,
        })
    }

    /// Makes a code for the challenge `session`, stores its hash (replacing the user's last
    /// code) valid until `expires_at`, and sends it in `message`.
    pub(super) async fn send_otp_code(
        &self,
        pool: &UserPool,
        user: &User,
        message: CodeMessage,
        session: &SecretString,
        expires_at: UnixSeconds,
    ) -> Result<CodeDelivery, AuthError> {
        let code = random_code(code_digits(message.factor))?;
        let now = self.clock.now();
        self.store
            .put_otp_code(
                &user.sub,
                message.factor,
                &code_hash(session, &code),
                expires_at,
                now,
            )
            .await?;
        let content = MessageContent::render(&message.template, &user.username, &code);
        self.queue_message(
            pool,
            message.template.medium,
            &message.destination,
            MessageKind::MfaCode,
            &content,
        )
        .await
    }

    /// Spends the user's live code if `code` is it, for this session and factor.
    pub(super) async fn use_otp_code(
        &self,
        user: &User,
        factor: OtpFactor,
        session: &SecretString,
        code: &SecretString,
        now: UnixSeconds,
    ) -> Result<bool, AuthError> {
        let digits = code.expose_secret();
        if digits.len() != code_digits(factor) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(false);
        }
        Ok(self
            .store
            .use_otp_code(&user.sub, factor, &code_hash(session, digits), now)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_factors_length() {
        for _ in 0..50 {
            let email = random_code(code_digits(OtpFactor::Email)).unwrap();
            assert_eq!(email.len(), 8);
            assert!(email.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(random_code(code_digits(OtpFactor::Sms)).unwrap().len(), 6);
        }
    }

    #[test]
    fn a_code_hash_is_bound_to_its_session() {
        let one = secret("s".repeat(43));
        let two = secret("t".repeat(43));
        assert_eq!(code_hash(&one, "12345678"), code_hash(&one, "12345678"));
        assert_ne!(code_hash(&one, "12345678"), code_hash(&two, "12345678"));
        assert_ne!(code_hash(&one, "12345678"), code_hash(&one, "12345679"));
    }
}
