//! Field rules shared by the login API and the Cognito API, worded as AWS words validation
//! errors; each surface only says which envelope the error goes in.

use super::error::{ApiError, Surface};
use crate::domain::password_policy::MAX_PASSWORD_CHARS;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::username::Username;

pub fn constraint(surface: Surface, member: &str, rule: &str) -> ApiError {
    ApiError::invalid_parameter(
        format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: {rule}"
        ),
        surface,
    )
}

pub fn username(surface: Surface, member: &str, raw: &str) -> Result<Username, ApiError> {
    Username::parse(raw).map_err(|e| constraint(surface, member, &e))
}

/// 1–256 characters, no control characters; checked before any hashing.
pub fn password(
    surface: Surface,
    member: &str,
    raw: &SecretString,
) -> Result<SecretString, ApiError> {
    let value = raw.expose_secret();
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_PASSWORD_CHARS {
        return Err(constraint(
            surface,
            member,
            &format!("Member must have length between 1 and {MAX_PASSWORD_CHARS}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(constraint(
            surface,
            member,
            "Member must not contain control characters",
        ));
    }
    Ok(secret(value))
}

/// Tokens and opaque strings (`TokenModelType`): `[A-Za-z0-9-_=.]+`, at most `max` bytes.
/// Anything else cannot be one of ours, so it is refused before a look-up.
pub fn token(
    surface: Surface,
    member: &str,
    raw: &SecretString,
    max: usize,
) -> Result<SecretString, ApiError> {
    let value = raw.expose_secret();
    let well_formed = (1..=max).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=.".contains(c));
    if well_formed {
        Ok(secret(value))
    } else {
        Err(constraint(
            surface,
            member,
            &format!("Member must be 1-{max} characters of [A-Za-z0-9-_=.]"),
        ))
    }
}
