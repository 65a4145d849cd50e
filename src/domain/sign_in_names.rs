//! How users of a pool sign in: by their username only, by an e-mail address or phone number
//! that *is* their username (`UsernameAttributes`), or by their username and, as aliases, a
//! verified e-mail address or phone number or their `preferred_username` (`AliasAttributes`).
//! `UsernameConfiguration.CaseSensitive` says whether any of these names are compared with
//! their case. docs/cognito-compatibility.md, "Sign-in names", says what Gatehouse does.

use serde::{Deserialize, Serialize};

use super::attributes::UserAttributes;
use super::message_template::SettingError;
use super::username::{Username, UsernameKey};

/// An attribute a user may sign in with, instead of or besides their username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SignInAttribute {
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "phone_number")]
    PhoneNumber,
    #[serde(rename = "preferred_username")]
    PreferredUsername,
}

impl SignInAttribute {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "email" => Some(Self::Email),
            "phone_number" => Some(Self::PhoneNumber),
            "preferred_username" => Some(Self::PreferredUsername),
            _ => None,
        }
    }

    /// The attribute's name (as in `UserAttributes`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::PreferredUsername => "preferred_username",
        }
    }

    /// The flag that must be `true` before an alias of this attribute signs anyone in; None
    /// for `preferred_username`, which is an alias as soon as it is set.
    pub fn verified_flag(self) -> Option<&'static str> {
        match self {
            Self::Email => Some("email_verified"),
            Self::PhoneNumber => Some("phone_number_verified"),
            Self::PreferredUsername => None,
        }
    }
}

/// A pool's sign-in names, as `CreateUserPool` set them (they cannot change afterwards, as in
/// Cognito). Stored in the pool's settings document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SignInNames {
    /// `UsernameAttributes`: `email` and/or `phone_number`. Users are created under one of
    /// these; their username becomes their `sub`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub username_attributes: Vec<SignInAttribute>,
    /// `AliasAttributes`: `email`, `phone_number`, `preferred_username`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alias_attributes: Vec<SignInAttribute>,
    /// `UsernameConfiguration.CaseSensitive`. False (Gatehouse's rule since its first
    /// version) for pools made by the CLI and seed files and pools stored before the
    /// setting existed; `CreateUserPool` without `UsernameConfiguration` stores true, as
    /// Cognito's API does.
    pub case_sensitive: bool,
}

/// One name a user can be found by besides their username, and which attribute gave it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignInAlias {
    pub attribute: SignInAttribute,
    pub key: UsernameKey,
}

/// Cognito's `UsernameConfigurationType`, as `CreateUserPool` and seed files declare it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UsernameConfiguration {
    pub case_sensitive: Option<bool>,
}

/// `member`'s names, each one of `allowed`, named twice kept once.
fn declared_attributes(
    member: &str,
    raw: Option<Vec<String>>,
    allowed: &[SignInAttribute],
) -> Result<Vec<SignInAttribute>, SettingError> {
    let mut parsed = Vec::new();
    for value in raw.unwrap_or_default() {
        let attribute = SignInAttribute::parse(&value)
            .filter(|a| allowed.contains(a))
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
                SettingError::constraint(
                    member,
                    &format!(
                        "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                        names.join(", ")
                    ),
                )
            })?;
        if !parsed.contains(&attribute) {
            parsed.push(attribute);
        }
    }
    Ok(parsed)
}

impl SignInNames {
    /// The sign-in names `CreateUserPool` (or a seed file) declares, checked as Cognito
    /// checks them. Without `UsernameConfiguration`, names are compared with their case
    /// when `case_sensitive_by_default` (Cognito's API default).
    pub fn declare(
        username_attributes: Option<Vec<String>>,
        alias_attributes: Option<Vec<String>>,
        username_configuration: Option<UsernameConfiguration>,
        case_sensitive_by_default: bool,
    ) -> Result<Self, SettingError> {
        let case_sensitive = match username_configuration {
            Some(config) => config.case_sensitive.ok_or_else(|| {
                SettingError::constraint(
                    "usernameConfiguration.caseSensitive",
                    "Member must not be null",
                )
            })?,
            None => case_sensitive_by_default,
        };
        let names = Self {
            username_attributes: declared_attributes(
                "usernameAttributes",
                username_attributes,
                &[SignInAttribute::PhoneNumber, SignInAttribute::Email],
            )?,
            alias_attributes: declared_attributes(
                "aliasAttributes",
                alias_attributes,
                &[
                    SignInAttribute::PhoneNumber,
                    SignInAttribute::Email,
                    SignInAttribute::PreferredUsername,
                ],
            )?,
            case_sensitive,
        };
        names.validate().map_err(SettingError::Invalid)?;
        Ok(names)
    }

    /// Checks the combination `CreateUserPool` was given, in Cognito's words.
    pub fn validate(&self) -> Result<(), String> {
        if !self.username_attributes.is_empty() && !self.alias_attributes.is_empty() {
            return Err(
                "Only one of the aliasAttributes or usernameAttributes can be set \
                        in a User Pool."
                    .into(),
            );
        }
        if self
            .username_attributes
            .contains(&SignInAttribute::PreferredUsername)
        {
            return Err("preferred_username cannot be used as a username attribute.".into());
        }
        Ok(())
    }

