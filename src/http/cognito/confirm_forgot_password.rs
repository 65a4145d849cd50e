//! `ConfirmForgotPassword`: spends the reset code and sets the new password; every session
//! of the user ends.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, code, empty, failed, input, password, required, username};
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    client_id: Option<String>,
    username: Option<String>,
    confirmation_code: Option<SecretString>,
    password: Option<SecretString>,
    secret_hash: Option<SecretString>,
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
    let proposed = password("password", &required("password", input.password)?)?;
    services
        .confirm_forgot_password(
            &client,
            &name,
            &code,
            &proposed,
            input.secret_hash.as_ref(),
            &input.client_metadata,
        )
        .await
        .map_err(failed)?;
    Ok(empty())
}
