//! `InitiateAuth`: `USER_PASSWORD_AUTH` (the same sign-in as `/Login`) and
//! `REFRESH_TOKEN_AUTH` / `REFRESH_TOKEN` (new ID and access tokens, no new refresh token,
//! as Cognito answers).

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{client_id, failed, input, output, password, required, token, username};
use crate::auth::Services;
use crate::auth::refresh::{RefreshBinding, RefreshMode};
use crate::auth::sign_in::{PasswordSignIn, SignInOutcome, SignInTarget};
use crate::domain::secret::SecretString;
use crate::http::auth_result::CognitoToken;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    auth_flow: Option<String>,
    client_id: Option<String>,
    /// Values may be null (browser SDKs send `DEVICE_KEY: null`); nulls are ignored.
    #[serde(default)]
    auth_parameters: BTreeMap<String, Option<SecretString>>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let flow = required("authFlow", input.auth_flow)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let mut parameters: BTreeMap<String, SecretString> = input
        .auth_parameters
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    match flow.as_str() {
        "USER_PASSWORD_AUTH" => {
            let name = required("authParameters.USERNAME", parameters.remove("USERNAME"))?;
            let secret_password =
                required("authParameters.PASSWORD", parameters.remove("PASSWORD"))?;
            let sign_in = PasswordSignIn {
                target: SignInTarget::Client(client),
                username: username(
                    "authParameters.USERNAME",
                    secrecy::ExposeSecret::expose_secret(&name),
                )?,
                password: password("authParameters.PASSWORD", &secret_password)?,
            };
            let outcome = services
                .sign_in_with_password(sign_in)
                .await
                .map_err(failed)?;
            Ok(output(&match outcome {
                SignInOutcome::Authenticated(tokens) => CognitoToken::authenticated(&tokens),
                SignInOutcome::NewPasswordRequired(challenge) => {
                    CognitoToken::new_password_required(challenge)
                }
            }))
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            let refresh = required(
                "authParameters.REFRESH_TOKEN",
                parameters.remove("REFRESH_TOKEN"),
            )?;
            let refresh = token("authParameters.REFRESH_TOKEN", &refresh)?;
            let tokens = services
                .refresh_tokens(
                    &refresh,
                    RefreshBinding::Client(&client),
                    RefreshMode::KeepRefreshToken,
                )
                .await
                .map_err(failed)?;
            Ok(output(&CognitoToken::authenticated(&tokens)))
        }
        "USER_SRP_AUTH" | "CUSTOM_AUTH" | "USER_AUTH" => Err(ApiError::invalid_parameter(
            format!("{flow} flow not enabled for this client"),
            super::SURFACE,
        )),
        "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => Err(ApiError::invalid_parameter(
            "Initiate Auth method not supported.",
            super::SURFACE,
        )),
        _ => Err(super::constraint(
            "authFlow",
            "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]",
        )),
    }
}
