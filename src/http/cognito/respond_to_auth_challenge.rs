//! `RespondToAuthChallenge` for `NEW_PASSWORD_REQUIRED` (the same use case as the login API's),
//! `PASSWORD_VERIFIER` (SRP's second step, also inside `CUSTOM_AUTH`), `CUSTOM_CHALLENGE`
//! (`auth/custom_auth.rs`), and the second factor: `SOFTWARE_TOKEN_MFA`,
//! `EMAIL_OTP`, `SMS_MFA`, `SELECT_MFA_TYPE` and `MFA_SETUP`. `AdminRespondToAuthChallenge`
//! shares [`answer`].

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::{
    SURFACE, client_id, constraint, failed, input, output, password, required, token, username,
};
use crate::auth::Services;
use crate::auth::custom_auth::{CUSTOM_CHALLENGE, CustomAnswer, MAX_ANSWER_CHARS};
use crate::auth::mfa_challenge::{MFA_SETUP, MfaAnswer, SELECT_MFA_TYPE, SOFTWARE_TOKEN_MFA};
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::otp_mfa::{EMAIL_OTP, SMS_MFA, code_digits, otp_factor};
use crate::auth::select_mfa_type::MfaChoice;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use crate::auth::srp_sign_in::{PASSWORD_VERIFIER, PasswordVerifierAnswer};
use crate::domain::app_client::{CUSTOM_AUTH, USER_SRP_AUTH};
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
    /// Passed to the custom-challenge functions (docs/triggers.md).
    #[serde(default)]
    client_metadata: BTreeMap<String, String>,
}

pub(super) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let client = client_id(&required("clientId", input.client_id)?)?;
    let challenge = required("challengeName", input.challenge_name)?;
    answer(
        services,
        &client,
        None,
        &challenge,
        input.session,
        input.challenge_responses,
        input.client_metadata,
    )
    .await
}

pub(super) async fn answer(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    challenge: &str,
    session: Option<SecretString>,
    raw_responses: BTreeMap<String, Option<SecretString>>,
    client_metadata: BTreeMap<String, String>,
) -> Result<HttpResponse, ApiError> {
    if challenge == PASSWORD_VERIFIER {
        return answer_password_verifier(
            services,
            client_id,
            admin_pool,
            session,
            raw_responses,
            client_metadata,
        )
        .await;
    }
    if challenge == CUSTOM_CHALLENGE {
        return answer_custom_challenge(
            services,
            client_id,
            admin_pool,
            session,
            raw_responses,
            client_metadata,
        )
        .await;
    }
    if challenge == SELECT_MFA_TYPE {
        return answer_select_mfa_type(services, client_id, admin_pool, session, raw_responses)
            .await;
    }
    if let Some(name) = [SOFTWARE_TOKEN_MFA, MFA_SETUP, EMAIL_OTP, SMS_MFA]
        .into_iter()
        .find(|known| *known == challenge)
    {
        return answer_second_factor(
            services,
            client_id,
            admin_pool,
            name,
            session,
            raw_responses,
            client_metadata,
        )
        .await;
    }
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
                "Member must satisfy enum value set: [NEW_PASSWORD_REQUIRED, PASSWORD_VERIFIER, CUSTOM_CHALLENGE, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA, SELECT_MFA_TYPE, MFA_SETUP]",
            )
        });
    }
    let session = challenge_session(session)?;
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
    let mut responses = given_responses(raw_responses);
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
            client_metadata,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::authenticated(&tokens)))
}

/// `SOFTWARE_TOKEN_MFA` (`USERNAME`, `SOFTWARE_TOKEN_MFA_CODE`), `EMAIL_OTP`
/// (`EMAIL_OTP_CODE`), `SMS_MFA` (`SMS_MFA_CODE`) or `MFA_SETUP` (`USERNAME`; the code went
/// to VerifySoftwareToken), with `SECRET_HASH` for a client that has a secret. Everything is
/// checked before the session is looked up.
async fn answer_second_factor(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    challenge: &'static str,
    session: Option<SecretString>,
    raw_responses: BTreeMap<String, Option<SecretString>>,
    client_metadata: BTreeMap<String, String>,
) -> Result<HttpResponse, ApiError> {
    let session = challenge_session(session)?;
    let mut responses = given_responses(raw_responses);
    let named_user = responding_user(&mut responses)?;
    let code = if challenge == SOFTWARE_TOKEN_MFA {
        let code = required(
            "challengeResponses.SOFTWARE_TOKEN_MFA_CODE",
            responses.remove("SOFTWARE_TOKEN_MFA_CODE"),
        )?;
        super::verify_software_token::six_digits(
            "challengeResponses.SOFTWARE_TOKEN_MFA_CODE",
            &code,
        )?;
        Some(code)
    } else if let Some(factor) = otp_factor(challenge) {
        let name = format!("{challenge}_CODE");
        let code = required(
            &format!("challengeResponses.{name}"),
            responses.remove(&name),
        )?;
        let digits = code.expose_secret();
        if digits.len() != code_digits(factor) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::invalid_parameter(
                format!("{name} must be {} digits", code_digits(factor)),
                SURFACE,
            ));
        }
        Some(code)
    } else {
        None
    };
    answering_client(services, client_id, admin_pool, &named_user, &responses).await?;
    let tokens = services
        .answer_mfa_challenge(MfaAnswer {
            target: SignInTarget::Client(client_id.clone()),
            challenge_name: challenge,
            username: Some(named_user),
            session,
            code,
            client_metadata,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::authenticated(&tokens)))
}

