//! `InitiateAuth`: `USER_PASSWORD_AUTH` (the same sign-in as `/Login`), `USER_SRP_AUTH` (the
//! first step of SRP sign-in, answered with `PASSWORD_VERIFIER`) and `REFRESH_TOKEN_AUTH` /
//! `REFRESH_TOKEN` (new ID and access tokens, no new refresh token, as Cognito answers), and
//! `CUSTOM_AUTH` (the pool's challenge functions, `auth/custom_auth.rs`).
//! `AdminInitiateAuth` shares [`start`] with its own flow names.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::Deserialize;

use super::{
    SURFACE, client_id, constraint, failed, input, output, password, required, token, username,
};
use crate::auth::Services;
use crate::auth::custom_auth::{CustomAuthStart, CustomProof, SRP_A};
use crate::auth::refresh::CognitoRefresh;
use crate::auth::sign_in::{PasswordSignIn, SignInTarget};
use crate::auth::srp_sign_in::SrpStart;
use crate::crypto::srp::ClientPublic;
use crate::domain::app_client::{
    ADMIN_USER_PASSWORD_AUTH, CUSTOM_AUTH, REFRESH_TOKEN_AUTH, USER_PASSWORD_AUTH, USER_SRP_AUTH,
};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::username::Username;
use crate::http::auth_result::CognitoToken;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    auth_flow: Option<String>,
    client_id: Option<String>,
    /// Values may be null (browser SDKs send `DEVICE_KEY: null`); nulls are ignored.
    #[serde(default, deserialize_with = "crate::http::body::unique_keys")]
    auth_parameters: BTreeMap<String, Option<SecretString>>,
    /// Passed to the sign-in triggers (docs/triggers.md).
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let flow = required("authFlow", input.auth_flow)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    start(
        services,
        &client,
        None,
        &flow,
        input.auth_parameters,
        input.client_metadata,
    )
    .await
}

/// Which API a sign-in came through: admin flows only through the signed one.
fn flow_requirement(flow: &str, admin: bool) -> Result<&'static str, ApiError> {
    match (flow, admin) {
        ("USER_PASSWORD_AUTH", false) => Ok(USER_PASSWORD_AUTH),
        ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", true) => Ok(ADMIN_USER_PASSWORD_AUTH),
        ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => Ok(REFRESH_TOKEN_AUTH),
        ("USER_SRP_AUTH", _) => Ok(USER_SRP_AUTH),
        ("CUSTOM_AUTH", _) => Ok(CUSTOM_AUTH),
        ("USER_AUTH", _) => Err(ApiError::invalid_parameter(
            format!(
                "{flow} is not supported by Gatehouse; use USER_SRP_AUTH, USER_PASSWORD_AUTH or CUSTOM_AUTH"
            ),
            SURFACE,
        )),
        ("USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", _) => Err(
            ApiError::invalid_parameter("Initiate Auth method not supported.", SURFACE),
        ),
        _ => Err(constraint(
            "authFlow",
            "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]",
        )),
    }
}

/// `CUSTOM_AUTH`'s optional start with the password: `SRP_A` with `CHALLENGE_NAME: SRP_A`,
/// as Cognito's clients send it. SRP_A alone (without the name) is ignored, as in Cognito.
fn custom_proof(parameters: &mut BTreeMap<String, SecretString>) -> Result<CustomProof, ApiError> {
    let starts_with_srp = parameters
        .remove("CHALLENGE_NAME")
        .is_some_and(|name| name.expose_secret() == SRP_A);
    match parameters.remove("SRP_A") {
        Some(client_public) if starts_with_srp => {
            let client_public = ClientPublic::parse_hex(client_public.expose_secret())
                .map_err(|_| ApiError::invalid_parameter("Invalid SRP_A value.", SURFACE))?;
            Ok(CustomProof::Srp(Box::new(client_public)))
        }
        _ => Ok(CustomProof::Nothing),
    }
}

/// What a flow signs in with, validated.
enum Credentials {
    Refresh(SecretString),
    SignIn(SignInCredentials),
}

enum SignInCredentials {
    Password(Username, SecretString),
    /// Boxed: A is a 3072-bit number.
    Srp(Box<SrpStart>),
    /// `CUSTOM_AUTH`: the name, and SRP_A when the sign-in starts with the password.
    Custom(Username, CustomProof),
}

