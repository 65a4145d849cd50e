//! The `authorization_code` grant. Not served yet: the authorization endpoint that issues
//! codes comes with the hosted pages, and this function is where its exchange plugs in
//! (docs/oauth2.md, "Token endpoint").

use actix_web::HttpResponse;

use super::error::{OAuthError, OAuthErrorCode};
use super::form::Form;
use crate::auth::Services;
use crate::auth::oauth_client::AuthenticatedClient;

pub async fn authorization_code(
    _services: &Services,
    _client: &AuthenticatedClient,
    _form: &Form,
) -> Result<HttpResponse, OAuthError> {
    // The hosted pages' branch replaces this body with the code exchange.
    Err(OAuthError::new(
        OAuthErrorCode::UnsupportedGrantType,
        "Unsupported grant_type: authorization_code",
    ))
}
