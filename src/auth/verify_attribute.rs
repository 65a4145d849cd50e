//! Verifying a user's e-mail address or phone number: `GetUserAttributeVerificationCode`
//! sends a code to the value the attribute holds, `VerifyUserAttribute` spends it and sets
//! `email_verified` / `phone_number_verified` in the same transaction. A changed address gets
//! its code from the attribute update itself (`update_attributes.rs`, `manage/users.rs`) when
//! the pool auto-verifies it, and stays unverified until the code comes back; in a pool that
//! requires verification before update, the old verified value stays in force meanwhile and
//! the new one is stored with its code, taking effect when the code is verified.
//!
//! Codes are the shared one-time codes of `codes.rs` (six digits, single use, 24 hours, five
//! guesses counted atomically), one per user and attribute, and each is bound to the value it
//! was sent to: once the attribute changes, the old code verifies nothing
//! (docs/cognito-compatibility.md, "Attribute verification").

use crate::triggers::custom_message::CustomMessageSource;
use std::sync::{Mutex, PoisonError};

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::messages::CodeDelivery;
use super::update_attributes::AttributeChangeError;
use super::{AuthError, Services};
use crate::domain::attribute_access::WriteRefused;
use crate::domain::attributes::UserAttributes;
use crate::domain::contact_verification::{PendingChange, hold_pending};
use crate::domain::message::{Medium, MessageKind};
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::User;
use crate::store::{CodePurpose, CodeSpend};

