//! `GetUser`: the caller's username and the attributes their app client may read (`sub`
//! always, as Cognito does).

use actix_web::HttpResponse;
use serde::Serialize;

use super::{output, signed_in_caller};
use crate::auth::Services;
use crate::http::error::ApiError;

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
    let caller = signed_in_caller(services, body).await?;
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
