//! `POST /Login`: a password sign-in for a tenant's default client.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{
    CognitoToken, NewPasswordParameters, SURFACE, password, tenant_name, token_response, username,
};
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, PasswordSignIn, SignInOutcome};
use crate::auth::{NotAuthorized, Services};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::{ApiError, ErrorKind};
use crate::http::metrics::Metrics;

#[derive(Deserialize)]
struct LoginRequest {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "TenantName")]
    tenant_name: String,
    #[serde(rename = "Password")]
    password: SecretString,
}

pub(super) async fn login(
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
