//! `POST /RespondToAuthChallenge`: answering `NEW_PASSWORD_REQUIRED` with the session from
//! `/Login` and a password the pool's policy accepts.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, opaque_token, password, tenant_name, token_response, username};
use crate::auth::Services;
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::auth_result::CognitoToken;
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::ApiError;
use crate::http::rate_limit::SignInLimiter;

/// Cognito's `SessionType` bounds.
const SESSION_CHARS: std::ops::RangeInclusive<usize> = 20..=4096;

#[derive(Deserialize)]
struct RespondRequest {
    #[serde(rename = "TenantName")]
    tenant_name: String,
    #[serde(rename = "UserName", default)]
    user_name: Option<String>,
    #[serde(rename = "ChallengeName")]
    challenge_name: String,
    #[serde(rename = "Session")]
    session: SecretString,
    /// Values may be JSON null (browser SDKs send them); nulls are ignored.
    #[serde(
        rename = "ChallengeResponses",
        deserialize_with = "crate::http::body::unique_keys"
    )]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
}

pub(super) async fn respond_to_auth_challenge(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    limiter: web::Data<SignInLimiter>,
) -> Result<HttpResponse, ApiError> {
    limiter.check(&request, SURFACE)?;
    let body: RespondRequest = read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    if body.challenge_name != NEW_PASSWORD_REQUIRED {
        return Err(ApiError::invalid_parameter(
            format!(
                "1 validation error detected: Value at 'ChallengeName' must be {NEW_PASSWORD_REQUIRED}"
            ),
            SURFACE,
        ));
    }
    // Sessions are ours: anything not shaped like one is refused before a look-up.
    let session = opaque_token("Session", &body.session)?;
    if !SESSION_CHARS.contains(&session.expose_secret().chars().count()) {
        return Err(ApiError::invalid_parameter(
            "1 validation error detected: Value at 'Session' must be 20-4096 characters",
            SURFACE,
        ));
    }
    let mut responses: BTreeMap<String, SecretString> = body
        .challenge_responses
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    let new_password = responses.remove("NEW_PASSWORD").ok_or_else(|| {
        ApiError::invalid_parameter(
            "1 validation error detected: ChallengeResponses must contain NEW_PASSWORD",
            SURFACE,
        )
    })?;
    let new_password = password("ChallengeResponses.NEW_PASSWORD", &new_password)?;
    let response_username = responses.remove("USERNAME");
    let named_user = match (&body.user_name, &response_username) {
        (Some(name), _) => Some(username("UserName", name)?),
        (None, Some(name)) => Some(username(
            "ChallengeResponses.USERNAME",
            name.expose_secret(),
        )?),
        (None, None) => None,
    };
    let mut attributes = BTreeMap::new();
    for (name, value) in responses {
        match name.strip_prefix("userAttributes.") {
            Some(attribute) => {
                attributes.insert(attribute.to_owned(), value.expose_secret().to_owned());
            }
            // SECRET_HASH and friends belong to the Cognito API; nothing else is expected here.
            None => {
                return Err(ApiError::invalid_parameter(
                    format!("1 validation error detected: unexpected challenge response {name:?}"),
                    SURFACE,
                ));
            }
        }
    }
    let tokens = services
        .answer_new_password(NewPasswordAnswer {
            target: SignInTarget::LoginName(tenant_name(&body.tenant_name)?),
            username: named_user,
            session,
            new_password,
            attributes,
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::authenticated(&tokens)))
}
