//! The confirmation page, `GET|POST /confirmUser`: the code sent at sign-up, through the
//! API's `ConfirmSignUp` (single use, five wrong guesses), and a button for a new code
//! (`ResendConfirmationCode`). Once confirmed, the browser that signed up is signed in and
//! sent on to the application, as Cognito does; anyone else (a confirmation from another
//! browser, or a pool that asks for more than the password) goes to the sign-in page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::{Said, continue_sign_in, login_form};
use super::{
    PRE_SESSION_COOKIE, Site, checked_page_request, cookie_value, form_page, page_links,
    posted_form, refused_form,
};
use crate::auth::Services;
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "confirm_user";

/// What the page shows besides its fields.
#[derive(Default)]
pub(super) struct Shown<'a> {
    pub username: &'a str,
    /// The sign-up ticket of this browser (empty when it did not sign up here).
    pub ticket: &'a str,
    /// Where the code went, masked.
    pub destination: Option<&'a str>,
}

pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    shown: Shown<'_>,
    said: Said<'_>,
) -> HttpResponse {
    let (error, notice) = said.split();
    form_page(
        site,
        request,
        services,
        status,
        "confirm_user.html",
        FORM,
        minijinja::context! {
            title => "Confirm your account",
            action => site.action("/confirmUser", request),
            username => shown.username,
            ticket => shown.ticket,
            destination => shown.destination,
            error => error,
            notice => notice,
            ..page_links(site, request)
        },
    )
}

pub(super) async fn show(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let site = match checked_page_request(&request, &services).await {
        Ok((site, _)) => site,
        Err(page) => return page,
    };
    page(
        &site,
        &request,
        &services,
        StatusCode::OK,
        Shown::default(),
        Said::Nothing,
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
    let (typed, ticket) = (field("username"), field("ticket"));
    let shown = || Shown {
        username: typed,
        ticket,
        destination: None,
    };
    let again = |status: StatusCode, message: &str| {
        page(
            &site,
            &request,
            &services,
            status,
            shown(),
            Said::Error(message),
        )
    };
    let Ok(username) = Username::parse(typed) else {
        return again(StatusCode::BAD_REQUEST, "Enter your username.");
    };
    let client = &authorization.client_id;
    if field("step") == "resend" {
        return match services
            .hosted_resend_confirmation_code(client, &username)
            .await
        {
            Ok(delivery) => {
                let notice = match &delivery {
                    Some(delivery) => format!("We sent a new code to {}.", delivery.destination),
                    None => "A new code was issued.".to_owned(),
                };
                page(
                    &site,
                    &request,
                    &services,
                    StatusCode::OK,
                    shown(),
                    Said::Notice(&notice),
                )
            }
            Err(error) => refused_form(&site, error, again),
        };
    }
    let pre_session = cookie_value(&request, PRE_SESSION_COOKIE);
    let ticket = pre_session
        .as_ref()
        .filter(|_| !ticket.is_empty())
        .map(|pre_session| (ticket, pre_session));
    let code = secret(field("code"));
    match services
        .hosted_confirm_sign_up(client, &username, &code, ticket)
        .await
    {
        Ok(Some(outcome)) => {
            continue_sign_in(&site, &request, &services, &authorization, outcome).await
        }
        Ok(None) => {
            login_form(
                &site,
                &request,
                &services,
                client,
                StatusCode::OK,
                typed,
                Said::Notice("Your account is confirmed. Sign in to continue."),
            )
            .await
        }
        Err(error) => refused_form(&site, error, again),
    }
}
