//! `AdminRespondToAuthChallenge` for `NEW_PASSWORD_REQUIRED` and `PASSWORD_VERIFIER`, for a
//! client of the named pool.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::respond_to_auth_challenge::answer;
use super::super::{client_id, input, required};
use super::pool;
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    challenge_name: Option<String>,
    session: Option<SecretString>,
    #[serde(default, deserialize_with = "crate::http::body::unique_keys")]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
    /// Passed to the custom-challenge functions (docs/triggers.md).
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let challenge = required("challengeName", input.challenge_name)?;
    answer(
        services,
        &client,
        Some(&pool.id),
        &challenge,
        input.session,
        input.challenge_responses,
        input.client_metadata,
    )
    .await
}
