//! `RevokeToken`: revokes the sign-in session of a refresh token issued to this client (and
//! so the access tokens minted with it). Once the client is proven and allows revocation,
//! `{}` whatever the token, as sign-out must be ([`Services::revoke_refresh_token`]).

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, empty, failed, input, required, token};
use crate::auth::{AuthError, Services};
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    token: Option<SecretString>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let refresh = token("token", &required("token", input.token)?)?;
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
    services
        .revoke_refresh_token(&refresh, &client, input.client_secret.as_ref())
        .await
        .map_err(failed)?;
    Ok(empty())
}
