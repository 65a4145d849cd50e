//! The authenticator-code page: a user whose second factor is an authenticator app
//! (`SOFTWARE_TOKEN_MFA`) enters its code, through the MFA challenge use case (each code
//! used once, wrong codes counted by the lockout).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::login::continue_sign_in;
use super::{Site, form_page, posted_form, sign_in_message};
use crate::auth::mfa_challenge::{MfaAnswer, SOFTWARE_TOKEN_MFA};
use crate::auth::sign_in::{SignInOutcome, SignInTarget};
use crate::auth::{AuthError, Services};
use crate::domain::secret::secret;
use crate::domain::username::Username;

const FORM: &str = "mfa";

#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate fact of the page"
)]
pub(super) fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    session: &str,
    username: &str,
    device: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    form_page(
        site,
        request,
        services,
        status,
        "mfa.html",
        FORM,
        minijinja::context! {
            title => "Enter your authenticator code",
            action => site.action("/login/mfa", request),
            session => session,
            username => username,
            device => device,
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
    let answer = MfaAnswer {
        target: SignInTarget::Client(authorization.client_id.clone()),
        challenge_name: SOFTWARE_TOKEN_MFA,
        username: Username::parse(typed).ok(),
        session: secret(session),
        code: Some(secret(field("code"))),
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
            session,
            typed,
            None,
            Some("Invalid code received for user"),
        ),
        Err(error) => match sign_in_message(error) {
            Ok((status, message)) => site.error_page(status, &message),
            Err(error) => site.failure_page(error),
        },
    }
}
