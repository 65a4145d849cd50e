//! The HTTP adapter (actix-web): routing, body reading, error mapping, middleware. Handlers
//! translate between the wire and the use cases in `auth/`, and do nothing else.

pub mod auth_result;
pub mod bearer;
pub mod body;
pub mod cognito;
pub mod cors;
pub mod dev_outbox;
pub mod error;
pub mod fields;
pub mod health;
pub mod hosted;
pub mod limits;
pub mod login_api;
pub mod metrics;
pub mod middleware;
pub mod oauth2;
pub mod rate_limit;
pub mod shutdown;
pub mod sigv4;
pub mod tls;
pub mod well_known;

use actix_web::{HttpRequest, HttpResponse, web};

use error::{ApiError, Surface, Transport};

use crate::auth::AuthError;

/// Every route Gatehouse serves; `/metrics` only when `with_metrics` (it moves to a listener
/// of its own when GATEHOUSE_METRICS_BIND is set).
pub fn configure(config: &mut web::ServiceConfig, with_metrics: bool) {
    config
        .configure(health::routes)
        .configure(dev_outbox::routes)
        .configure(login_api::routes)
        .configure(cognito::routes)
        .configure(oauth2::routes)
        .configure(hosted::routes)
        .configure(well_known::routes)
        .default_service(web::to(not_found));
    if with_metrics {
        config.configure(metrics::routes);
    }
}

pub(crate) async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path: String = request.path().chars().take(100).collect();
    Err(ApiError::from_auth(
        AuthError::ResourceNotFound(format!("No such endpoint: {} {path}", request.method())),
        Surface::Plain,
    ))
}

pub(crate) async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Transport::MethodNotAllowed,
        format!("{} is not allowed here; use POST", request.method()),
        Surface::LoginApi,
    ))
}
