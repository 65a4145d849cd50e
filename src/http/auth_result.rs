//! The result of a sign-in as Cognito shapes it (InitiateAuth's output): tokens, or a
//! challenge to answer first. The login API wraps it in `cognitoToken`; the Cognito API
//! returns it as it is. Member order follows the login API's contract.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth::issue::IssuedTokens;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, NewPasswordChallenge};
use crate::domain::secret::ExposeSecret;

/// Tokens, or the challenge that stands before them.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum CognitoToken {
    #[serde(rename_all = "PascalCase")]
    Authenticated {
        challenge_parameters: BTreeMap<String, String>,
        authentication_result: AuthenticationResult,
    },
    #[serde(rename_all = "PascalCase")]
    Challenge {
        challenge_name: &'static str,
        session: String,
        challenge_parameters: NewPasswordParameters,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthenticationResult {
    id_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    access_token: String,
}

#[derive(Serialize)]
pub(crate) struct NewPasswordParameters {
    #[serde(rename = "USER_ID_FOR_SRP")]
    pub(crate) user_id_for_srp: String,
    #[serde(rename = "requiredAttributes")]
    pub(crate) required_attributes: String,
    #[serde(rename = "userAttributes")]
    pub(crate) user_attributes: String,
}

impl CognitoToken {
    pub(crate) fn new_password_required(challenge: NewPasswordChallenge) -> Self {
        Self::Challenge {
            challenge_name: NEW_PASSWORD_REQUIRED,
            session: challenge.session.expose_secret().to_owned(),
            challenge_parameters: NewPasswordParameters {
                user_id_for_srp: challenge.username,
                required_attributes: challenge.required_attributes_json,
                user_attributes: challenge.user_attributes_json,
            },
        }
    }

    pub(crate) fn authenticated(tokens: &IssuedTokens) -> Self {
        Self::Authenticated {
            challenge_parameters: BTreeMap::new(),
            authentication_result: AuthenticationResult {
                id_token: tokens.id_token.expose_secret().to_owned(),
                token_type: "Bearer",
                expires_in: tokens.expires_in,
                refresh_token: tokens
                    .refresh_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned()),
                access_token: tokens.access_token.expose_secret().to_owned(),
            },
        }
    }
}

/// GetTokensFromRefreshToken answers with the result alone.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthenticationResultOnly {
    authentication_result: AuthenticationResult,
}

impl CognitoToken {
    pub(crate) fn into_authentication_result(self) -> Option<AuthenticationResultOnly> {
        match self {
            Self::Authenticated {
                authentication_result,
                ..
            } => Some(AuthenticationResultOnly {
                authentication_result,
            }),
            Self::Challenge { .. } => None,
        }
    }
}
