//! Cross-cutting response behaviour: a request id on every response, security headers, and
//! an access log that records method, path, status and latency, never bodies, query strings
//! or credentials.
//!
//! Each request is served inside a `request` span carrying its id (the one returned as
//! `x-amzn-RequestId`) and its client address (as the trusted-proxy rules resolve it), so
//! every line logged while serving it, the audit events of the use cases included, carries
//! both, without the use cases knowing HTTP exists.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use super::metrics::Metrics;
use super::rate_limit::SignInLimiter;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// How the server is reached, for headers that depend on it.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub tls: bool,
}

pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    crate::memory_release::note_request();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    // Paths are attacker-chosen; a bounded prefix is enough to read the log.
    let path: String = request.path().chars().take(200).collect();
    let operation = if request.path() == "/" {
        super::cognito::operation_label(
            request
                .headers()
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok()),
        )
    } else {
        "none"
    };

    let tls = request
        .app_data::<web::Data<Transport>>()
        .is_some_and(|t| t.tls);
    let client_ip = request
        .app_data::<web::Data<SignInLimiter>>()
        .and_then(|limiter| limiter.client_ip(request.request()))
        .or_else(|| request.peer_addr().map(|peer| peer.ip()))
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %request_id, client_ip = %client_ip);
    let mut response = next.call(request).instrument(span.clone()).await?;

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(super::tls::HSTS),
        );
    }
    if headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(super::cors::EXPOSED_HEADERS),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1000.0;
    if let Some(metrics) = response.request().app_data::<web::Data<Metrics>>() {
        // The route pattern, not the path: pool ids and junk paths must not become labels.
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.record_request(method.as_str(), &route, operation, status, elapsed);
    }
    let _in_request = span.enter();
    tracing::info!(
        method = %method,
        path = %path,
        status,
        elapsed_ms = format!("{elapsed_ms:.1}"),
        "request"
    );
    Ok(response)
}
