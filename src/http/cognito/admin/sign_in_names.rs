//! `CreateUserPool`'s `UsernameAttributes`, `AliasAttributes` and `UsernameConfiguration`,
//! checked as Cognito checks them. They are set once: Cognito's `UpdateUserPool` has no
//! member for them.

use serde::{Deserialize, Serialize};

use super::super::{constraint, failed, required};
use crate::auth::AuthError;
use crate::domain::sign_in_names::{SignInAttribute, SignInNames};
use crate::http::error::ApiError;

/// Cognito's `UsernameConfigurationType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameConfiguration {
    case_sensitive: Option<bool>,
}

/// The stored sign-in names for what `CreateUserPool` was given. Left out,
/// `UsernameConfiguration` means case-sensitive names, Cognito's API default.
pub(crate) fn parse(
    username_attributes: Option<Vec<String>>,
    alias_attributes: Option<Vec<String>>,
    username_configuration: Option<UsernameConfiguration>,
) -> Result<SignInNames, ApiError> {
    let case_sensitive = match username_configuration {
        Some(config) => required("usernameConfiguration.caseSensitive", config.case_sensitive)?,
        None => true,
    };
    let names = SignInNames {
        username_attributes: attributes(
            "usernameAttributes",
            username_attributes,
            &[SignInAttribute::PhoneNumber, SignInAttribute::Email],
        )?,
        alias_attributes: attributes(
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
    names
        .validate()
        .map_err(|e| failed(AuthError::InvalidParameter(e)))?;
    Ok(names)
}

fn attributes(
    member: &str,
    raw: Option<Vec<String>>,
    allowed: &[SignInAttribute],
) -> Result<Vec<SignInAttribute>, ApiError> {
    let mut parsed = Vec::new();
    for value in raw.unwrap_or_default() {
        let attribute = SignInAttribute::parse(&value)
            .filter(|a| allowed.contains(a))
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
                constraint(
                    member,
                    &format!(
                        "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                        names.join(", ")
                    ),
                )
            })?;
        // Named twice, kept once.
        if !parsed.contains(&attribute) {
            parsed.push(attribute);
        }
    }
    Ok(parsed)
}

/// What `DescribeUserPool` returns of them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignInNamesType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_attributes: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_attributes: Option<Vec<&'static str>>,
    pub username_configuration: UsernameConfigurationType,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameConfigurationType {
    pub case_sensitive: bool,
}

pub(crate) fn shape(names: &SignInNames) -> SignInNamesType {
    let list = |attributes: &[SignInAttribute]| {
        (!attributes.is_empty()).then(|| attributes.iter().map(|a| a.name()).collect())
    };
    SignInNamesType {
        username_attributes: list(&names.username_attributes),
        alias_attributes: list(&names.alias_attributes),
        username_configuration: UsernameConfigurationType {
            case_sensitive: names.case_sensitive,
        },
    }
}
