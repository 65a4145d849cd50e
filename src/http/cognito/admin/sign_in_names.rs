//! `CreateUserPool`'s `UsernameAttributes`, `AliasAttributes` and `UsernameConfiguration`,
//! checked as Cognito checks them (`domain/sign_in_names.rs`). They are set once: Cognito's `UpdateUserPool` has no
//! member for them.

use serde::Serialize;

use super::pool_config::refused;
use crate::domain::sign_in_names::{SignInAttribute, SignInNames, UsernameConfiguration};
use crate::http::error::ApiError;

/// The stored sign-in names for what `CreateUserPool` was given
/// (`SignInNames::declare`). Left out, `UsernameConfiguration` means case-sensitive names,
/// Cognito's API default.
pub(crate) fn parse(
    username_attributes: Option<Vec<String>>,
    alias_attributes: Option<Vec<String>>,
    username_configuration: Option<UsernameConfiguration>,
) -> Result<SignInNames, ApiError> {
    SignInNames::declare(
        username_attributes,
        alias_attributes,
        username_configuration,
        true,
    )
    .map_err(refused)
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
