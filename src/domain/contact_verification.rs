//! Which contact attributes (`email`, `phone_number`) a pool verifies by code, and whether a
//! change to one waits for its code: Cognito's `AutoVerifiedAttributes` and
//! `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`
//! (docs/cognito-compatibility.md, "Attribute verification").

use serde::{Deserialize, Serialize};

use super::attributes::UserAttributes;
use super::message_template::SettingError;

/// The contact attributes that can be verified, with their flags.
pub const CONTACTS: [(&str, &str); 2] = [
    ("email", "email_verified"),
    ("phone_number", "phone_number_verified"),
];

const ENUM_RULE: &str =
    "Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]";

fn parse_contacts(member: &str, names: Vec<String>) -> Result<Vec<String>, SettingError> {
    let mut parsed: Vec<String> = Vec::new();
    for name in names {
        if !CONTACTS.iter().any(|(contact, _)| *contact == name) {
            return Err(SettingError::constraint(member, ENUM_RULE));
        }
        if !parsed.contains(&name) {
            parsed.push(name);
        }
    }
    Ok(parsed)
}

/// Cognito's `AutoVerifiedAttributes`: the contact attributes that are sent a code when a
/// user signs up with them or changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AutoVerifiedAttributes(Vec<String>);

impl Default for AutoVerifiedAttributes {
    /// Both: pools made by the CLI, seed files and pools stored before the setting existed
    /// send codes as they always did. `CreateUserPool` asks for Cognito's default instead.
    fn default() -> Self {
        Self(
            CONTACTS
                .iter()
                .map(|(name, _)| (*name).to_owned())
                .collect(),
        )
    }
}

impl AutoVerifiedAttributes {
    /// Cognito's default for `CreateUserPool`: nothing is verified by code.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    pub fn parse(names: Vec<String>) -> Result<Self, SettingError> {
        parse_contacts("autoVerifiedAttributes", names).map(Self)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// Cognito's `UserAttributeUpdateSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserAttributeUpdateSettings {
    /// Contact attributes whose new value takes effect only once its code comes back; until
    /// then the old, verified value stays in force.
    pub attributes_require_verification_before_update: Vec<String>,
}

impl UserAttributeUpdateSettings {
    /// Checks the names, and that each is auto-verified: a change that waits for a code needs
    /// a code to be sent.
    pub fn parse(names: Vec<String>, auto: &AutoVerifiedAttributes) -> Result<Self, SettingError> {
        let names = parse_contacts(
            "userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdate",
            names,
        )?;
        if let Some(name) = names.iter().find(|name| !auto.contains(name)) {
            return Err(SettingError::Invalid(format!(
                "Attribute {name} in AttributesRequireVerificationBeforeUpdate must also be in \
                 AutoVerifiedAttributes"
            )));
        }
        Ok(Self {
            attributes_require_verification_before_update: names,
        })
    }

    pub fn holds(&self, name: &str) -> bool {
        self.attributes_require_verification_before_update
            .iter()
            .any(|n| n == name)
    }
}

/// A contact change held back until its code returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub attribute: &'static str,
    pub value: String,
}

/// Holds back, in `next` (what a write of `changes` made of `current`), each change to a
/// verified contact attribute the pool keeps until the new value is verified: the attribute
/// and its flag keep their current values, and the new value is returned, to be sent a code.
/// A write that names the flag itself (an administrator vouching for the value) is not held,
/// nor is a change to an attribute that had no verified value to keep in force.
pub fn hold_pending(
    settings: &UserAttributeUpdateSettings,
    current: &UserAttributes,
    changes: &UserAttributes,
    next: &mut UserAttributes,
) -> Vec<PendingChange> {
    let mut held = Vec::new();
    for (attribute, flag) in CONTACTS {
        let (Some(new), Some(old)) = (changes.get(attribute), current.get(attribute)) else {
            continue;
        };
        if !settings.holds(attribute)
            || changes.get(flag).is_some()
            || current.get(flag) != Some("true")
            || new == old
        {
            continue;
        }
        let value = new.to_owned();
        next.set(attribute, old);
        next.set(flag, "true");
        held.push(PendingChange { attribute, value });
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contacts_can_be_auto_verified() {
        assert_eq!(
            AutoVerifiedAttributes::parse(vec!["email".into(), "email".into()])
                .unwrap()
                .names(),
            ["email"]
        );
        assert!(matches!(
            AutoVerifiedAttributes::parse(vec!["name".into()]),
            Err(SettingError::Constraint { member, .. }) if member == "autoVerifiedAttributes"
        ));
        assert!(AutoVerifiedAttributes::default().contains("phone_number"));
        assert!(!AutoVerifiedAttributes::none().contains("email"));
    }

    #[test]
    fn held_attributes_must_be_auto_verified() {
        let email = AutoVerifiedAttributes::parse(vec!["email".into()]).unwrap();
        assert!(
            UserAttributeUpdateSettings::parse(vec!["email".into()], &email)
                .unwrap()
                .holds("email")
        );
        assert!(matches!(
            UserAttributeUpdateSettings::parse(vec!["phone_number".into()], &email),
            Err(SettingError::Invalid(_))
        ));
    }

    #[test]
    fn a_verified_address_stays_in_force_until_the_new_one_is_verified() {
        let settings = UserAttributeUpdateSettings {
            attributes_require_verification_before_update: vec!["email".into()],
        };
        let current = UserAttributes::from_pairs(&[
            ("email", "old@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15555550100"),
            ("phone_number_verified", "true"),
        ]);
        let changes = UserAttributes::from_pairs(&[
            ("email", "new@example.com"),
            ("phone_number", "+15555550199"),
        ]);
        let mut next = current.clone();
        next.set("email", "new@example.com");
        next.set("email_verified", "false");
        next.set("phone_number", "+15555550199");
        next.set("phone_number_verified", "false");
        let held = hold_pending(&settings, &current, &changes, &mut next);
        assert_eq!(
            held,
            vec![PendingChange {
                attribute: "email",
                value: "new@example.com".into()
            }]
        );
        assert_eq!(next.get("email"), Some("old@example.com"));
        assert_eq!(next.get("email_verified"), Some("true"));
        // Not held: phone_number changes at once.
        assert_eq!(next.get("phone_number"), Some("+15555550199"));

        // An unverified address has nothing to keep in force; a vouched one is decided.
        let unverified = UserAttributes::from_pairs(&[("email", "old@example.com")]);
        let mut next = UserAttributes::from_pairs(&[("email", "new@example.com")]);
        assert!(hold_pending(&settings, &unverified, &changes, &mut next).is_empty());
        let vouched =
            UserAttributes::from_pairs(&[("email", "new@example.com"), ("email_verified", "true")]);
        let mut next = vouched.clone();
        assert!(hold_pending(&settings, &current, &vouched, &mut next).is_empty());
    }
}
