//! `SignUp`: an `UNCONFIRMED` user and a confirmation code, sent through the outbox.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::shapes::{self, AttributeType};
use super::{client_id, failed, input, output, password, required, username};
use crate::auth::Services;
use crate::auth::sign_up::SignUpRequest;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
    secret_hash: Option<SecretString>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    #[serde(default)]
    validation_data: Vec<AttributeType>,
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_confirmed: bool,
    user_sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_delivery_details: Option<shapes::CodeDeliveryDetailsType>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let name = username("username", &required("username", input.username)?)?;
    let chosen = password("password", &required("password", input.password)?)?;
    let attributes = shapes::parse_attributes(input.user_attributes)?;
    // ValidationData is free-form (only a PreSignUp function reads it): names and values as given.
    let validation_data = input
        .validation_data
        .into_iter()
        .map(|attribute| (attribute.name, attribute.value.unwrap_or_default()))
        .collect();
    let signed_up = services
        .sign_up(SignUpRequest {
            client,
            username: name,
            password: chosen,
            attributes,
            secret_hash: input.secret_hash,
            validation_data,
            client_metadata: input.client_metadata,
        })
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_confirmed: signed_up.confirmed,
        user_sub: signed_up.user_sub.to_string(),
        code_delivery_details: signed_up.delivery.map(shapes::code_delivery),
    }))
}
