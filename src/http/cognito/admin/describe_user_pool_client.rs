//! `DescribeUserPoolClient` (with the secret, as Cognito returns it to admins).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolClientType};
use super::super::{client_id, failed, input, output, required};
use super::pool;
use crate::auth::Services;
use crate::domain::secret::ExposeSecret;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool_client: UserPoolClientType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let id = client_id(&required("clientId", input.client_id)?)?;
    let client = services.client_of(&pool, Some(&id)).await.map_err(failed)?;
    let secret = services.client_secret(&client).map_err(failed)?;
    Ok(output(&Output {
        user_pool_client: shapes::client(&client, secret.map(|s| s.expose_secret().to_owned())),
    }))
}
