//! `UpdateUserAttributes`: the caller sets attributes on themselves, within their app
//! client's `WriteAttributes`. A changed e-mail address or phone number is unverified again
//! and is sent a code for `VerifyUserAttribute`; the answer lists where codes went.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::shapes::{self, AttributeType, CodeDeliveryDetailsType};
use super::{failed, input, output, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    user_attributes: Option<Vec<AttributeType>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    code_delivery_details_list: Vec<CodeDeliveryDetailsType>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let changes = shapes::parse_attributes(required("userAttributes", input.user_attributes)?)?;
    let deliveries = services
        .update_own_attributes(&access, &changes)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        code_delivery_details_list: deliveries.into_iter().map(shapes::code_delivery).collect(),
    }))
}
