//! The second-factor code page: a user whose factor is an authenticator app
//! (`SOFTWARE_TOKEN_MFA`), or a code sent by e-mail (`EMAIL_OTP`) or SMS (`SMS_MFA`), enters
//! the code, through the MFA challenge use case (each code used once, wrong codes counted by
//! the lockout).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::continue_sign_in;
use super::{Site, form_page, posted_form, sign_in_message};
use crate::auth::mfa_challenge::{MfaAnswer, SOFTWARE_TOKEN_MFA};
use crate::auth::otp_mfa::{EMAIL_OTP, SMS_MFA};
use crate::auth::sign_in::{SignInOutcome, SignInTarget};
use crate::auth::{AuthError, Services};
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "mfa";

/// The challenges this page answers.
const CODE_CHALLENGES: [&str; 3] = [SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA];

/// What the page asks for: the challenge and its session, and what it shows of the factor.
pub(super) struct CodePrompt<'a> {
    pub challenge: &'static str,
    pub session: &'a str,
    pub username: &'a str,
    /// The authenticator app's `FriendlyDeviceName`.
    pub device: Option<&'a str>,
    /// Where a sent code went, masked.
    pub destination: Option<&'a str>,
}

/// One of [`CODE_CHALLENGES`], by name.
pub(super) fn code_challenge(name: &str) -> Option<&'static str> {
    CODE_CHALLENGES.into_iter().find(|known| *known == name)
}

pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    prompt: &CodePrompt<'_>,
    error: Option<&str>,
) -> HttpResponse {
    let title = if prompt.challenge == SOFTWARE_TOKEN_MFA {
        "Enter your authenticator code"
    } else {
        "Enter the code we sent you"
    };
    form_page(
        site,
        request,
        services,
        status,
        "mfa.html",
        FORM,
        minijinja::context! {
            title => title,
            action => site.action("/login/mfa", request),
            challenge => prompt.challenge,
            session => prompt.session,
            username => prompt.username,
            device => prompt.device,
            destination => prompt.destination,
            error => error,
        },
    )
}

pub(super) async fn submit(
    request: HttpRequest,
    services: web::Data<Services>,
    body: web::Bytes,
) -> HttpResponse {
    let (site, authorization, fields) = match posted_form(&request, &services, FORM, &body).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let field = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (session, typed) = (
        field("session").unwrap_or(""),
        field("username").unwrap_or(""),
    );
    let Some(challenge) = code_challenge(field("challenge").unwrap_or_default()) else {
        return site.error_page(StatusCode::BAD_REQUEST, "Unknown challenge.");
    };
    let answer = MfaAnswer {
        target: SignInTarget::Client(authorization.client_id.clone()),
        challenge_name: challenge,
        username: Username::parse(typed).ok(),
        session: secret(session),
        code: Some(secret(field("code").unwrap_or(""))),
        client_metadata: Default::default(),
    };
    match services.answer_mfa_challenge(answer).await {
        Ok(tokens) => {
            continue_sign_in(
                &site,
                &request,
                &services,
                &authorization,
                SignInOutcome::Authenticated(tokens),
            )
            .await
        }
        // A wrong code leaves the challenge open for another try.
        Err(AuthError::MfaCodeMismatch) => page(
            &site,
            &request,
            &services,
            StatusCode::BAD_REQUEST,
            &CodePrompt {
                challenge,
                session,
                username: typed,
                device: field("device"),
                destination: field("destination"),
            },
            Some("Invalid code received for user"),
        ),
        Err(error) => match sign_in_message(error) {
            Ok((status, message)) => site.error_page(status, &message),
            Err(error) => site.failure_page(error),
        },
    }
}
