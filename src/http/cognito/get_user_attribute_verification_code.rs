//! `GetUserAttributeVerificationCode`: sends the signed-in caller a code for their e-mail
//! address or phone number, to be spent with `VerifyUserAttribute`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::shapes::{self, CodeDeliveryDetailsType};
use super::{failed, input, output, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    attribute_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    code_delivery_details: CodeDeliveryDetailsType,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let attribute = required("attributeName", input.attribute_name)?;
    let delivery = services
        .get_user_attribute_verification_code(&access, &attribute)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        code_delivery_details: shapes::code_delivery(delivery),
    }))
}
