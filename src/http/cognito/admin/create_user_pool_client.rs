//! `CreateUserPoolClient`: lifetimes with their units, flows, secret, existence-error
//! prevention (ENABLED unless LEGACY is asked for), refresh-token rotation, the attribute
//! permissions, the challenge session's lifetime (`AuthSessionValidity`) and the OAuth
//! settings (stored and returned; domain/client_oauth.rs), read by
//! `domain/client_declaration.rs`, as `UpdateUserPoolClient` and seed files read them.
//! Members the operation does not define are refused.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolClientType};
use super::super::{failed, input, output, required};
use super::pool;
use super::pool_config::{OtherMembers, refused};
use crate::auth::{AuthError, Services};
use crate::domain::client_declaration::{ClientConfig, ClientRefusal};
use crate::domain::client_oauth::OAuthRefusal;
use crate::domain::secret::ExposeSecret;
use crate::http::error::ApiError;
use crate::manage::clients::NewAppClient;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_name: Option<String>,
    #[serde(default)]
    generate_secret: bool,
    /// The settings [`ClientConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool_client: UserPoolClientType,
}

/// A client declaration refused, as the exception Cognito answers it with.
pub(super) fn client_refused(refusal: ClientRefusal) -> ApiError {
    match refusal {
        ClientRefusal::Setting(error) => refused(error),
        ClientRefusal::OAuth(refusal) => failed(match refusal {
            OAuthRefusal::InvalidParameter(message) => AuthError::InvalidParameter(message),
            OAuthRefusal::InvalidOAuthFlow(message) => AuthError::InvalidOAuthFlow(message),
        }),
    }
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: ClientConfig = input.config.read()?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = required("clientName", input.client_name)?;
    let config = config
        .parse("creating", &pool, input.generate_secret)
        .map_err(client_refused)?;
    let (client, secret) = services
        .create_app_client(
            &pool,
            NewAppClient {
                name,
                generate_secret: input.generate_secret,
                validity: config.validity,
                refresh_grace_seconds: config.refresh_grace_seconds,
                settings: config.settings,
            },
        )
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool_client: shapes::client(&client, secret.map(|s| s.expose_secret().to_owned())),
    }))
}
