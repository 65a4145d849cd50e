//! `POST /oauth2/token`: the token endpoint (RFC 6749 section 3.2). Reads the form,
//! authenticates the client, and hands the request to its grant by `grant_type`; each grant
//! has its own file (docs/oauth2.md, "Token endpoint").

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::error::{OAuthError, OAuthErrorCode};
use super::form::Form;
use super::{
    addressed_pool, client_auth, token_authorization_code, token_client_credentials, token_refresh,
};
use crate::auth::Services;
use crate::auth::client_credentials::ClientToken;
use crate::auth::issue::IssuedTokens;
use crate::domain::secret::ExposeSecret;

pub async fn token(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, OAuthError> {
    let form = Form::read(&request, payload).await?;
    let grant_type = form.required("grant_type")?;
    let pool = addressed_pool(&services, &request).await?;
    let client = client_auth::authenticate(&services, &request, &form, pool.as_ref()).await?;
    match grant_type {
        "authorization_code" => {
            token_authorization_code::authorization_code(&services, &client, &form).await
        }
        "refresh_token" => token_refresh::refresh_token(&services, &client, &form).await,
        "client_credentials" => {
            token_client_credentials::client_credentials(&services, &client, &form).await
        }
        other => {
            let other: String = other.chars().take(64).collect();
            Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!("Unsupported grant_type: {other}"),
            ))
        }
    }
}

/// RFC 6749 section 5.1's successful answer, in Cognito's member order.
#[derive(Serialize)]
struct TokenResponse<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    expires_in: i64,
    token_type: &'static str,
}

/// The answer for tokens a grant issued to a user (ID and access tokens, and a refresh token
/// where one was issued), uncacheable as RFC 6749 requires.
pub fn issued(tokens: &IssuedTokens) -> HttpResponse {
    answer(&TokenResponse {
        id_token: Some(tokens.id_token.expose_secret()),
        access_token: tokens.access_token.expose_secret(),
        refresh_token: tokens.refresh_token.as_ref().map(|t| t.expose_secret()),
        expires_in: tokens.expires_in,
        token_type: "Bearer",
    })
}

/// The answer of the `client_credentials` grant: an access token alone.
pub fn client_token(token: &ClientToken) -> HttpResponse {
    answer(&TokenResponse {
        id_token: None,
        access_token: token.access_token.expose_secret(),
        refresh_token: None,
        expires_in: token.expires_in,
        token_type: "Bearer",
    })
}

fn answer(body: &TokenResponse<'_>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}
