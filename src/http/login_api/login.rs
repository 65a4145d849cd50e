//! `POST /Login`: a password sign-in for a pool's default client.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, password, tenant_name, token_response, username};
use crate::auth::Services;
use crate::auth::sign_in::{PasswordSignIn, SignInTarget};
use crate::domain::secret::SecretString;
use crate::domain::telemetry::SignInResult;
use crate::http::auth_result::CognitoToken;
use crate::http::body::{AUTH_BODY_LIMIT, decode, read_body};
use crate::http::error::ApiError;
use crate::http::rate_limit::SignInLimiter;

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
    limiter: web::Data<SignInLimiter>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refused) = limiter.check(&request, SURFACE) {
        // The use case counts every sign-in it sees; this one never reached it.
        services.telemetry.sign_in(SignInResult::Throttled);
        return Err(refused);
    }
    sign_in(&request, payload, &services).await
}

async fn sign_in(
    request: &HttpRequest,
    payload: web::Payload,
    services: &Services,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let sign_in = decode_request(&body)?;
    let outcome = services
        .sign_in_with_password(sign_in)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::from_outcome(outcome)))
}

/// Decodes and validates a `/Login` body: everything that happens before the database is
/// asked anything (the fuzz target `login_body` drives this directly).
pub(crate) fn decode_request(body: &[u8]) -> Result<PasswordSignIn, ApiError> {
    let body: LoginRequest = decode(body, SURFACE)?;
    Ok(PasswordSignIn {
        target: SignInTarget::LoginName(tenant_name(&body.tenant_name)?),
        username: username("UserName", &body.user_name)?,
        password: password("Password", &body.password)?,
        client_metadata: Default::default(),
    })
}
