//! `VerifyUserAttribute`: the signed-in caller spends the code sent to their e-mail address
//! or phone number, which marks it verified.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{code, empty, failed, input, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    attribute_name: Option<String>,
    code: Option<SecretString>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let attribute = required("attributeName", input.attribute_name)?;
    let code = code("code", required("code", input.code)?)?;
    services
        .verify_user_attribute(&access, &attribute, &code)
        .await
        .map_err(failed)?;
    Ok(empty())
}
