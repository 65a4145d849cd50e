//! `UpdateUserPoolClient`: replaces a client's settings. As in Cognito, a setting the request
//! leaves out returns to its default (the OAuth settings and URLs included; the name and the
//! secret stay unless given).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolClientType};
use super::super::{client_id, failed, input, output, required};
use super::create_user_pool_client::client_refused;
use super::pool;
use super::pool_config::OtherMembers;
use crate::auth::Services;
use crate::domain::client_declaration::ClientConfig;
use crate::domain::secret::ExposeSecret;
use crate::http::error::ApiError;
use crate::manage::clients::NewAppClient;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    client_name: Option<String>,
    /// The settings [`ClientConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool_client: UserPoolClientType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: ClientConfig = input.config.read()?;
    let pool = pool(services, input.user_pool_id).await?;
    let id = client_id(&required("clientId", input.client_id)?)?;
    let current = services.client_of(&pool, Some(&id)).await.map_err(failed)?;
    let config = config
        .parse("updating", &pool, current.secret_encrypted.is_some())
        .map_err(client_refused)?;
    let updated = services
        .reconfigure_client(
            &current,
            NewAppClient {
                name: input.client_name.unwrap_or_else(|| current.name.clone()),
                generate_secret: false,
                validity: config.validity,
                refresh_grace_seconds: config.refresh_grace_seconds,
                settings: config.settings,
            },
        )
        .await
        .map_err(failed)?;
    let secret = services.client_secret(&updated).map_err(failed)?;
    Ok(output(&Output {
        user_pool_client: shapes::client(&updated, secret.map(|s| s.expose_secret().to_owned())),
    }))
}
