//! The new-password page: a user created with a temporary password (`FORCE_CHANGE_PASSWORD`)
//! chooses their own, through the `NEW_PASSWORD_REQUIRED` answer use case (the pool's
//! password policy applies).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::continue_sign_in;
use super::{Site, form_page, posted_form, sign_in_message};
use crate::auth::Services;
use crate::auth::new_password::NewPasswordAnswer;
use crate::auth::sign_in::{SignInOutcome, SignInTarget};
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "new_password";

pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    session: &str,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    form_page(
        site,
        request,
        services,
        status,
        "new_password.html",
        FORM,
        minijinja::context! {
            title => "Choose a new password",
            action => site.action("/login/newPassword", request),
            session => session,
            username => username,
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
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let (session, typed) = (field("session"), field("username"));
    if field("new_password") != field("confirm_password") {
        return page(
            &site,
            &request,
            &services,
            StatusCode::BAD_REQUEST,
            session,
            typed,
            Some("The two passwords are not the same."),
        );
    }
    let answer = NewPasswordAnswer {
        target: SignInTarget::Client(authorization.client_id.clone()),
        username: Username::parse(typed).ok(),
        session: secret(session),
        new_password: secret(field("new_password")),
        attributes: BTreeMap::new(),
        client_metadata: Default::default(),
    };
    match services.answer_new_password(answer).await {
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
        Err(crate::auth::AuthError::InvalidPassword(message)) => page(
            &site,
            &request,
            &services,
            StatusCode::BAD_REQUEST,
            session,
            typed,
            Some(&message),
        ),
        Err(error) => match sign_in_message(error) {
            Ok((status, message)) => site.error_page(status, &message),
            Err(error) => site.failure_page(error),
        },
    }
}
