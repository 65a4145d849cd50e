//! `VerifySoftwareToken`: the caller proves their authenticator app holds the secret
//! `AssociateSoftwareToken` gave, with a code it shows. The app becomes the user's TOTP
//! factor, enabled. A wrong or already used code is `EnableSoftwareTokenMFAException`, as
//! Cognito answers, and leaves a session usable for another try; a right one answers
//! `Status: SUCCESS` (and, by session, the session to answer `MFA_SETUP` with).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::associate_software_token::caller;
use super::{constraint, failed, input, output, required};
use crate::auth::Services;
use crate::auth::software_token::MAX_DEVICE_NAME_CHARS;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    session: Option<SecretString>,
    user_code: Option<SecretString>,
    friendly_device_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

/// Cognito's `UserCode`: six digits.
pub(super) fn six_digits(member: &str, code: &SecretString) -> Result<(), ApiError> {
    let code = code.expose_secret();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(constraint(
            member,
            "Member must satisfy regular expression pattern: [0-9]+ and have length 6",
        ))
    }
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let code = required("userCode", input.user_code)?;
    six_digits("userCode", &code)?;
    let device_name = input
        .friendly_device_name
        .map(|name| {
            let length = name.chars().count();
            if (1..=MAX_DEVICE_NAME_CHARS).contains(&length) && !name.contains(char::is_control) {
                Ok(name)
            } else {
                Err(constraint(
                    "friendlyDeviceName",
                    "Member must have length between 1 and 256 and no control characters",
                ))
            }
        })
        .transpose()?;
    let caller = caller(services, input.access_token, input.session, true).await?;
    let verified = services
        .verify_software_token(caller, &code, device_name.as_deref())
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        status: "SUCCESS",
        session: verified.session.map(|s| s.expose_secret().to_owned()),
    }))
}