/// Rounds of compare-and-set before giving up under extreme contention on one user.
const MAX_VERIFY_ROUNDS: usize = 100;

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
    /// Issues a code for `value` of `attribute` and sends it there; with `pending`, `value` is
    /// a new value that takes effect only when the code comes back.
    pub(crate) async fn send_verification_code(
        &self,
        pool: &UserPool,
        user: &User,
        attribute: Verifiable,
        value: &str,
        pending: bool,
    ) -> Result<CodeDelivery, AuthError> {
        let code = self
            .issue_bound_code(
                user,
                attribute.purpose,
                VERIFY_CODE_VALIDITY_SECONDS,
                Some(value),
                pending,
            )
            .await?;
        self.send_message(
            pool,
            (attribute.medium, value),
            MessageKind::VerifyAttributeCode,
            // A changed value waits for its code; otherwise the user asked for one.
            (
                if pending {
                    CustomMessageSource::UpdateUserAttribute
                } else {
                    CustomMessageSource::VerifyUserAttribute
                },
                user,
            ),
            code.expose_secret(),
        )
        .await
    }

    /// `GetUserAttributeVerificationCode`: a fresh code (replacing any earlier one and its
    /// count of guesses) to the value waiting to replace the attribute's, if a change waits
    /// for its code, else to the value the attribute holds now.
    pub async fn get_user_attribute_verification_code(
        &self,
        access_token: &SecretString,
        attribute_name: &str,
    ) -> Result<CodeDelivery, AuthError> {
        let attribute = verifiable(attribute_name)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let now = self.clock.now();
        let waiting = self
            .store
            .confirmation_code(&caller.user.sub, attribute.purpose)
            .await?
            .filter(|record| now < record.expires_at)
            .and_then(|record| record.pending_value);
        let (value, pending) = match waiting {
            Some(value) => (value, true),
            None => (
                caller
                    .user
                    .attributes
                    .get(attribute.name)
                    .ok_or_else(|| {
                        AuthError::InvalidParameter(format!(
                            "User has no {} to verify",
                            attribute.name
                        ))
                    })?
                    .to_owned(),
                false,
            ),
        };
        self.admit_code_request(&caller.user, attribute.purpose)
            .await?;
        let delivery = self
            .send_verification_code(&caller.pool, &caller.user, attribute, &value, pending)
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

    /// `VerifyUserAttribute`: counts the guess, then spends the code and marks the attribute
    /// verified in one transaction: the value waiting for the code, if a change waits for it,
    /// else the value the attribute holds, provided it is still the one the code was sent to.
    pub async fn verify_user_attribute(
        &self,
        access_token: &SecretString,
        attribute_name: &str,
        code: &SecretString,
    ) -> Result<(), AuthError> {
        let attribute = verifiable(attribute_name)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let held = caller
            .user
            .attributes
            .get(attribute.name)
            .map(str::to_owned);
        let waiting = self
            .check_verification_code(&caller.user, attribute.purpose, code, held.as_deref())
            .await?;
        let mut current = caller.user.attributes.clone();
        for _ in 0..MAX_VERIFY_ROUNDS {
            let mut next = current.clone();
            match &waiting {
                // The verified new value replaces the old one now.
                Some(value) => next.set(attribute.name, value),
                // The attribute may have changed since the code was checked: the code was
                // sent to the old value and proves nothing about the new one.
                None if current.get(attribute.name) != held.as_deref() => {
                    return Err(AuthError::ExpiredCode);
                }
                None => {}
            }
            next.set(attribute.flag, "true");
            match self
                .store
                .spend_code_and_replace_attributes(
                    &caller.user.sub,
                    attribute.purpose,
                    &current,
                    &next,
                    self.clock.now(),
                )
                .await?
            {
                CodeSpend::Done => {
                    audit("attribute_verified", &caller, Outcome::Success)
                        .with_reason(attribute.name)
                        .emit();
                    return Ok(());
                }
                // A concurrent verification with the same code won.
                CodeSpend::CodeGone => return Err(AuthError::ExpiredCode),
                // Another write came between: decide again on what is stored now.
                CodeSpend::AttributesChanged => {
                    let stored = self
                        .store
                        .user_by_sub(&caller.user.sub)
                        .await?
                        .ok_or(AuthError::UserNotFound)?
                        .attributes;
                    if stored == current {
                        // Same attributes in a spelling this version does not write: store
                        // them in its own, so the next round's compare can match.
                        self.store
                            .set_attributes(&caller.user.sub, &current, self.clock.now())
                            .await?;
                    }
                    current = stored;
                }
            }
        }
        Err(AuthError::TooManyRequests)
    }

    /// Writes an attribute change decided by `write` on the stored attributes, holding back
    /// each change to a verified contact attribute that the pool keeps in force until the
    /// new value is verified (`AttributesRequireVerificationBeforeUpdate`). The held changes
    /// come back, to be sent their codes.
    pub(crate) async fn change_attributes_holding(
        &self,
        pool: &UserPool,
        user: &User,
        changes: &UserAttributes,
        write: impl Fn(&UserAttributes) -> Result<UserAttributes, WriteRefused>,
    ) -> Result<Vec<PendingChange>, AttributeChangeError> {
        let settings = &pool.settings.user_attribute_update_settings;
        // The last round's decision is the one written.
        let held = Mutex::new(Vec::new());
        self.change_attributes(user, |current| {
            let mut next = write(current)?;
            let pending = hold_pending(settings, current, changes, &mut next);
            *held.lock().unwrap_or_else(PoisonError::into_inner) = pending;
            Ok(next)
        })
        .await?;
        Ok(held.into_inner().unwrap_or_else(PoisonError::into_inner))
    }

    /// Sends the codes an attribute update calls for, as Cognito does: to each new value held
    /// back until verified, and to each contact attribute the pool auto-verifies that the
    /// update left unverified (a changed address or number).
    pub(crate) async fn send_codes_for_changed_contacts(
        &self,
        pool: &UserPool,
        user: &User,
        changes: &UserAttributes,
        held: Vec<PendingChange>,
    ) -> Result<Vec<CodeDelivery>, AuthError> {
        let Some(stored) = self.store.user_by_sub(&user.sub).await? else {
            return Err(AuthError::UserNotFound);
        };
        let auto = &pool.settings.auto_verified_attributes;
        let mut deliveries = Vec::new();
        for (attribute, value) in needing_verification(changes, &stored.attributes) {
            if auto.contains(attribute.name) {
                deliveries.push(
                    self.send_verification_code(pool, &stored, attribute, &value, false)
                        .await?,
                );
            }
        }
        for change in held {
            let attribute = verifiable(change.attribute)?;
            deliveries.push(
                self.send_verification_code(pool, &stored, attribute, &change.value, true)
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
