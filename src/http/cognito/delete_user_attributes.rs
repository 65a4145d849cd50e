//! `DeleteUserAttributes`: the caller removes attributes from themselves, within their app
//! client's `WriteAttributes`.

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
    user_attribute_names: Option<Vec<String>>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let names = required("userAttributeNames", input.user_attribute_names)?;
    services
        .delete_own_attributes(&access, &names)
        .await
        .map_err(failed)?;
    Ok(empty())
}
