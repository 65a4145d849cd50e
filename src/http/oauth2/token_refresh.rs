//! The `refresh_token` grant: new ID and access tokens through the same refresh use case as
//! `GetTokensFromRefreshToken`, so rotation, reuse detection and the grace window hold here
//! too ([`Services::refresh_for_oauth_client`]).

use actix_web::HttpResponse;

use super::error::OAuthError;
use super::form::Form;
use super::token::issued;
use crate::auth::Services;
use crate::auth::oauth_client::AuthenticatedClient;

pub async fn refresh_token(
    services: &Services,
    client: &AuthenticatedClient,
    form: &Form,
) -> Result<HttpResponse, OAuthError> {
    let presented = form
        .secret("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let tokens = services
        .refresh_for_oauth_client(&presented, client)
        .await
        .map_err(OAuthError::from_auth)?;
    Ok(issued(&tokens))
}
