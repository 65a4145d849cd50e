//! `ChangePassword`: the caller replaces their password; their other sessions end.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{empty, failed, input, password, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    previous_password: Option<SecretString>,
    proposed_password: Option<SecretString>,
    access_token: Option<SecretString>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let previous = password(
        "previousPassword",
        &required("previousPassword", input.previous_password)?,
    )?;
    let proposed = password(
        "proposedPassword",
        &required("proposedPassword", input.proposed_password)?,
    )?;
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)?;
    services
        .change_password(&caller, &previous, &proposed)
        .await
        .map_err(failed)?;
    Ok(empty())
}
