//! The sign-in page, `GET|POST /login`. The form posts the credentials through the password
//! sign-in use case, so the pool's lockout and the same answer for an unknown user and a
//! wrong password hold here as on the API. A right password may lead to the new-password,
//! second-factor code, factor choice or authenticator set-up page instead of the redirect.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    Site, checked_page_request, form_page, page_links, posted_form, sign_in_message, signed_in,
};
use crate::auth::Services;
use crate::auth::mfa_challenge::{MFA_SETUP, SELECT_MFA_TYPE};
use crate::auth::sign_in::{PasswordSignIn, SignInOutcome, SignInTarget};
use crate::domain::authorization_request::AuthorizationRequest;
use crate::domain::ids::ClientId;
use crate::domain::secret::{ExposeSecret, secret};
use crate::domain::username::Username;

pub(super) const FORM: &str = "login";

pub(super) async fn show(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (site, authorization) = match checked_page_request(&request, &services).await {
        Ok(checked) => checked,
        Err(page) => return page,
    };
    login_form(
        &site,
        &request,
        &services,
        &authorization.client_id,
        StatusCode::OK,
        "",
        Said::Nothing,
    )
    .await
}

/// What the sign-in page says above its form.
pub(super) enum Said<'a> {
    Nothing,
    /// Why the last attempt was refused (an alert).
    Error(&'a str),
    /// What the page before achieved (a status), e.g. a password changed.
    Notice(&'a str),
}

impl<'a> Said<'a> {
    /// The template's `error` and `notice`.
    pub(super) fn split(self) -> (Option<&'a str>, Option<&'a str>) {
        match self {
            Said::Nothing => (None, None),
            Said::Error(error) => (Some(error), None),
            Said::Notice(notice) => (None, Some(notice)),
        }
    }
}

pub(super) async fn login_form(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    client: &ClientId,
    status: StatusCode,
    username: &str,
    said: Said<'_>,
) -> HttpResponse {
    // The sign-up link only where the pool lets users sign themselves up.
    let sign_up = match services.hosted_sign_up_form(client).await {
        Ok(form) => form.is_some(),
        Err(error) => return site.failure_page(error),
    };
    let (error, notice) = said.split();
    form_page(
        site,
        request,
        services,
        status,
        "login.html",
        FORM,
        minijinja::context! {
            title => "Sign in",
            action => site.action("/login", request),
            username => username,
            error => error,
            notice => notice,
            sign_up => sign_up,
            ..page_links(site, request)
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
    let typed = fields.get("username").map_or("", String::as_str);
    let password = fields.get("password").map_or("", String::as_str);
    let Ok(username) = Username::parse(typed) else {
        return login_form(
            &site,
            &request,
            &services,
            &authorization.client_id,
            StatusCode::UNAUTHORIZED,
            typed,
            Said::Error(crate::auth::NotAuthorized::IncorrectCredentials.message()),
        )
        .await;
    };
    let outcome = services
        .sign_in_with_password(PasswordSignIn {
            target: SignInTarget::Client(authorization.client_id.clone()),
            username,
            password: secret(password),
            client_metadata: Default::default(),
        })
        .await;
    match outcome {
        Ok(outcome) => continue_sign_in(&site, &request, &services, &authorization, outcome).await,
        Err(error) => match sign_in_message(error) {
            Ok((status, message)) => {
                login_form(
                    &site,
                    &request,
                    &services,
                    &authorization.client_id,
                    status,
                    typed,
                    Said::Error(&message),
                )
                .await
            }
            Err(error) => site.failure_page(error),
        },
    }
}

/// What follows a step of the sign-in: the redirect, or the next page.
pub(super) async fn continue_sign_in(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    authorization: &AuthorizationRequest,
    outcome: SignInOutcome,
) -> HttpResponse {
    match outcome {
        SignInOutcome::Authenticated(tokens) => {
            signed_in(site, services, authorization, tokens).await
        }
        SignInOutcome::NewPasswordRequired(challenge) => super::new_password::page(
            site,
            request,
            services,
            StatusCode::OK,
            challenge.session.expose_secret(),
            &challenge.username,
            None,
        ),
        SignInOutcome::MfaRequired(challenge) => match challenge.name {
            MFA_SETUP => {
                super::mfa_setup::start(site, request, services, authorization, challenge).await
            }
            SELECT_MFA_TYPE => super::select_mfa::page(
                site,
                request,
                services,
                challenge.session.expose_secret(),
                &challenge.username,
                &challenge.factors,
            ),
            name => match super::mfa::code_challenge(name) {
                Some(code_challenge) => super::mfa::page(
                    site,
                    request,
                    services,
                    StatusCode::OK,
                    &super::mfa::CodePrompt {
                        challenge: code_challenge,
                        session: challenge.session.expose_secret(),
                        username: &challenge.username,
                        device: challenge.device_name.as_deref(),
                        destination: challenge.delivery.as_ref().map(|d| d.destination.as_str()),
                    },
                    None,
                ),
                None => site.failure_page(crate::auth::AuthError::internal(format!(
                    "the hosted pages have no page for the challenge {name}"
                ))),
            },
        },
    }
}
