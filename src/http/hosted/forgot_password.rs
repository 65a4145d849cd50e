//! The forgotten-password page, `GET|POST /forgotPassword`: the username, through the API's
//! `ForgotPassword`, so the answers are the API's. Where the app client prevents
//! user-existence errors (the default) an unknown user is shown exactly what a known one is:
//! the page for the code, with a masked destination. Then `/confirmForgotPassword`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::confirm_forgot_password;
use super::login::Said;
use super::{Site, checked_page_request, form_page, page_links, posted_form, refused_form};
use crate::auth::Services;
use crate::domain::username::Username;

const FORM: &str = "forgot_password";

fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    form_page(
        site,
        request,
        services,
        status,
        "forgot_password.html",
        FORM,
        minijinja::context! {
            title => "Forgot your password?",
            action => site.action("/forgotPassword", request),
            username => username,
            error => error,
            ..page_links(site, request)
        },
    )
}

pub(super) async fn show(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let site = match checked_page_request(&request, &services).await {
        Ok((site, _)) => site,
        Err(page) => return page,
    };
    page(&site, &request, &services, StatusCode::OK, "", None)
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
    let again = |status: StatusCode, message: &str| {
        page(&site, &request, &services, status, typed, Some(message))
    };
    let Ok(username) = Username::parse(typed) else {
        return again(StatusCode::BAD_REQUEST, "Enter your username.");
    };
    match services
        .hosted_forgot_password(&authorization.client_id, &username)
        .await
    {
        Ok(delivery) => confirm_forgot_password::page(
            &site,
            &request,
            &services,
            StatusCode::OK,
            typed,
            Some(&delivery.destination),
            Said::Nothing,
        ),
        Err(error) => refused_form(&site, error, again),
    }
}
