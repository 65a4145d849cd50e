//! `POST /RespondToAuthChallenge`: answering a challenge `/Login` returned with its session:
//! `NEW_PASSWORD_REQUIRED` with a password the pool's policy accepts, `SOFTWARE_TOKEN_MFA`
//! with a TOTP code, `EMAIL_OTP` / `SMS_MFA` with the code sent, `SELECT_MFA_TYPE` with the
//! chosen factor (answered by that factor's challenge), `MFA_SETUP` once the authenticator
//! app is verified, `CUSTOM_CHALLENGE` with the `ANSWER` the pool's functions judge
//! (docs/api.md).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{SURFACE, opaque_token, password, tenant_name, token_response, username};
use crate::auth::Services;
use crate::auth::custom_auth::{CUSTOM_CHALLENGE, CustomAnswer, MAX_ANSWER_CHARS};
use crate::auth::mfa_challenge::{MFA_SETUP, MfaAnswer, SELECT_MFA_TYPE, SOFTWARE_TOKEN_MFA};
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::otp_mfa::{EMAIL_OTP, SMS_MFA, code_digits, otp_factor};
use crate::auth::select_mfa_type::MfaChoice;
use crate::auth::sign_in::{NEW_PASSWORD_REQUIRED, SignInTarget};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::http::auth_result::CognitoToken;
use crate::http::body::{AUTH_BODY_LIMIT, read_json};
use crate::http::error::ApiError;
use crate::http::rate_limit::SignInLimiter;

/// Cognito's `SessionType` bounds.
const SESSION_CHARS: std::ops::RangeInclusive<usize> = 20..=4096;

#[derive(Deserialize)]
struct RespondRequest {
    #[serde(rename = "TenantName")]
    tenant_name: String,
    #[serde(rename = "UserName", default)]
    user_name: Option<String>,
    #[serde(rename = "ChallengeName")]
    challenge_name: String,
    #[serde(rename = "Session")]
    session: SecretString,
    /// Values may be JSON null (browser SDKs send them); nulls are ignored.
    #[serde(
        rename = "ChallengeResponses",
        deserialize_with = "crate::http::body::unique_keys"
    )]
    challenge_responses: BTreeMap<String, Option<SecretString>>,
}

pub(super) async fn respond_to_auth_challenge(
    request: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    limiter: web::Data<SignInLimiter>,
) -> Result<HttpResponse, ApiError> {
    limiter.check(&request, SURFACE)?;
    let body: RespondRequest = read_json(&request, payload, AUTH_BODY_LIMIT, SURFACE).await?;
    let challenge_name = [
        NEW_PASSWORD_REQUIRED,
        SOFTWARE_TOKEN_MFA,
        EMAIL_OTP,
        SMS_MFA,
        SELECT_MFA_TYPE,
        MFA_SETUP,
        CUSTOM_CHALLENGE,
    ]
    .into_iter()
    .find(|known| *known == body.challenge_name)
    .ok_or_else(|| {
        ApiError::invalid_parameter(
            format!(
                "1 validation error detected: Value at 'ChallengeName' must be one of \
                 {NEW_PASSWORD_REQUIRED}, {SOFTWARE_TOKEN_MFA}, {EMAIL_OTP}, {SMS_MFA}, \
                 {SELECT_MFA_TYPE}, {MFA_SETUP}, {CUSTOM_CHALLENGE}"
            ),
            SURFACE,
        )
    })?;
    // Sessions are ours: anything not shaped like one is refused before a look-up.
    let session = opaque_token("Session", &body.session)?;
    if !SESSION_CHARS.contains(&session.expose_secret().chars().count()) {
        return Err(ApiError::invalid_parameter(
            "1 validation error detected: Value at 'Session' must be 20-4096 characters",
            SURFACE,
        ));
    }
    let mut responses: BTreeMap<String, SecretString> = body
        .challenge_responses
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    if challenge_name != NEW_PASSWORD_REQUIRED {
        return answer_mfa(
            services.get_ref(),
            body.tenant_name,
            body.user_name,
            challenge_name,
            session,
            responses,
        )
        .await;
    }
    let new_password = required_response(&mut responses, "NEW_PASSWORD")?;
    let new_password = password("ChallengeResponses.NEW_PASSWORD", &new_password)?;
    let response_username = responses.remove("USERNAME");
    let named_user = match (&body.user_name, &response_username) {
        (Some(name), _) => Some(username("UserName", name)?),
        (None, Some(name)) => Some(username(
            "ChallengeResponses.USERNAME",
            name.expose_secret(),
        )?),
        (None, None) => None,
    };
    let mut attributes = BTreeMap::new();
    responses.retain(|name, value| match name.strip_prefix("userAttributes.") {
        Some(attribute) => {
            attributes.insert(attribute.to_owned(), value.expose_secret().to_owned());
            false
        }
        None => true,
    });
    no_other_responses(&responses)?;
    let tokens = services
        .answer_new_password(NewPasswordAnswer {
            target: SignInTarget::LoginName(tenant_name(&body.tenant_name)?),
            username: named_user,
            session,
            new_password,
            attributes,
            client_metadata: BTreeMap::new(),
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::authenticated(&tokens)))
}

