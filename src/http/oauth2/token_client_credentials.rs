//! The `client_credentials` grant: an access token for the client itself, with custom scopes
//! ([`Services::client_credentials`]); no ID or refresh token.

use actix_web::HttpResponse;

use super::error::OAuthError;
use super::form::Form;
use super::token::client_token;
use crate::auth::Services;
use crate::auth::oauth_client::AuthenticatedClient;

pub async fn client_credentials(
    services: &Services,
    client: &AuthenticatedClient,
    form: &Form,
) -> Result<HttpResponse, OAuthError> {
    let token = services
        .client_credentials(client, form.get("scope"))
        .await
        .map_err(OAuthError::from_auth)?;
    Ok(client_token(&token))
}