/// Starts a sign-in or refresh for `client`; `admin_pool` is set (and must be the client's
/// pool) when the request came through `AdminInitiateAuth`.
pub(super) async fn start(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    flow: &str,
    raw_parameters: BTreeMap<String, Option<SecretString>>,
    client_metadata: BTreeMap<String, String>,
) -> Result<HttpResponse, ApiError> {
    let required_flow = flow_requirement(flow, admin_pool.is_some())?;
    let mut parameters: BTreeMap<String, SecretString> = raw_parameters
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    // Every parameter is checked before the client is looked up: malformed input costs no
    // database query and no hash.
    let credentials = if required_flow == REFRESH_TOKEN_AUTH {
        let refresh = required(
            "authParameters.REFRESH_TOKEN",
            parameters.remove("REFRESH_TOKEN"),
        )?;
        Credentials::Refresh(token("authParameters.REFRESH_TOKEN", &refresh)?)
    } else if required_flow == USER_SRP_AUTH {
        let name = required("authParameters.USERNAME", parameters.remove("USERNAME"))?;
        let name = username("authParameters.USERNAME", name.expose_secret())?;
        let client_public = required("authParameters.SRP_A", parameters.remove("SRP_A"))?;
        let client_public = ClientPublic::parse_hex(client_public.expose_secret())
            .map_err(|_| ApiError::invalid_parameter("Invalid SRP_A value.", SURFACE))?;
        Credentials::SignIn(SignInCredentials::Srp(Box::new(SrpStart {
            username: name,
            client_public,
        })))
    } else if required_flow == CUSTOM_AUTH {
        let name = required("authParameters.USERNAME", parameters.remove("USERNAME"))?;
        let name = username("authParameters.USERNAME", name.expose_secret())?;
        Credentials::SignIn(SignInCredentials::Custom(
            name,
            custom_proof(&mut parameters)?,
        ))
    } else {
        let name = required("authParameters.USERNAME", parameters.remove("USERNAME"))?;
        let name = username("authParameters.USERNAME", name.expose_secret())?;
        let secret_password = required("authParameters.PASSWORD", parameters.remove("PASSWORD"))?;
        let password = password("authParameters.PASSWORD", &secret_password)?;
        Credentials::SignIn(SignInCredentials::Password(name, password))
    };
    let credentials = match credentials {
        // The client (its lookup included) and its refresh rules (flow, SECRET_HASH,
        // binding) are the use case's.
        Credentials::Refresh(refresh) => {
            let tokens = services
                .refresh_for_client(
                    &refresh,
                    client_id,
                    admin_pool,
                    CognitoRefresh::RefreshTokenAuth {
                        secret_hash: parameters.get("SECRET_HASH"),
                    },
                )
                .await
                .map_err(failed)?;
            return Ok(output(&CognitoToken::authenticated(&tokens)));
        }
        Credentials::SignIn(credentials) => credentials,
    };
    let not_found = || {
        failed(crate::auth::AuthError::ResourceNotFound(format!(
            "User pool client {client_id} does not exist."
        )))
    };
    let client = services
        .client_by_id(client_id)
        .await
        .map_err(failed)?
        .filter(|c| admin_pool.is_none_or(|pool| *pool == c.pool_id))
        .ok_or_else(not_found)?;
    if !client.settings.allows(required_flow) {
        return Err(ApiError::invalid_parameter(
            format!("{flow} flow not enabled for this client"),
            SURFACE,
        ));
    }
    let (name, password) = match credentials {
        SignInCredentials::Password(name, password) => (name, password),
        SignInCredentials::Custom(name, proof) => {
            services
                .check_secret_hash(&client, name.as_str(), parameters.get("SECRET_HASH"))
                .map_err(failed)?;
            let outcome = services
                .start_custom_auth(CustomAuthStart {
                    target: SignInTarget::Client(client_id.clone()),
                    username: name,
                    proof,
                    client_metadata,
                })
                .await
                .map_err(failed)?;
            return Ok(output(&CognitoToken::from_custom(outcome)));
        }
        SignInCredentials::Srp(start) => {
            services
                .check_secret_hash(
                    &client,
                    start.username.as_str(),
                    parameters.get("SECRET_HASH"),
                )
                .map_err(failed)?;
            let challenge = services
                .start_srp_sign_in(&client, *start)
                .await
                .map_err(failed)?;
            return Ok(output(&CognitoToken::password_verifier(challenge)));
        }
    };
    services
        .check_secret_hash(&client, name.as_str(), parameters.get("SECRET_HASH"))
        .map_err(failed)?;
    let outcome = services
        .sign_in_with_password(PasswordSignIn {
            target: SignInTarget::Client(client_id.clone()),
            username: name,
            password,
            client_metadata,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::from_outcome(outcome)))
}