/// `SOFTWARE_TOKEN_MFA` (with `SOFTWARE_TOKEN_MFA_CODE`), `EMAIL_OTP` (`EMAIL_OTP_CODE`),
/// `SMS_MFA` (`SMS_MFA_CODE`), `SELECT_MFA_TYPE` (`ANSWER`, answered with the chosen
/// factor's challenge) or `MFA_SETUP` (nothing more: the code went to VerifySoftwareToken);
/// `USERNAME` is optional, as on `NEW_PASSWORD_REQUIRED`.
async fn answer_mfa(
    services: &Services,
    tenant: String,
    user_name: Option<String>,
    challenge_name: &'static str,
    session: SecretString,
    mut responses: BTreeMap<String, SecretString>,
) -> Result<HttpResponse, ApiError> {
    let response_username = responses.remove("USERNAME");
    let named_user = match (&user_name, &response_username) {
        (Some(name), _) => Some(username("UserName", name)?),
        (None, Some(name)) => Some(username(
            "ChallengeResponses.USERNAME",
            name.expose_secret(),
        )?),
        (None, None) => None,
    };
    if challenge_name == SELECT_MFA_TYPE {
        return answer_select_mfa_type(services, tenant, named_user, session, responses).await;
    }
    if challenge_name == CUSTOM_CHALLENGE {
        return answer_custom_challenge(services, tenant, named_user, session, responses).await;
    }
    let code = if challenge_name == MFA_SETUP {
        None
    } else {
        let name = format!("{challenge_name}_CODE");
        let code = required_response(&mut responses, &name)?;
        let digits = otp_factor(challenge_name).map_or(6, code_digits);
        Some(mfa_code(&name, digits, &code)?)
    };
    no_other_responses(&responses)?;
    let tokens = services
        .answer_mfa_challenge(MfaAnswer {
            target: SignInTarget::LoginName(tenant_name(&tenant)?),
            challenge_name,
            username: named_user,
            session,
            code,
            client_metadata: BTreeMap::new(),
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::authenticated(&tokens)))
}

/// `SELECT_MFA_TYPE`: `ANSWER` names the factor; the answer is that factor's challenge.
async fn answer_select_mfa_type(
    services: &Services,
    tenant: String,
    named_user: Option<crate::domain::username::Username>,
    session: SecretString,
    mut responses: BTreeMap<String, SecretString>,
) -> Result<HttpResponse, ApiError> {
    let answer = required_response(&mut responses, "ANSWER")?;
    let factor = [SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA]
        .into_iter()
        .find(|known| *known == answer.expose_secret())
        .ok_or_else(|| {
            ApiError::invalid_parameter(
                "1 validation error detected: ANSWER must be one of SOFTWARE_TOKEN_MFA, \
                 EMAIL_OTP, SMS_MFA",
                SURFACE,
            )
        })?;
    no_other_responses(&responses)?;
    let challenge = services
        .choose_mfa_type(MfaChoice {
            target: SignInTarget::LoginName(tenant_name(&tenant)?),
            username: named_user,
            session,
            factor,
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::mfa(challenge)))
}

/// `CUSTOM_CHALLENGE`: `ANSWER` goes to the pool's VerifyAuthChallengeResponse function.
async fn answer_custom_challenge(
    services: &Services,
    tenant: String,
    named_user: Option<crate::domain::username::Username>,
    session: SecretString,
    mut responses: BTreeMap<String, SecretString>,
) -> Result<HttpResponse, ApiError> {
    let answer = required_response(&mut responses, "ANSWER")?;
    if answer.expose_secret().chars().count() > MAX_ANSWER_CHARS {
        return Err(ApiError::invalid_parameter(
            "1 validation error detected: ANSWER must be at most 2048 characters",
            SURFACE,
        ));
    }
    no_other_responses(&responses)?;
    let outcome = services
        .answer_custom_challenge(CustomAnswer {
            target: SignInTarget::LoginName(tenant_name(&tenant)?),
            username: named_user,
            session,
            answer,
            client_metadata: BTreeMap::new(),
        })
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    Ok(token_response(&CognitoToken::from_custom(outcome)))
}

/// A challenge response the answer must carry.
fn required_response(
    responses: &mut BTreeMap<String, SecretString>,
    name: &str,
) -> Result<SecretString, ApiError> {
    responses.remove(name).ok_or_else(|| {
        ApiError::invalid_parameter(
            format!("1 validation error detected: ChallengeResponses must contain {name}"),
            SURFACE,
        )
    })
}

/// Refuses any response the challenge does not take (SECRET_HASH and friends belong to the
/// Cognito API).
fn no_other_responses(responses: &BTreeMap<String, SecretString>) -> Result<(), ApiError> {
    match responses.keys().next() {
        Some(name) => Err(ApiError::invalid_parameter(
            format!("1 validation error detected: unexpected challenge response {name:?}"),
            SURFACE,
        )),
        None => Ok(()),
    }
}

/// A code of `digits` digits (TOTP: six; e-mailed: eight; texted: six), checked before any
/// look-up.
fn mfa_code(name: &str, digits: usize, code: &SecretString) -> Result<SecretString, ApiError> {
    let value = code.expose_secret();
    if value.len() == digits && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.clone())
    } else {
        Err(ApiError::invalid_parameter(
            format!("1 validation error detected: {name} must be {digits} digits"),
            SURFACE,
        ))
    }
}
