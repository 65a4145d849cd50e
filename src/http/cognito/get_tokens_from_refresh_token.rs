//! `GetTokensFromRefreshToken`: new ID and access tokens, and a new refresh token when the
//! client has refresh-token rotation enabled (reuse detection and grace as for `/RefreshToken`).
//! The client's flow, its secret and the token's binding to it are the use case's rules
//! ([`Services::refresh_for_client`]).

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, failed, input, output, required, token};
use crate::auth::refresh::CognitoRefresh;
use crate::auth::{AuthError, Services};
use crate::domain::secret::SecretString;
use crate::http::auth_result::CognitoToken;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    refresh_token: Option<SecretString>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let refresh = token(
        "refreshToken",
        &required("refreshToken", input.refresh_token)?,
    )?;
    let id = client_id(&required("clientId", input.client_id)?)?;
    let client = services
        .client_by_id(&id)
        .await
        .map_err(failed)?
        .ok_or_else(|| {
            failed(AuthError::ResourceNotFound(format!(
                "User pool client {id} does not exist."
            )))
        })?;
    let tokens = services
        .refresh_for_client(
            &refresh,
            &client,
            CognitoRefresh::GetTokens {
                client_secret: input.client_secret.as_ref(),
            },
        )
        .await
        .map_err(failed)?;
    // GetTokensFromRefreshToken's output is the AuthenticationResult alone.
    let result = CognitoToken::authenticated(&tokens)
        .into_authentication_result()
        .ok_or_else(|| failed(AuthError::internal("a refresh produced a challenge")))?;
    Ok(output(&result))
}