/// Checks the app client an answer is sent to, and the answer's `SECRET_HASH` for it.
async fn answering_client(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    named_user: &crate::domain::username::Username,
    responses: &BTreeMap<String, SecretString>,
) -> Result<(), ApiError> {
    let client = lookup_client(services, client_id, admin_pool).await?;
    services
        .check_secret_hash(&client, named_user.as_str(), responses.get("SECRET_HASH"))
        .map_err(failed)
}

/// The app client an answer is sent to; for AdminRespondToAuthChallenge, one of its pool.
async fn lookup_client(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
) -> Result<crate::domain::app_client::AppClient, ApiError> {
    services
        .client_by_id(client_id)
        .await
        .map_err(failed)?
        .filter(|c| admin_pool.is_none_or(|pool| *pool == c.pool_id))
        .ok_or_else(|| {
            failed(crate::auth::AuthError::ResourceNotFound(format!(
                "User pool client {client_id} does not exist."
            )))
        })
}

/// `SELECT_MFA_TYPE` (`USERNAME`, `ANSWER` naming a factor): the chosen factor's challenge.
async fn answer_select_mfa_type(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    session: Option<SecretString>,
    raw_responses: BTreeMap<String, Option<SecretString>>,
) -> Result<HttpResponse, ApiError> {
    let session = challenge_session(session)?;
    let mut responses = given_responses(raw_responses);
    let named_user = responding_user(&mut responses)?;
    let answer = required("challengeResponses.ANSWER", responses.remove("ANSWER"))?;
    let factor = [SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA]
        .into_iter()
        .find(|known| *known == answer.expose_secret())
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "ANSWER must be one of SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA",
                SURFACE,
            )
        })?;
    answering_client(services, client_id, admin_pool, &named_user, &responses).await?;
    let challenge = services
        .choose_mfa_type(MfaChoice {
            target: SignInTarget::Client(client_id.clone()),
            username: Some(named_user),
            session,
            factor,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::mfa(challenge)))
}

/// `CUSTOM_CHALLENGE` (`USERNAME`, `ANSWER`, and `SECRET_HASH` for a client with a secret).
async fn answer_custom_challenge(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    session: Option<SecretString>,
    raw_responses: BTreeMap<String, Option<SecretString>>,
    client_metadata: BTreeMap<String, String>,
) -> Result<HttpResponse, ApiError> {
    let session = challenge_session(session)?;
    let mut responses = given_responses(raw_responses);
    let named_user = responding_user(&mut responses)?;
    let answer = required("challengeResponses.ANSWER", responses.remove("ANSWER"))?;
    if answer.expose_secret().chars().count() > MAX_ANSWER_CHARS {
        return Err(constraint(
            "challengeResponses.ANSWER",
            "Member must have length less than or equal to 2048",
        ));
    }
    answering_client(services, client_id, admin_pool, &named_user, &responses).await?;
    let outcome = services
        .answer_custom_challenge(CustomAnswer {
            target: SignInTarget::Client(client_id.clone()),
            username: Some(named_user),
            session,
            answer,
            client_metadata,
        })
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::from_custom(outcome)))
}

/// The longest `PASSWORD_CLAIM_SECRET_BLOCK` read (ours are 88 characters).
const MAX_SECRET_BLOCK_CHARS: usize = 4096;

/// The longest `PASSWORD_CLAIM_SIGNATURE` read (an HMAC-SHA256 is 44 characters).
const MAX_SIGNATURE_CHARS: usize = 256;

/// A challenge response that must be non-empty base64 of at most `max_chars` characters;
/// anything else is the client's mistake, answered before any work.
fn decode_base64_field(
    value: &SecretString,
    max_chars: usize,
    name: &str,
) -> Result<Vec<u8>, ApiError> {
    let value = value.expose_secret();
    (value.len() <= max_chars)
        .then(|| STANDARD.decode(value).ok())
        .flatten()
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid {name}."), SURFACE))
}

