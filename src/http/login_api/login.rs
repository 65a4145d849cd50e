//! `POST /Login`: a password sign-in for a pool's default client, or with
//! `"AuthFlow": "CUSTOM_AUTH"` a custom sign-in run by the pool's challenge functions
//! (`auth/custom_auth.rs`), with the password first when one is given.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, password, tenant_name, token_response, username};
use crate::auth::Services;
use crate::auth::custom_auth::{CustomAuthStart, CustomProof};
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
    /// Absent only in a `CUSTOM_AUTH` sign-in that starts without the password.
    #[serde(rename = "Password", default)]
    password: Option<SecretString>,
    /// `USER_PASSWORD_AUTH` (the default) or `CUSTOM_AUTH`.
    #[serde(rename = "AuthFlow", default)]
    auth_flow: Option<String>,
}

/// What a `/Login` body asks for.
#[derive(Debug)]
pub enum LoginStart {
    Password(PasswordSignIn),
    Custom(CustomAuthStart),
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
    let token = match decode_request(&body)? {
        LoginStart::Password(sign_in) => CognitoToken::from_outcome(
            services
                .sign_in_with_password(sign_in)
                .await
                .map_err(|e| ApiError::from_auth(e, SURFACE))?,
        ),
        LoginStart::Custom(start) => CognitoToken::from_custom(
            services
                .start_custom_auth(start)
                .await
                .map_err(|e| ApiError::from_auth(e, SURFACE))?,
        ),
    };
    Ok(token_response(&token))
}

/// Decodes and validates a `/Login` body: everything that happens before the database is
/// asked anything (the fuzz target `login_body` drives this directly).
pub(crate) fn decode_request(body: &[u8]) -> Result<LoginStart, ApiError> {
    let body: LoginRequest = decode(body, SURFACE)?;
    let target = SignInTarget::LoginName(tenant_name(&body.tenant_name)?);
    let name = username("UserName", &body.user_name)?;
    let given = body
        .password
        .as_ref()
        .map(|given| password("Password", given))
        .transpose()?;
    match (body.auth_flow.as_deref(), given) {
        (None | Some("USER_PASSWORD_AUTH"), Some(password)) => {
            Ok(LoginStart::Password(PasswordSignIn {
                target,
                username: name,
                password,
                client_metadata: Default::default(),
            }))
        }
        (None | Some("USER_PASSWORD_AUTH"), None) => Err(ApiError::invalid_parameter(
            "1 validation error detected: missing field `Password`",
            SURFACE,
        )),
        (Some("CUSTOM_AUTH"), given) => Ok(LoginStart::Custom(CustomAuthStart {
            target,
            username: name,
            proof: given.map_or(CustomProof::Nothing, CustomProof::Password),
            client_metadata: Default::default(),
        })),
        (Some(_), _) => Err(ApiError::invalid_parameter(
            "1 validation error detected: Value at 'AuthFlow' failed to satisfy constraint: \
             Member must satisfy enum value set: [USER_PASSWORD_AUTH, CUSTOM_AUTH]",
            SURFACE,
        )),
    }
}
