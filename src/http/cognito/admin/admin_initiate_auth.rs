//! `AdminInitiateAuth`: `ADMIN_USER_PASSWORD_AUTH` (or its legacy name `ADMIN_NO_SRP_AUTH`)
//! and `REFRESH_TOKEN_AUTH`, for a client of the named pool.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::initiate_auth::start;
use super::super::{client_id, input, required};
use super::pool;
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    auth_flow: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::unique_keys")]
    auth_parameters: BTreeMap<String, Option<SecretString>>,
    /// Passed to the sign-in triggers (docs/triggers.md).
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let flow = required("authFlow", input.auth_flow)?;
    start(
        services,
        &client,
        Some(&pool.id),
        &flow,
        input.auth_parameters,
        input.client_metadata,
    )
    .await
}
