//! `RevokeToken`: revokes the sign-in session of a refresh token issued to this client (and
//! so the access tokens minted with it). `{}` whatever the token, as sign-out must be.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, empty, failed, input, required, token};
use crate::auth::Services;
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
    let client = client_id(&required("clientId", input.client_id)?)?;
    if let Some(app_client) = services
        .store
        .client_by_id(&client)
        .await
        .map_err(|e| failed(e.into()))?
    {
        services
            .check_client_secret(&app_client, input.client_secret.as_ref())
            .map_err(failed)?;
    }
    services
        .revoke_refresh_token(&refresh, &client)
        .await
        .map_err(failed)?;
    Ok(empty())
}
