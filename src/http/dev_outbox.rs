//! `GET /_dev/outbox?to=ADDR`: the messages sent to one address or phone number, with their
//! bodies, so an integration test can read the code it was sent. Off unless
//! GATEHOUSE_DEV_OUTBOX=true, and then only for clients on this host: the TCP peer must be
//! a loopback address and the request must not have come through a proxy (a proxy on the
//! same host would make every remote client look local). docs/operations.md, "Messages".

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, Surface, Transport};
use crate::auth::Services;
use crate::domain::message::OutboxFilter;

/// Whether the endpoint is served (GATEHOUSE_DEV_OUTBOX).
#[derive(Debug, Clone, Copy)]
pub struct DevOutbox {
    pub enabled: bool,
}

/// Messages one answer lists at most (newest first).
const LIMIT: u32 = 100;

pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/_dev/outbox", web::get().to(outbox));
}

#[derive(Deserialize)]
struct Query {
    to: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Message {
    id: String,
    pool_id: String,
    destination: String,
    delivery_medium: String,
    template: String,
    state: &'static str,
    attempts: i64,
    created_at: i64,
    sent_at: Option<i64>,
    subject: String,
    text: String,
    html: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    messages: Vec<Message>,
}

/// Whether the request comes straight from this host.
fn from_this_host(request: &HttpRequest) -> bool {
    let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| request.headers().contains_key(*name));
    let loopback = request
        .peer_addr()
        .is_some_and(|peer| peer.ip().to_canonical().is_loopback());
    loopback && !proxied
}

async fn outbox(
    request: HttpRequest,
    query: web::Query<Query>,
    dev: web::Data<DevOutbox>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    if !dev.enabled {
        // Exactly what an unknown path answers: a production server does not even say the
        // endpoint exists.
        return super::not_found(request).await;
    }
    if !from_this_host(&request) {
        return Err(ApiError::new(
            Transport::AccessDenied("AccessDeniedException"),
            "The dev outbox answers only clients on this host, not through a proxy.",
            Surface::Plain,
        ));
    }
    let to = query
        .into_inner()
        .to
        .filter(|to| !to.trim().is_empty())
        .ok_or_else(|| {
            ApiError::invalid_parameter("Query parameter 'to' is required.", Surface::Plain)
        })?;
    let messages = services
        .outbox(&OutboxFilter {
            pool: None,
            destination: Some(to),
            limit: LIMIT,
        })
        .await
        .map_err(|e| ApiError::from_auth(e, Surface::Plain))?;
    Ok(HttpResponse::Ok().json(Output {
        messages: messages
            .into_iter()
            .map(|m| Message {
                id: m.id,
                pool_id: m.pool_id.to_string(),
                destination: m.destination,
                delivery_medium: m.medium,
                template: m.template,
                state: m.state.as_str(),
                attempts: m.attempts,
                created_at: m.created_at,
                sent_at: m.sent_at,
                subject: m.content.subject,
                text: m.content.text,
                html: m.content.html,
            })
            .collect(),
    }))
}
