//! The seed's login API: `/Login`, `/RespondToAuthChallenge`, `/RefreshToken`, `/Logout`,
//! `/GlobalSignOut` and `/ChangePassword`, one file per flow. Each is a thin adapter over a
//! use case in `auth/`, answering in the `cognitoToken` shape; the validation helpers and
//! response types they share live here.

mod challenge;
mod change_password;
mod login;
mod refresh;
mod sign_out;

pub use login::LoginStart;
pub(crate) use login::decode_request as decode_login_request;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::auth_result::CognitoToken;
use super::error::{ApiError, Surface};
use super::fields;
use crate::domain::pool::MAX_POOL_NAME_CHARS;
use crate::domain::secret::SecretString;
use crate::domain::username::Username;

const SURFACE: Surface = Surface::LoginApi;

pub fn routes(config: &mut web::ServiceConfig) {
    let post_only = |path: &str, route: actix_web::Route| {
        web::resource(path.to_owned())
            .route(route)
            .default_service(web::to(super::method_not_allowed))
    };
    config
        .service(post_only("/Login", web::post().to(login::login)))
        .service(post_only(
            "/RespondToAuthChallenge",
            web::post().to(challenge::respond_to_auth_challenge),
        ))
        .service(post_only(
            "/RefreshToken",
            web::post().to(refresh::refresh_token),
        ))
        .service(post_only("/Logout", web::post().to(sign_out::logout)))
        .service(post_only(
            "/GlobalSignOut",
            web::post().to(sign_out::global_sign_out),
        ))
        .service(post_only(
            "/ChangePassword",
            web::post().to(change_password::change_password),
        ));
}

/// `{}`, the body of operations that return nothing.
pub(super) fn empty_response() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body("{}")
}

pub(super) fn constraint(field: &str, rule: &str) -> ApiError {
    fields::constraint(SURFACE, field, rule)
}

pub(super) fn tenant_name(raw: &str) -> Result<String, ApiError> {
    let chars = raw.chars().count();
    if chars == 0 || chars > MAX_POOL_NAME_CHARS {
        return Err(constraint(
            "TenantName",
            &format!("Member must have length between 1 and {MAX_POOL_NAME_CHARS}"),
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

pub(super) fn username(field: &str, raw: &str) -> Result<Username, ApiError> {
    fields::username(SURFACE, field, raw)
}

/// Refresh tokens and challenge sessions.
pub(super) fn opaque_token(field: &str, raw: &SecretString) -> Result<SecretString, ApiError> {
    fields::token(SURFACE, field, raw, 4096)
}

pub(super) fn password(field: &str, raw: &SecretString) -> Result<SecretString, ApiError> {
    fields::password(SURFACE, field, raw)
}

#[derive(Serialize)]
struct LoginResponse<'a> {
    #[serde(rename = "cognitoToken")]
    cognito_token: &'a CognitoToken,
}

pub(super) fn token_response(token: &CognitoToken) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(LoginResponse {
            cognito_token: token,
        })
}
