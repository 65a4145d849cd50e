//! The seed's login API: `POST /Login` and `POST /RespondToAuthChallenge`, thin adapters
//! over the sign-in use cases that answer in the `cognitoToken` shape.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::body::{AUTH_BODY_LIMIT, read_json};
use super::error::{ApiError, ErrorKind, Surface};
use super::metrics::Metrics;
use crate::auth::issue::IssuedTokens;
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, PasswordSignIn, SignInOutcome};
use crate::auth::{NotAuthorized, Services};
use crate::domain::password_policy::MAX_PASSWORD_CHARS;
use crate::domain::pool::MAX_TENANT_NAME_CHARS;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::username::Username;

const SURFACE: Surface = Surface::LoginApi;
/// Cognito's `SessionType` bounds.
const SESSION_CHARS: std::ops::RangeInclusive<usize> = 20..=4096;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/Login")
                .route(web::post().to(login))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/RespondToAuthChallenge")
                .route(web::post().to(respond_to_auth_challenge))
                .default_service(web::to(super::method_not_allowed)),
        );
}

#[derive(Deserialize)]
struct LoginRequest {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "TenantName")]
    tenant_name: String,
    #[serde(rename = "Password")]
    password: SecretString,
}

async fn login(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let result = sign_in(&request, payload, &services).await;
    metrics.record_sign_in(sign_in_outcome(&result));
    result
}

/// A fixed name per outcome, for the sign-in counter.
fn sign_in_outcome(result: &Result<HttpResponse, ApiError>) -> &'static str {
    match result {
        Ok(response) if response.status().is_success() => "signed_in_or_challenged",
        Ok(_) => "other",
        Err(error) => match &error.kind {
            ErrorKind::NotAuthorized(NotAuthorized::IncorrectCredentials) => {
                "incorrect_credentials"
            }
            ErrorKind::NotAuthorized(NotAuthorized::AttemptsExceeded) => "locked_out",
            ErrorKind::NotAuthorized(_)
            | ErrorKind::PasswordResetRequired
            | ErrorKind::UserNotConfirmed => "refused_after_correct_password",
            ErrorKind::TooManyRequests => "throttled",
            ErrorKind::InvalidParameter | ErrorKind::UnsupportedMediaType => "invalid_request",
            _ => "error",
        },
    }
}

async fn sign_in(
    request: &HttpRequest,
    payload: web::Payload,
    services: &Services,
) -> Result<HttpResponse, ApiError> {
    let body: LoginRequest = read_json(request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let sign_in = PasswordSignIn {
        tenant_name: tenant_name(&body.tenant_name)?,
        username: username("UserName", &body.user_name)?,
        password: password("Password", &body.password)?,
    };
    let outcome = services
        .sign_in_with_password(sign_in)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    let token = match outcome {
        SignInOutcome::Authenticated(tokens) => CognitoToken::authenticated(&tokens),
        SignInOutcome::NewPasswordRequired(challenge) => CognitoToken::Challenge {
            challenge_name: NEW_PASSWORD_REQUIRED,
            session: challenge.session.expose_secret().to_owned(),
            challenge_parameters: NewPasswordParameters {
                user_id_for_srp: challenge.username,
                required_attributes: challenge.required_attributes_json,
                user_attributes: challenge.user_attributes_json,
            },
        },
    };
    Ok(token_response(&token))
}

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
    #[serde(rename = "ChallengeResponses")]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
}

async fn respond_to_auth_challenge(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let body: RespondRequest = read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    if body.challenge_name != NEW_PASSWORD_REQUIRED {
        return Err(ApiError::invalid_parameter(
            format!(
                "1 validation error detected: Value at 'ChallengeName' must be {NEW_PASSWORD_REQUIRED}"
            ),
            SURFACE,
        ));
    }
    let session_chars = body.session.expose_secret().chars().count();
    if !SESSION_CHARS.contains(&session_chars) {
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
            tenant_name: tenant_name(&body.tenant_name)?,
            username: named_user,
            session: body.session,
            new_password,
            attributes,
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::authenticated(&tokens)))
}

fn constraint(field: &str, rule: &str) -> ApiError {
    ApiError::invalid_parameter(
        format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: {rule}"
        ),
        SURFACE,
    )
}

fn tenant_name(raw: &str) -> Result<String, ApiError> {
    let chars = raw.chars().count();
    if chars == 0 || chars > MAX_TENANT_NAME_CHARS {
        return Err(constraint(
            "TenantName",
            &format!("Member must have length between 1 and {MAX_TENANT_NAME_CHARS}"),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(constraint(
            "TenantName",
            "Member must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

fn username(field: &str, raw: &str) -> Result<Username, ApiError> {
    Username::parse(raw).map_err(|e| constraint(field, &e))
}

fn password(field: &str, raw: &SecretString) -> Result<SecretString, ApiError> {
    let value = raw.expose_secret();
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_PASSWORD_CHARS {
        return Err(constraint(
            field,
            &format!("Member must have length between 1 and {MAX_PASSWORD_CHARS}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(constraint(
            field,
            "Member must not contain control characters",
        ));
    }
    Ok(secret(value))
}

#[derive(Serialize)]
struct LoginResponse<'a> {
    #[serde(rename = "cognitoToken")]
    cognito_token: &'a CognitoToken,
}

/// The `cognitoToken` object: Cognito's InitiateAuth result, field order as in the contract.
#[derive(Serialize)]
#[serde(untagged)]
enum CognitoToken {
    #[serde(rename_all = "PascalCase")]
    Authenticated {
        challenge_parameters: BTreeMap<String, String>,
        authentication_result: AuthenticationResult,
    },
    #[serde(rename_all = "PascalCase")]
    Challenge {
        challenge_name: &'static str,
        session: String,
        challenge_parameters: NewPasswordParameters,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthenticationResult {
    id_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    access_token: String,
}

#[derive(Serialize)]
struct NewPasswordParameters {
    #[serde(rename = "USER_ID_FOR_SRP")]
    user_id_for_srp: String,
    #[serde(rename = "requiredAttributes")]
    required_attributes: String,
    #[serde(rename = "userAttributes")]
    user_attributes: String,
}

impl CognitoToken {
    fn authenticated(tokens: &IssuedTokens) -> Self {
        Self::Authenticated {
            challenge_parameters: BTreeMap::new(),
            authentication_result: AuthenticationResult {
                id_token: tokens.id_token.expose_secret().to_owned(),
                token_type: "Bearer",
                expires_in: tokens.expires_in,
                refresh_token: tokens
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned()),
                access_token: tokens.access_token.expose_secret().to_owned(),
            },
        }
    }
}

fn token_response(token: &CognitoToken) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(LoginResponse {
            cognito_token: token,
        })
}
