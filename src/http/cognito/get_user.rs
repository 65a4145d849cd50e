//! `GetUser`: the caller's username and the attributes their app client may read (`sub`
//! always, as Cognito does).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::{failed, input, output, required, token};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Attribute {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    username: String,
    user_attributes: Vec<Attribute>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let access = token("accessToken", &required("accessToken", input.access_token)?)?;
    let caller = services
        .authenticate_access_token(&access)
        .await
        .map_err(failed)?;
    let mut user_attributes = vec![Attribute {
        name: "sub".into(),
        value: caller.user.sub.to_string(),
    }];
    let readable = caller.client.settings.readable(&caller.user.attributes);
    user_attributes.extend(readable.as_map().iter().map(|(name, value)| Attribute {
        name: name.clone(),
        value: value.clone(),
    }));
    Ok(output(&Output {
        username: caller.user.username.clone(),
        user_attributes,
    }))
}
