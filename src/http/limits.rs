//! Limits on what a client may send, checked before any handler runs: the number and total
//! size of the request headers, and how long the body may take to arrive. Together with
//! actix-web's own limits (a request head over 128 KiB is refused with 431 by its parser;
//! headers not complete within the header timeout get 408) they bound what a slow or
//! oversized request can cost. actix-http's parser would also refuse more than 96 headers with
//! a bare 431 of its own; the vendored copy hands them to us instead (vendor/actix-http/PATCH.md),
//! so every header limit answers in the API's error format.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::error::{ApiError, Surface, Transport};

/// The most header bytes (names plus values) a request may carry. Real clients send well
/// under 8 KiB (a SigV4 request or a bearer token included); far less than actix's 128 KiB.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The most headers a request may carry: what actix-http's parser allowed before it was
/// patched (vendor/actix-http/PATCH.md), so no request that was accepted is refused now.
pub const MAX_HEADER_COUNT: usize = 96;

/// Per-server limits handlers read from the app data.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// How long a body may take to arrive once the headers are in.
    pub body_timeout: Duration,
}

/// Refuses requests with more than [`MAX_HEADER_COUNT`] headers or whose headers exceed
/// [`MAX_HEADER_BYTES`] with 431, before routing.
pub async fn limit_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let headers = request.headers();
    // `len` counts every value of a repeated header, as they arrived.
    let message = if headers.len() > MAX_HEADER_COUNT {
        Some(format!(
            "Requests may carry at most {MAX_HEADER_COUNT} headers"
        ))
    } else {
        let total: usize = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        (total > MAX_HEADER_BYTES)
            .then(|| format!("Request headers must total at most {MAX_HEADER_BYTES} bytes"))
    };
    if let Some(message) = message {
        let error = ApiError::new(Transport::HeadersTooLarge, message, Surface::Plain);
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}
