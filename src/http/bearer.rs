//! `Authorization: Bearer <access token>` for the endpoints that act as the signed-in user.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::error::{ApiError, Surface};
use crate::auth::{AuthError, NotAuthorized};
use crate::domain::secret::{SecretString, secret};

/// Far above any token Gatehouse issues; longer values are refused unread.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub fn bearer_token(request: &HttpRequest, surface: Surface) -> Result<SecretString, ApiError> {
    let missing = || {
        ApiError::from_auth(
            AuthError::NotAuthorized(NotAuthorized::Other(
                "Missing or malformed Authorization header; expected: Bearer <access token>"
                    .to_owned(),
            )),
            surface,
        )
    };
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.len() <= MAX_TOKEN_BYTES
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=.".contains(c));
    if well_formed {
        Ok(secret(token))
    } else {
        Err(missing())
    }
}
