//! `GET /oauth2/authorize`: checks the request, then either answers at once with a code (the
//! browser's hosted session is live for the client's pool) or sends the browser to the
//! sign-in page with the same query.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{SESSION_COOKIE, checked_page_request, cookie_value, redirect};
use crate::auth::Services;

pub(super) async fn authorize(request: HttpRequest, services: web::Data<Services>) -> HttpResponse {
    let (site, authorization) = match checked_page_request(&request, &services).await {
        Ok(checked) => checked,
        Err(page) => return page,
    };
    if let Some(cookie) = cookie_value(&request, SESSION_COOKIE) {
        match services.hosted_user(&cookie, &authorization.pool_id).await {
            Ok(Some(user)) => {
                return match services
                    .issue_authorization_code(&authorization, &user)
                    .await
                {
                    Ok(location) => redirect(&location),
                    Err(error) => site.failure_page(error),
                };
            }
            Ok(None) => {}
            Err(error) => return site.failure_page(error),
        }
    }
    redirect(&site.action("/login", &request))
}
