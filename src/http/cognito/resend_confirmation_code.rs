//! `ResendConfirmationCode`: a fresh sign-up code for a user still `UNCONFIRMED`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::shapes::{self, CodeDeliveryDetailsType};
use super::{client_id, failed, input, output, required, username};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    username: Option<String>,
    secret_hash: Option<SecretString>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    code_delivery_details: Option<CodeDeliveryDetailsType>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let name = username("username", &required("username", input.username)?)?;
    let delivery = services
        .resend_confirmation_code(&client, &name, input.secret_hash.as_ref())
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        code_delivery_details: delivery.map(shapes::code_delivery),
    }))
}
