//! Verifying a user's e-mail address or phone number: `GetUserAttributeVerificationCode`
//! sends a code to the value the attribute holds, `VerifyUserAttribute` spends it and sets
//! `email_verified` / `phone_number_verified`. A changed address gets its code from the
//! attribute update itself (`update_attributes.rs`, `manage/users.rs`) and stays unverified
//! until the code comes back.
//!
//! Codes are the shared one-time codes of `codes.rs` (six digits, single use, 24 hours, five
//! guesses counted atomically), one per user and attribute, and each is bound to the value it
//! was sent to: once the attribute changes, the old code verifies nothing
//! (docs/cognito-compatibility.md, "Attribute verification").

use std::cell::Cell;

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::messages::CodeDelivery;
use super::{AuthError, Services};
use crate::domain::attributes::UserAttributes;
use crate::domain::message::{Medium, MessageContent, MessageKind};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::User;
use crate::store::CodePurpose;

/// Cognito's validity for an attribute verification code.
pub const VERIFY_CODE_VALIDITY_SECONDS: i64 = 86_400;

/// The attributes that can be verified, how their codes travel, and their flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verifiable {
    pub name: &'static str,
    pub flag: &'static str,
    pub medium: Medium,
    purpose: CodePurpose,
}

pub(crate) const VERIFIABLE: [Verifiable; 2] = [
    Verifiable {
        name: "email",
        flag: "email_verified",
        medium: Medium::Email,
        purpose: CodePurpose::VerifyEmail,
    },
    Verifiable {
        name: "phone_number",
        flag: "phone_number_verified",
        medium: Medium::Sms,
        purpose: CodePurpose::VerifyPhoneNumber,
    },
];

fn verifiable(name: &str) -> Result<Verifiable, AuthError> {
    VERIFIABLE
        .into_iter()
        .find(|v| v.name == name)
        .ok_or_else(|| {
            AuthError::InvalidParameter(format!(
                "Attribute {} cannot be verified: only email and phone_number can",
                printable(name)
            ))
        })
}

/// A caller-supplied name, bounded, for an error message.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// The contact attributes a write left unverified with a value: each needs a code. A write
/// that names the flag itself (an administrator, or a client allowed to write it) has decided
/// the verification, and gets no code.
pub(crate) fn needing_verification(
    changes: &UserAttributes,
    after: &UserAttributes,
) -> Vec<(Verifiable, String)> {
    VERIFIABLE
        .into_iter()
        .filter_map(|v| {
            let written = changes.get(v.name)?;
            let value = after.get(v.name)?;
            (written == value && changes.get(v.flag).is_none() && after.get(v.flag) != Some("true"))
                .then(|| (v, value.to_owned()))
        })
        .collect()
}

impl Services {
    /// Issues a code for `value` of `attribute` and sends it there.
    pub(crate) async fn send_verification_code(
        &self,
        pool: &UserPool,
        user: &User,
        attribute: Verifiable,
        value: &str,
    ) -> Result<CodeDelivery, AuthError> {
        let code = self
            .issue_bound_code(
                user,
                attribute.purpose,
                VERIFY_CODE_VALIDITY_SECONDS,
                Some(value),
            )
            .await?;
        let content = MessageContent::render(
            MessageKind::VerifyAttributeCode,
            &user.username,
            code.expose_secret(),
        );
        self.queue_message(
            pool,
            attribute.medium,
            value,
            MessageKind::VerifyAttributeCode,
            &content,
        )
        .await
    }

    /// `GetUserAttributeVerificationCode`: a fresh code (replacing any earlier one and its
    /// count of guesses) to the value the attribute holds now.
    pub async fn get_user_attribute_verification_code(
        &self,
        access_token: &SecretString,
        attribute_name: &str,
    ) -> Result<CodeDelivery, AuthError> {
        let attribute = verifiable(attribute_name)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let value = caller
            .user
            .attributes
            .get(attribute.name)
            .ok_or_else(|| {
                AuthError::InvalidParameter(format!("User has no {} to verify", attribute.name))
            })?
            .to_owned();
        let delivery = self
            .send_verification_code(&caller.pool, &caller.user, attribute, &value)
            .await?;
        audit(
            "attribute_verification_code_sent",
            &caller,
            Outcome::Success,
        )
        .with_reason(attribute.name)
        .emit();
        Ok(delivery)
    }

