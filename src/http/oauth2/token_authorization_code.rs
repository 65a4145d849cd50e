//! The `authorization_code` grant: spends a code issued by the hosted pages
//! ([`Services::exchange_authorization_code`], docs/oauth2.md, "Authorization endpoint, hosted pages and logout" "Authorization codes")
//! and answers with the tokens it grants.

use actix_web::HttpResponse;

use super::error::{OAuthError, OAuthErrorCode};
use super::form::Form;
use super::token::issued;
use crate::auth::Services;
use crate::auth::authorization_code::{CodeExchange, CodeExchangeError};
use crate::auth::oauth_client::AuthenticatedClient;

pub async fn authorization_code(
    services: &Services,
    client: &AuthenticatedClient,
    form: &Form,
) -> Result<HttpResponse, OAuthError> {
    let code = form
        .secret("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let exchange = CodeExchange {
        client: client.client().clone(),
        code,
        redirect_uri: form.get("redirect_uri").map(str::to_owned),
        code_verifier: form.secret("code_verifier"),
    };
    match services.exchange_authorization_code(exchange).await {
        Ok(tokens) => Ok(issued(&tokens)),
        Err(CodeExchangeError::InvalidGrant(description)) => {
            Err(OAuthError::new(OAuthErrorCode::InvalidGrant, description))
        }
        Err(CodeExchangeError::InvalidRequest(description)) => {
            Err(OAuthError::invalid_request(description))
        }
        Err(CodeExchangeError::Auth(error)) => Err(OAuthError::from_auth(error)),
    }
}
