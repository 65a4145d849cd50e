//! The result of a sign-in as Cognito shapes it (InitiateAuth's output): tokens, or a
//! challenge to answer first. The login API wraps it in `cognitoToken`; the Cognito API
//! returns it as it is. Member order follows the login API's contract.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth::custom_auth::{CUSTOM_CHALLENGE, CustomOutcome};
use crate::auth::issue::IssuedTokens;
use crate::auth::mfa_challenge::{MFA_SETUP, MfaChallenge, SELECT_MFA_TYPE};
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, NewPasswordChallenge, SignInOutcome};
use crate::auth::srp_sign_in::{PASSWORD_VERIFIER, PasswordVerifierChallenge};
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
    /// A second factor (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, `SMS_MFA`, `SELECT_MFA_TYPE`,
    /// `MFA_SETUP`).
    #[serde(rename_all = "PascalCase")]
    Mfa {
        challenge_name: &'static str,
        session: String,
        challenge_parameters: BTreeMap<&'static str, String>,
    },
    /// SRP's second step. No `Session` in a plain SRP sign-in, as Cognito answers (the
    /// `SECRET_BLOCK` is the handle); a custom sign-in's carries its session on.
    #[serde(rename_all = "PascalCase")]
    PasswordVerifier {
        challenge_name: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        challenge_parameters: PasswordVerifierParameters,
    },
    /// A `CUSTOM_CHALLENGE`: the function's public parameters and `USERNAME`.
    #[serde(rename_all = "PascalCase")]
    Custom {
        challenge_name: &'static str,
        session: String,
        challenge_parameters: BTreeMap<String, String>,
    },
}

#[derive(Serialize)]
pub(crate) struct PasswordVerifierParameters {
    #[serde(rename = "SALT")]
    salt: String,
    #[serde(rename = "SECRET_BLOCK")]
    secret_block: String,
    #[serde(rename = "SRP_B")]
    srp_b: String,
    #[serde(rename = "USERNAME")]
    username: String,
    #[serde(rename = "USER_ID_FOR_SRP")]
    user_id_for_srp: String,
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

    /// Tokens or the challenge a sign-in ended with.
    pub(crate) fn from_outcome(outcome: SignInOutcome) -> Self {
        match outcome {
            SignInOutcome::Authenticated(tokens) => Self::authenticated(&tokens),
            SignInOutcome::NewPasswordRequired(challenge) => Self::new_password_required(challenge),
            SignInOutcome::MfaRequired(challenge) => Self::mfa(challenge),
        }
    }

    /// Cognito's parameters: the user's name as SRP knows it, and for `MFA_SETUP` the
    /// factors that can be set up, for `SELECT_MFA_TYPE` those to choose from (each a JSON
    /// array in a string), for `SOFTWARE_TOKEN_MFA` the app's name if it has one, for
    /// `EMAIL_OTP` and `SMS_MFA` where the code went (masked).
    pub(crate) fn mfa(challenge: MfaChallenge) -> Self {
        let mut parameters = BTreeMap::from([("USER_ID_FOR_SRP", challenge.username)]);
        let factors = || serde_json::to_string(&challenge.factors).unwrap_or_default();
        if challenge.name == MFA_SETUP {
            parameters.insert("MFAS_CAN_SETUP", factors());
        }
        if challenge.name == SELECT_MFA_TYPE {
            parameters.insert("MFAS_CAN_CHOOSE", factors());
        }
        if let Some(delivery) = challenge.delivery {
            parameters.insert(
                "CODE_DELIVERY_DELIVERY_MEDIUM",
                delivery.medium.as_str().to_owned(),
            );
            parameters.insert("CODE_DELIVERY_DESTINATION", delivery.destination);
        }
        if let Some(device) = challenge.device_name {
            parameters.insert("FRIENDLY_DEVICE_NAME", device);
        }
        Self::Mfa {
            challenge_name: challenge.name,
            session: challenge.session.expose_secret().to_owned(),
            challenge_parameters: parameters,
        }
    }

    pub(crate) fn password_verifier(challenge: PasswordVerifierChallenge) -> Self {
        Self::verifier(challenge, None)
    }

    fn verifier(challenge: PasswordVerifierChallenge, session: Option<String>) -> Self {
        Self::PasswordVerifier {
            challenge_name: PASSWORD_VERIFIER,
            session,
            challenge_parameters: PasswordVerifierParameters {
                salt: challenge.salt,
                secret_block: challenge.secret_block,
                srp_b: challenge.server_public,
                username: challenge.username,
                user_id_for_srp: challenge.user_id_for_srp,
            },
        }
    }

    /// Where a custom sign-in step ended.
    pub(crate) fn from_custom(outcome: CustomOutcome) -> Self {
        match outcome {
            CustomOutcome::SignedIn(outcome) => Self::from_outcome(outcome),
            CustomOutcome::Challenge(challenge) => Self::Custom {
                challenge_name: CUSTOM_CHALLENGE,
                session: challenge.session.expose_secret().to_owned(),
                challenge_parameters: challenge.parameters,
            },
            CustomOutcome::PasswordVerifier { challenge, session } => {
                Self::verifier(challenge, Some(session.expose_secret().to_owned()))
            }
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
            Self::Challenge { .. }
            | Self::Mfa { .. }
            | Self::PasswordVerifier { .. }
            | Self::Custom { .. } => None,
        }
    }
}
