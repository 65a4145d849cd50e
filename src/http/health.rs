//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::shutdown::Drain;
use crate::auth::Services;
use crate::domain::error_chain::ErrorChain;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health/live", web::get().to(live))
        .route("/health/ready", web::get().to(ready));
}

/// The process is up and answering.
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers and its schema is the one this binary expects; otherwise 503, so a
/// load balancer stops sending sign-ins to a replica that would fail them.
async fn ready(services: web::Data<Services>, drain: web::Data<Drain>) -> HttpResponse {
    let unavailable = |reason: &str| {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": reason}))
    };
    if drain.is_draining() {
        return unavailable("shutting down");
    }
    if let Err(error) = services.database_ping().await {
        tracing::warn!(error = %ErrorChain(&error), "readiness: database unreachable");
        return unavailable("database unreachable");
    }
    match services.schema_status().await {
        Ok(status) if status.is_current() => HttpResponse::Ok()
            .json(json!({"status": "ok", "schema_version": status.binary_version})),
        Ok(_) => unavailable("database schema is not the version this binary expects"),
        Err(error) => {
            tracing::warn!(error = %ErrorChain(&error), "readiness: schema check failed");
            unavailable("database unreachable")
        }
    }
}
