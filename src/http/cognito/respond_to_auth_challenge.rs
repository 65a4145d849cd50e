//! `RespondToAuthChallenge` for `NEW_PASSWORD_REQUIRED`: the same use case as the login API's.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{SURFACE, client_id, constraint, failed, input, output, password, required, username};
use crate::auth::Services;
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::auth_result::CognitoToken;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    challenge_name: Option<String>,
    session: Option<SecretString>,
    #[serde(default)]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let challenge = required("challengeName", input.challenge_name)?;
    if challenge != NEW_PASSWORD_REQUIRED {
        return Err(ApiError::invalid_parameter(
            format!(
                "Challenge {} is not supported by Gatehouse",
                challenge.chars().take(40).collect::<String>()
            ),
            SURFACE,
        ));
    }
    let session = required("session", input.session)?;
    if !(20..=4096).contains(&session.expose_secret().chars().count()) {
        return Err(constraint(
            "session",
            "Member must have length between 20 and 4096",
        ));
    }
    let mut responses: BTreeMap<String, SecretString> = input
        .challenge_responses
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    let new_password = required(
        "challengeResponses.NEW_PASSWORD",
        responses.remove("NEW_PASSWORD"),
    )?;
    let named_user = responses
        .remove("USERNAME")
        .map(|name| username("challengeResponses.USERNAME", name.expose_secret()))
        .transpose()?;
    let mut attributes = BTreeMap::new();
    for (name, value) in responses {
        if let Some(attribute) = name.strip_prefix("userAttributes.") {
            attributes.insert(attribute.to_owned(), value.expose_secret().to_owned());
        }
        // Other responses (SECRET_HASH, DEVICE_KEY) have no meaning for this challenge here.
    }
    let tokens = services
        .answer_new_password(NewPasswordAnswer {
            target: SignInTarget::Client(client),
            username: named_user,
            session,
            new_password: password("challengeResponses.NEW_PASSWORD", &new_password)?,
            attributes,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::authenticated(&tokens)))
}
