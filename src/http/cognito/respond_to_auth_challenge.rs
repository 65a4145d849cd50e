//! `RespondToAuthChallenge` for `NEW_PASSWORD_REQUIRED`: the same use case as the login API's.
//! `AdminRespondToAuthChallenge` shares [`answer`].

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{
    SURFACE, client_id, constraint, failed, input, output, password, required, token, username,
};
use crate::auth::Services;
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::auth_result::CognitoToken;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    challenge_name: Option<String>,
    session: Option<SecretString>,
    #[serde(default, deserialize_with = "crate::http::body::unique_keys")]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let challenge = required("challengeName", input.challenge_name)?;
    let session = required("session", input.session)?;
    answer(
        services,
        &client,
        None,
        &challenge,
        session,
        input.challenge_responses,
    )
    .await
}

pub(super) async fn answer(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    challenge: &str,
    session: SecretString,
    raw_responses: BTreeMap<String, Option<SecretString>>,
) -> Result<HttpResponse, ApiError> {
    if challenge != NEW_PASSWORD_REQUIRED {
        // Name a Cognito challenge we do not support; never repeat arbitrary input.
        let named = (1..=40).contains(&challenge.len())
            && challenge
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_');
        return Err(if named {
            ApiError::invalid_parameter(
                format!("Challenge {challenge} is not supported by Gatehouse"),
                SURFACE,
            )
        } else {
            constraint(
                "challengeName",
                "Member must satisfy enum value set: [NEW_PASSWORD_REQUIRED]",
            )
        });
    }
    let session = token("session", &session)?;
    if !(20..=4096).contains(&session.expose_secret().chars().count()) {
        return Err(constraint(
            "session",
            "Member must have length between 20 and 4096",
        ));
    }
    let client = services
        .client_by_id(client_id)
        .await
        .map_err(failed)?
        .filter(|c| admin_pool.is_none_or(|pool| *pool == c.pool_id))
        .ok_or_else(|| {
            failed(crate::auth::AuthError::ResourceNotFound(format!(
                "User pool client {client_id} does not exist."
            )))
        })?;
    let mut responses: BTreeMap<String, SecretString> = raw_responses
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
    if client.secret_encrypted.is_some() {
        let name = named_user
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        services
            .check_secret_hash(&client, &name, responses.get("SECRET_HASH"))
            .map_err(failed)?;
    }
    let attributes = responses
        .into_iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("userAttributes.")
                .map(|attribute| (attribute.to_owned(), value.expose_secret().to_owned()))
        })
        .collect();
    let tokens = services
        .answer_new_password(NewPasswordAnswer {
            target: SignInTarget::Client(client_id.clone()),
            username: named_user,
            session,
            new_password: password("challengeResponses.NEW_PASSWORD", &new_password)?,
            attributes,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::authenticated(&tokens)))
}
