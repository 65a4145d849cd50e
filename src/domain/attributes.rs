//! User attributes: the standard OIDC set plus `custom:*`, stored as strings like Cognito.

use std::collections::BTreeMap;

use serde_json::Value;

use super::schema::{canonical_boolean, name_char};

/// The standard attributes a pool has (`sub` aside, which is never an attribute one sets).
pub const STANDARD: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Cognito's limit on an attribute value.
const MAX_VALUE_CHARS: usize = 2048;
/// Cognito's limit on a custom attribute's name after `custom:`.
const MAX_CUSTOM_NAME_CHARS: usize = 20;

/// Attributes that Cognito puts in tokens as JSON booleans rather than strings.
pub const BOOLEAN_ATTRIBUTES: &[&str] = &["email_verified", "phone_number_verified"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAttributes(BTreeMap<String, String>);

impl UserAttributes {
    /// Validates every name and value; `sub` is never settable.
    /// The verification flags are taken as `true`/`false` in any case, as Cognito takes
    /// them, and kept in that canonical form.
    pub fn parse(mut raw: BTreeMap<String, String>) -> Result<Self, String> {
        for (name, value) in raw.iter_mut() {
            if BOOLEAN_ATTRIBUTES.contains(&name.as_str())
                && let Some(canonical) = canonical_boolean(value)
            {
                *value = canonical.to_owned();
            }
        }
        for (name, value) in &raw {
            validate_name(name)?;
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(format!(
                    "attribute {name} must be at most {MAX_VALUE_CHARS} characters"
                ));
            }
            if value.contains('\0') {
                return Err(format!("attribute {name} must not contain NUL characters"));
            }
            if BOOLEAN_ATTRIBUTES.contains(&name.as_str()) && value != "true" && value != "false" {
                return Err(format!("attribute {name} must be \"true\" or \"false\""));
            }
        }
        Ok(Self(raw))
    }

    /// Reads attributes already validated when they were stored.
    pub fn from_stored(raw: BTreeMap<String, String>) -> Self {
        Self(raw)
    }

    /// Attributes written out in a unit test, unvalidated.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    pub fn merge(&mut self, other: UserAttributes) {
        self.0.extend(other.0);
    }

    /// Sets one attribute to a value already known to be valid for it.
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_owned(), value.to_owned());
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Only the attributes `keep` accepts.
    pub fn filtered(&self, keep: impl Fn(&str) -> bool) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(name, _)| keep(name.as_str()))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        )
    }

    /// The claims an ID token carries for these attributes: verification flags as booleans,
    /// everything else (custom attributes included) as strings, as Cognito does.
    pub fn id_token_claims(&self) -> BTreeMap<String, Value> {
        self.0
            .iter()
            .map(|(name, value)| {
                let claim = if BOOLEAN_ATTRIBUTES.contains(&name.as_str()) {
                    Value::Bool(value == "true")
                } else {
                    Value::String(value.clone())
                };
                (name.clone(), claim)
            })
            .collect()
    }
}

/// Why a name is refused. The name itself is never repeated: it is whatever the caller sent.
const BAD_NAME: &str = "attribute names are standard attributes, or custom: followed by 1-20 \
                        letters, digits, symbols or punctuation";

pub fn validate_name(name: &str) -> Result<(), String> {
    if let Some(custom) = name.strip_prefix("custom:") {
        let ok = !custom.is_empty()
            && custom.chars().count() <= MAX_CUSTOM_NAME_CHARS
            && custom.chars().all(name_char);
        return if ok { Ok(()) } else { Err(BAD_NAME.into()) };
    }
    if STANDARD.contains(&name) {
        Ok(())
    } else {
        Err(BAD_NAME.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Result<UserAttributes, String> {
        UserAttributes::parse(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn standard_and_custom_names_are_accepted() {
        assert!(attrs(&[("email", "a@example.com"), ("custom:tenant", "acme")]).is_ok());
    }

    #[test]
    fn unknown_sub_and_malformed_names_are_refused() {
        for bad in [
            "sub",
            "colour",
            "custom:",
            "custom:way_too_long_a_name_here",
            "custom:a b",
        ] {
            assert!(attrs(&[(bad, "x")]).is_err(), "{bad}");
        }
        assert!(attrs(&[("email_verified", "yes")]).is_err());
        let flags = attrs(&[
            ("email_verified", "TRUE"),
            ("phone_number_verified", "False"),
        ])
        .unwrap();
        assert_eq!(flags.get("email_verified"), Some("true"));
        assert_eq!(flags.get("phone_number_verified"), Some("false"));
        assert!(attrs(&[("custom:is-admin", "x")]).is_ok());
        assert!(attrs(&[("email", "a\u{0}b")]).is_err());
    }

    #[test]
    fn verification_flags_become_booleans_in_tokens() {
        let claims = attrs(&[("email_verified", "true"), ("custom:n", "7")])
            .unwrap()
            .id_token_claims();
        assert_eq!(claims["email_verified"], Value::Bool(true));
        assert_eq!(claims["custom:n"], Value::String("7".into()));
    }
}