    /// `VerifyUserAttribute`: counts the guess, spends the code when it is right and marks the
    /// attribute verified, provided it still holds the value the code was sent to.
    pub async fn verify_user_attribute(
        &self,
        access_token: &SecretString,
        attribute_name: &str,
        code: &SecretString,
    ) -> Result<(), AuthError> {
        let attribute = verifiable(attribute_name)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let Some(value) = caller.user.attributes.get(attribute.name) else {
            // No value, so no code can be live for it.
            return Err(AuthError::ExpiredCode);
        };
        let value = value.to_owned();
        self.check_bound_code(&caller.user, attribute.purpose, code, Some(&value))
            .await?;
        if !self
            .store
            .spend_code(&caller.user.sub, attribute.purpose)
            .await?
        {
            // A concurrent verification with the same code won.
            return Err(AuthError::ExpiredCode);
        }
        let verified = Cell::new(false);
        self.change_attributes(&caller.user, |current| {
            let mut next = current.clone();
            // The attribute may have changed since the code was checked: the code was sent
            // to the old value and proves nothing about the new one.
            let still = current.get(attribute.name) == Some(value.as_str());
            if still {
                next.set(attribute.flag, "true");
            }
            verified.set(still);
            Ok(next)
        })
        .await?;
        if !verified.get() {
            return Err(AuthError::ExpiredCode);
        }
        audit("attribute_verified", &caller, Outcome::Success)
            .with_reason(attribute.name)
            .emit();
        Ok(())
    }

    /// Sends a code for every contact attribute `changes` left unverified (a changed e-mail
    /// address or phone number), as Cognito does after an attribute update.
    pub(crate) async fn send_codes_for_changed_contacts(
        &self,
        pool: &UserPool,
        user: &User,
        changes: &UserAttributes,
    ) -> Result<Vec<CodeDelivery>, AuthError> {
        let Some(stored) = self.store.user_by_sub(&user.sub).await? else {
            return Err(AuthError::UserNotFound);
        };
        let mut deliveries = Vec::new();
        for (attribute, value) in needing_verification(changes, &stored.attributes) {
            deliveries.push(
                self.send_verification_code(pool, &stored, attribute, &value)
                    .await?,
            );
        }
        Ok(deliveries)
    }
}

fn audit<'a>(event: &'static str, caller: &'a AccessContext, outcome: Outcome) -> AuditEvent<'a> {
    AuditEvent::new(event, caller.pool.id.as_str(), outcome)
        .with_user(&caller.user)
        .with_client(caller.client.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_email_and_phone_number_can_be_verified() {
        assert_eq!(verifiable("email").unwrap().flag, "email_verified");
        assert_eq!(verifiable("phone_number").unwrap().medium, Medium::Sms);
        for name in ["name", "email_verified", "custom:email", ""] {
            assert!(matches!(
                verifiable(name),
                Err(AuthError::InvalidParameter(_))
            ));
        }
    }

    #[test]
    fn a_written_contact_needs_a_code_unless_it_is_verified() {
        let changes = UserAttributes::from_pairs(&[("email", "new@example.com"), ("name", "N")]);
        let after = UserAttributes::from_pairs(&[
            ("email", "new@example.com"),
            ("email_verified", "false"),
            ("phone_number", "+15555550123"),
        ]);
        let needed = needing_verification(&changes, &after);
        assert_eq!(needed.len(), 1);
        assert_eq!(needed[0].0.name, "email");
        assert_eq!(needed[0].1, "new@example.com");
        let vouched =
            UserAttributes::from_pairs(&[("email", "new@example.com"), ("email_verified", "true")]);
        assert!(needing_verification(&vouched, &vouched).is_empty());
        let decided = UserAttributes::from_pairs(&[
            ("email", "new@example.com"),
            ("email_verified", "false"),
        ]);
        assert!(needing_verification(&decided, &decided).is_empty());
        // A concurrent writer's value is not ours to send a code to.
        let moved_on = UserAttributes::from_pairs(&[("email", "other@example.com")]);
        assert!(needing_verification(&changes, &moved_on).is_empty());
    }
}