    /// Whether users are created under an e-mail address or phone number.
    pub fn by_username_attribute(&self) -> bool {
        !self.username_attributes.is_empty()
    }

    /// The key a name typed by a user is looked up by, under this pool's case rule.
    pub fn key(&self, name: &Username) -> UsernameKey {
        name.key_with_case(self.case_sensitive)
    }

    /// The key of an attribute value (an e-mail address, a phone number, a preferred
    /// username) under this pool's case rule; None for a value no username could spell
    /// (it could never be typed at sign-in, so it is no alias).
    pub fn value_key(&self, value: &str) -> Option<UsernameKey> {
        Username::parse(value).ok().map(|name| self.key(&name))
    }

    /// Which attribute a name given as the username at sign-up is, in a pool that signs in
    /// by username attributes; the error is Cognito's message for a name that is neither.
    pub fn username_attribute_of(&self, name: &str) -> Result<SignInAttribute, String> {
        let wants = |a| self.username_attributes.contains(&a);
        if wants(SignInAttribute::Email) && looks_like_email(name) {
            return Ok(SignInAttribute::Email);
        }
        if wants(SignInAttribute::PhoneNumber) && looks_like_phone_number(name) {
            return Ok(SignInAttribute::PhoneNumber);
        }
        Err(match (
            wants(SignInAttribute::Email),
            wants(SignInAttribute::PhoneNumber),
        ) {
            (true, true) => "Username should be either an email or a phone number.",
            (true, false) => "Username should be an email.",
            _ => "Username should be a phone number.",
        }
        .into())
    }

    /// Every name besides the username that signs this user in, given their attributes:
    /// a username attribute whether or not it is verified (it is the name they were created
    /// under), an alias attribute once verified (`preferred_username` as soon as it is set).
    pub fn aliases(&self, attributes: &UserAttributes) -> Vec<SignInAlias> {
        let mut aliases: Vec<SignInAlias> = Vec::new();
        let mut add = |attribute: SignInAttribute| {
            if let Some(key) = attributes
                .get(attribute.name())
                .and_then(|value| self.value_key(value))
            {
                aliases.push(SignInAlias { attribute, key });
            }
        };
        for attribute in &self.username_attributes {
            add(*attribute);
        }
        for attribute in &self.alias_attributes {
            let verified = attribute
                .verified_flag()
                .is_none_or(|flag| attributes.get(flag) == Some("true"));
            if verified {
                add(*attribute);
            }
        }
        aliases.sort();
        aliases.dedup_by(|a, b| a.key == b.key);
        aliases
    }
}

/// `local@domain`, as far as a username goes: one `@` with something on both sides.
fn looks_like_email(name: &str) -> bool {
    name.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    })
}

/// E.164: `+` and 1 to 15 digits.
fn looks_like_phone_number(name: &str) -> bool {
    name.strip_prefix('+').is_some_and(|digits| {
        (1..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(username: &[SignInAttribute], alias: &[SignInAttribute], cs: bool) -> SignInNames {
        SignInNames {
            username_attributes: username.to_vec(),
            alias_attributes: alias.to_vec(),
            case_sensitive: cs,
        }
    }

    #[test]
    fn username_and_alias_attributes_exclude_each_other() {
        let both = names(&[SignInAttribute::Email], &[SignInAttribute::Email], false);
        assert!(both.validate().is_err());
        assert!(
            names(&[SignInAttribute::Email], &[], false)
                .validate()
                .is_ok()
        );
        let preferred = names(&[SignInAttribute::PreferredUsername], &[], false);
        assert!(preferred.validate().is_err());
    }

    #[test]
    fn aliases_need_verification_but_username_attributes_do_not() {
        let attributes = UserAttributes::from_pairs(&[
            ("email", "Bob@Example.com"),
            ("email_verified", "false"),
            ("preferred_username", "bobby"),
        ]);
        let alias = names(
            &[],
            &[SignInAttribute::Email, SignInAttribute::PreferredUsername],
            false,
        );
        let found = alias.aliases(&attributes);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key.as_str(), "bobby");
        let by_email = names(&[SignInAttribute::Email], &[], false);
        let found = by_email.aliases(&attributes);
        assert_eq!(found[0].key.as_str(), "bob@example.com");
    }

    #[test]
    fn case_rule_decides_the_key() {
        let name = Username::parse("Bob@Example.com").unwrap();
        assert_eq!(names(&[], &[], true).key(&name).as_str(), "Bob@Example.com");
        assert_eq!(
            names(&[], &[], false).key(&name).as_str(),
            "bob@example.com"
        );
    }

    #[test]
    fn username_attribute_shapes() {
        let both = names(
            &[SignInAttribute::Email, SignInAttribute::PhoneNumber],
            &[],
            false,
        );
        assert_eq!(
            both.username_attribute_of("a@b.example"),
            Ok(SignInAttribute::Email)
        );
        assert_eq!(
            both.username_attribute_of("+15551234567"),
            Ok(SignInAttribute::PhoneNumber)
        );
        assert!(both.username_attribute_of("bob").is_err());
        let email = names(&[SignInAttribute::Email], &[], false);
        assert_eq!(
            email.username_attribute_of("+15551234567"),
            Err("Username should be an email.".into())
        );
    }
}
