//! The factor choice page: a user with several second factors and no preferred one
//! (`SELECT_MFA_TYPE`) picks one, through the use case behind `RespondToAuthChallenge`'s
//! `SELECT_MFA_TYPE` answer; the code page for that factor follows.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::login::continue_sign_in;
use super::mfa::code_challenge;
use super::{Site, form_page, posted_form, sign_in_message};
use crate::auth::Services;
use crate::auth::mfa_challenge::SOFTWARE_TOKEN_MFA;
use crate::auth::otp_mfa::EMAIL_OTP;
use crate::auth::select_mfa_type::MfaChoice;
use crate::auth::sign_in::{SignInOutcome, SignInTarget};
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "select_mfa";

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

fn label(factor: &str) -> &'static str {
    match factor {
        SOFTWARE_TOKEN_MFA => "A code from my authenticator app",
        EMAIL_OTP => "A code sent to my e-mail address",
        _ => "A code sent to my phone by SMS",
    }
}

pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    session: &str,
    username: &str,
    factors: &[&'static str],
) -> HttpResponse {
    let choices: Vec<Choice> = factors
        .iter()
        .map(|&factor| Choice {
            value: factor,
            label: label(factor),
        })
        .collect();
    form_page(
        site,
        request,
        services,
        StatusCode::OK,
        "select_mfa.html",
        FORM,
        minijinja::context! {
            title => "Choose a sign-in step",
            action => site.action("/login/selectMfa", request),
            session => session,
            username => username,
            choices => choices,
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
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let Some(factor) = code_challenge(field("factor")) else {
        return site.error_page(StatusCode::BAD_REQUEST, "Choose one of the offered steps.");
    };
    let choice = MfaChoice {
        target: SignInTarget::Client(authorization.client_id.clone()),
        username: Username::parse(field("username")).ok(),
        session: secret(field("session")),
        factor,
    };
    match services.choose_mfa_type(choice).await {
        Ok(challenge) => {
            continue_sign_in(
                &site,
                &request,
                &services,
                &authorization,
                SignInOutcome::MfaRequired(challenge),
            )
            .await
        }
        Err(error) => match sign_in_message(error) {
            Ok((status, message)) => site.error_page(status, &message),
            Err(error) => site.failure_page(error),
        },
    }
}
