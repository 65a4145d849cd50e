//! `ConfirmSignUp`: spends the code `SignUp` issued; the user becomes `CONFIRMED`.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, code, empty, failed, input, required, username};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    username: Option<String>,
    confirmation_code: Option<SecretString>,
    secret_hash: Option<SecretString>,
    /// Take a verified e-mail or phone alias over from the user holding it.
    force_alias_creation: Option<bool>,
    /// Passed to the `PostConfirmation` function.
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let name = username("username", &required("username", input.username)?)?;
    let code = code(
        "confirmationCode",
        required("confirmationCode", input.confirmation_code)?,
    )?;
    services
        .confirm_sign_up(
            &client,
            &name,
            &code,
            input.secret_hash.as_ref(),
            input.force_alias_creation.unwrap_or(false),
            &input.client_metadata,
        )
        .await
        .map_err(failed)?;
    Ok(empty())
}
