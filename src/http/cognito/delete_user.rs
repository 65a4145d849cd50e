//! `DeleteUser`: the caller deletes their own account.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{empty, failed, input, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)?;
    services.delete_own_account(&caller).await.map_err(failed)?;
    Ok(empty())
}
