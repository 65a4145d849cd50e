//! The catch for members an operation does not define, and how a refused pool setting is
//! answered. The pool settings `CreateUserPool` and `UpdateUserPool` share are read by
//! `domain/pool_declaration.rs` (seed files read them with it too); a member a request
//! leaves out takes Cognito's default, on `UpdateUserPool` too: Cognito documents that an
//! update resets what it does not name, so callers send the whole configuration (what
//! `DescribeUserPool` returned, with their change).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::super::{SURFACE, constraint, failed};
use crate::auth::AuthError;
use crate::domain::message_template::SettingError;
use crate::http::body::{decode_value, unknown_member};
use crate::http::error::ApiError;

/// A pool setting refused: a malformed member in AWS's validation wording, anything else as
/// Cognito words it; both are `InvalidParameterException`.
pub(super) fn refused(error: SettingError) -> ApiError {
    match error {
        SettingError::Constraint { member, rule } => constraint(&member, &rule),
        SettingError::Invalid(message) => failed(AuthError::InvalidParameter(message)),
    }
}

/// The members of a request its operation's input did not take itself, flattened into that
/// input, to be read as the settings the operation shares with another ([`Self::read`]), or
/// refused when there are none to read ([`Self::refuse`]). Either way a member the
/// operation does not define is refused by name instead of dropped.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(in crate::http::cognito) struct OtherMembers(Map<String, Value>);

impl OtherMembers {
    /// The members as `T`, whose `deny_unknown_fields` refuses the rest; error paths are
    /// the members' own (`Policies.PasswordPolicy.MinimumLength`).
    pub(in crate::http::cognito) fn read<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        decode_value(Value::Object(self.0), SURFACE)
    }

    pub(in crate::http::cognito) fn refuse(&self) -> Result<(), ApiError> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(name) => {
                let name: String = name.chars().take(64).collect();
                Err(failed(AuthError::InvalidParameter(format!(
                    "1 validation error detected: {}",
                    unknown_member(".", &name)
                ))))
            }
        }
    }
}
