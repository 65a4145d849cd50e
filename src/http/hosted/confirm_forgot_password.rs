//! The new-password page of a reset, `GET|POST /confirmForgotPassword`: the code and the
//! new password, through the API's `ConfirmForgotPassword` (the pool's password policy,
//! single-use codes, five wrong guesses; every session of the user ends). Then the sign-in
//! page, saying the password was changed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::{Said, login_form};
use super::{Site, checked_page_request, form_page, page_links, posted_form, refused_form};
use crate::auth::Services;
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "confirm_forgot_password";

pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    username: &str,
    destination: Option<&str>,
    said: Said<'_>,
) -> HttpResponse {
    let (error, notice) = said.split();
    form_page(
        site,
        request,
        services,
        status,
        "confirm_forgot_password.html",
        FORM,
        minijinja::context! {
            title => "Reset your password",
            action => site.action("/confirmForgotPassword", request),
            username => username,
            destination => destination,
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
        "",
        None,
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
    let typed = field("username");
    let again = |status: StatusCode, message: &str| {
        page(
            &site,
            &request,
            &services,
            status,
            typed,
            None,
            Said::Error(message),
        )
    };
    let Ok(username) = Username::parse(typed) else {
        return again(StatusCode::BAD_REQUEST, "Enter your username.");
    };
    if field("new_password") != field("confirm_password") {
        return again(
            StatusCode::BAD_REQUEST,
            "The two passwords are not the same.",
        );
    }
    match services
        .hosted_confirm_forgot_password(
            &authorization.client_id,
            &username,
            &secret(field("code")),
            &secret(field("new_password")),
        )
        .await
    {
        Ok(()) => {
            login_form(
                &site,
                &request,
                &services,
                &authorization.client_id,
                StatusCode::OK,
                typed,
                Said::Notice("Your password was changed. Sign in with your new password."),
            )
            .await
        }
        Err(error) => refused_form(&site, error, again),
    }
}
