//! `AssociateSoftwareToken`: a new TOTP secret for the caller's authenticator app, by
//! `AccessToken` (a signed-in user) or by the `Session` of a sign-in halted at `MFA_SETUP`
//! (which is spent, and a new one returned). `VerifySoftwareToken` shares [`caller`].

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::{SURFACE, constraint, failed, input, output, token};
use crate::auth::Services;
use crate::auth::software_token::TokenCaller;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    access_token: Option<SecretString>,
    session: Option<SecretString>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    secret_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

/// Who is calling: exactly one of `AccessToken` and `Session`, well formed. An access
/// token is authenticated here; a session is checked by the use case.
/// `user_not_found_declared`: whether the operation's model declares
/// `UserNotFoundException` for a deleted user's token (VerifySoftwareToken does,
/// AssociateSoftwareToken does not and answers it as revoked).
pub(super) async fn caller(
    services: &Services,
    access_token: Option<SecretString>,
    session: Option<SecretString>,
    user_not_found_declared: bool,
) -> Result<TokenCaller, ApiError> {
    match (access_token, session) {
        (Some(access), None) => {
            let access = token("accessToken", &access)?;
            let context = services
                .authenticate_access_token(&access)
                .await
                .map_err(|error| {
                    failed(if user_not_found_declared {
                        error
                    } else {
                        error.user_gone_as_revoked()
                    })
                })?;
            Ok(TokenCaller::Signed(Box::new(context)))
        }
        (None, Some(session)) => {
            let session = token("session", &session)?;
            if !(20..=2048).contains(&session.expose_secret().chars().count()) {
                return Err(constraint(
                    "session",
                    "Member must have length between 20 and 2048",
                ));
            }
            Ok(TokenCaller::Session(session))
        }
        _ => Err(ApiError::invalid_parameter(
            "Exactly one of AccessToken and Session must be given",
            SURFACE,
        )),
    }
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let caller = caller(services, input.access_token, input.session, false).await?;
    let association = services
        .associate_software_token(caller)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        secret_code: association.secret_code.expose_secret().to_owned(),
        session: association.session.map(|s| s.expose_secret().to_owned()),
    }))
}
