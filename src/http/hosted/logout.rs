//! `GET /logout`: ends the browser's hosted session (and the sign-in session under it), then
//! sends the browser only where the app client allows: `logout_uri` must be one of its
//! `LogoutURLs` exactly; with Cognito's other form (`redirect_uri` and `response_type`) the
//! request must pass as an authorization request and the browser goes to the sign-in page.
//! Anything else is an error page, never a redirect.

use actix_web::cookie::time::Duration;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{SESSION_COOKIE, Site, cookie_value, redirect};
use crate::auth::Services;
use crate::domain::authorization_request::parse_query;
use crate::domain::ids::ClientId;

pub(super) async fn logout(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let site = match Site::of(&request) {
        Ok(site) => site,
        Err(page) => return page,
    };
    let parameters = match parse_query(request.query_string()) {
        Ok(parameters) => parameters,
        Err(refusal) => return site.refuse(&refusal),
    };
    let destination = if parameters.contains_key("logout_uri") {
        let client = match parameters
            .get("client_id")
            .and_then(|id| ClientId::parse(id).ok())
        {
            Some(id) => match services.app_client(&id).await {
                Ok(client) => client,
                Err(error) => return site.failure_page(error),
            },
            None => None,
        }
        .filter(|c| site.pool.as_ref().is_none_or(|pool| *pool == c.pool_id));
        let Some(client) = client else {
            return site.error_page(
                StatusCode::BAD_REQUEST,
                "The client_id is missing or unknown.",
            );
        };
        let logout_uri = parameters.get("logout_uri").map_or("", String::as_str);
        if !client
            .settings
            .oauth
            .logout_urls
            .iter()
            .any(|url| url == logout_uri)
        {
            return site.error_page(
                StatusCode::BAD_REQUEST,
                "The logout_uri is not one of the app client's sign-out URLs.",
            );
        }
        logout_uri.to_owned()
    } else {
        match services
            .check_authorization_request(&parameters, site.pool.as_ref())
            .await
        {
            Ok(_) => site.action("/login", &request),
            Err(refusal) => return site.refuse(&refusal),
        }
    };
    if let Some(cookie) = cookie_value(&request, SESSION_COOKIE)
        && let Err(error) = services.end_hosted_session(&cookie).await
    {
        return site.failure_page(error);
    }
    let mut response = redirect(&destination);
    let mut expired = site.cookie(SESSION_COOKIE, String::new());
    expired.set_max_age(Duration::ZERO);
    if let Err(error) = response.add_cookie(&expired) {
        tracing::error!(%error, "session cookie not cleared");
    }
    response
}
