//! Limits on what a client may send, checked before any handler runs: the total size of the
//! request headers, and how long the body may take to arrive. Together with actix-web's own
//! limits (a request head over 128 KiB or over 96 headers is refused with 431 by its parser;
//! headers not complete within the header timeout get 408) they bound what a slow or
//! oversized request can cost.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::error::{ApiError, Surface, Transport};

/// The most header bytes (names plus values) a request may carry. Real clients send well
/// under 8 KiB (a SigV4 request or a bearer token included); far less than actix's 128 KiB.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Per-server limits handlers read from the app data.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// How long a body may take to arrive once the headers are in.
    pub body_timeout: Duration,
}

/// Refuses requests whose headers exceed [`MAX_HEADER_BYTES`] with 431, before routing.
pub async fn limit_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let total: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if total > MAX_HEADER_BYTES {
        let error = ApiError::new(
            Transport::HeadersTooLarge,
            format!("Request headers must total at most {MAX_HEADER_BYTES} bytes"),
            Surface::Plain,
        );
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}