/// `PASSWORD_VERIFIER`: every response is checked before the client is looked up; the
/// challenge is spent only by an answer that reaches the use case. An answer with a
/// `Session` continues a custom sign-in (`CUSTOM_AUTH` with `SRP_A`); without one, a plain
/// SRP sign-in, whose handle is the `SECRET_BLOCK`.
async fn answer_password_verifier(
    services: &Services,
    client_id: &ClientId,
    admin_pool: Option<&UserPoolId>,
    session: Option<SecretString>,
    raw_responses: BTreeMap<String, Option<SecretString>>,
    client_metadata: BTreeMap<String, String>,
) -> Result<HttpResponse, ApiError> {
    let session = session
        .filter(|s| !s.expose_secret().is_empty())
        .map(|s| challenge_session(Some(s)))
        .transpose()?;
    let mut responses = given_responses(raw_responses);
    let mut take = |name: &str| {
        required(
            &format!("challengeResponses.{name}"),
            responses.remove(name),
        )
    };
    let named_user = username(
        "challengeResponses.USERNAME",
        take("USERNAME")?.expose_secret(),
    )?;
    let secret_block = take("PASSWORD_CLAIM_SECRET_BLOCK")?;
    let signature = take("PASSWORD_CLAIM_SIGNATURE")?;
    let timestamp = take("TIMESTAMP")?;
    let secret_block = decode_base64_field(
        &secret_block,
        MAX_SECRET_BLOCK_CHARS,
        "PASSWORD_CLAIM_SECRET_BLOCK",
    )?;
    let signature =
        decode_base64_field(&signature, MAX_SIGNATURE_CHARS, "PASSWORD_CLAIM_SIGNATURE")?;
    let timestamp = timestamp.expose_secret();
    if !is_cognito_timestamp(timestamp) {
        return Err(ApiError::invalid_parameter(
            "TIMESTAMP format is invalid; expected e.g. \"Tue Sep 3 08:04:56 UTC 2019\".",
            SURFACE,
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
    // A custom sign-in's password step is part of CUSTOM_AUTH, which the client allowed to
    // start it; a plain SRP sign-in needs USER_SRP_AUTH.
    let flow = if session.is_some() {
        CUSTOM_AUTH
    } else {
        USER_SRP_AUTH
    };
    if !client.settings.allows(flow) {
        return Err(ApiError::invalid_parameter(
            format!(
                "{} flow not enabled for this client",
                flow.trim_start_matches("ALLOW_")
            ),
            SURFACE,
        ));
    }
    let answer = PasswordVerifierAnswer {
        username: named_user,
        secret_block,
        timestamp: timestamp.to_owned(),
        signature,
        secret_hash: responses.remove("SECRET_HASH"),
        client_metadata,
    };
    if let Some(session) = session {
        let outcome = services
            .answer_custom_password_verifier(&client, &session, answer)
            .await
            .map_err(failed)?;
        return Ok(output(&CognitoToken::from_custom(outcome)));
    }
    let outcome = services
        .answer_password_verifier(&client, answer)
        .await
        .map_err(failed)?;
    Ok(output(&CognitoToken::from_outcome(outcome)))
}

/// Cognito's clients send `TIMESTAMP` as `ddd MMM D HH:mm:ss UTC YYYY` in English, the day
/// of the month without a leading zero (some send it with one; both are read). The value is
/// signed into the proof as sent; its clock is not compared with ours (the challenge itself
/// expires after three minutes).
fn is_cognito_timestamp(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%a %b %d %H:%M:%S UTC %Y").is_ok()
        && text.len() <= 32
}

/// The `Session` of a challenge answer, of the length Cognito's model allows.
fn challenge_session(session: Option<SecretString>) -> Result<SecretString, ApiError> {
    let session = token("session", &required("session", session)?)?;
    if !(20..=4096).contains(&session.expose_secret().chars().count()) {
        return Err(constraint(
            "session",
            "Member must have length between 20 and 4096",
        ));
    }
    Ok(session)
}

/// `ChallengeResponses` without the members sent as null.
fn given_responses(
    raw_responses: BTreeMap<String, Option<SecretString>>,
) -> BTreeMap<String, SecretString> {
    raw_responses
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
}

/// The `USERNAME` a second-factor answer names (taken out of the responses).
fn responding_user(
    responses: &mut BTreeMap<String, SecretString>,
) -> Result<crate::domain::username::Username, ApiError> {
    username(
        "challengeResponses.USERNAME",
        required("challengeResponses.USERNAME", responses.remove("USERNAME"))?.expose_secret(),
    )
}

#[cfg(test)]
mod tests {
    use super::is_cognito_timestamp;

    #[test]
    fn timestamps_in_the_clients_format_are_read() {
        assert!(is_cognito_timestamp("Tue Sep 3 08:04:56 UTC 2019"));
        assert!(is_cognito_timestamp("Tue Sep 03 08:04:56 UTC 2019"));
        assert!(is_cognito_timestamp("Sun Dec 6 09:04:05 UTC 2026"));
        assert!(!is_cognito_timestamp("2019-09-03T08:04:56Z"));
        assert!(!is_cognito_timestamp("Tue Sep 3 08:04:56 GMT 2019"));
        assert!(!is_cognito_timestamp("Tue Sep 3 25:04:56 UTC 2019"));
        assert!(!is_cognito_timestamp(""));
    }
}
