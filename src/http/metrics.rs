//! `GET /metrics` in the Prometheus text format: requests by route and status, latency by
//! route, sign-in outcomes, and how full the password-hashing queue is. Labels are route
//! patterns and fixed outcome names, never user input, so cardinality stays bounded.

use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::auth::Services;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~4 s: sign-ins sit around the Argon2 cost, everything else far below.
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.0,
    ])
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    sign_ins: Family<OutcomeLabels, Counter>,
    hashing_admitted: Gauge,
    hashing_capacity: Gauge,
    hashing_operations: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gatehouse");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let sign_ins = Family::<OutcomeLabels, Counter>::default();
        let hashing_admitted = Gauge::default();
        let hashing_capacity = Gauge::default();
        let hashing_operations = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register("sign_ins", "Password sign-ins by outcome", sign_ins.clone());
        registry.register(
            "password_hashing_admitted",
            "Sign-ins hashing or waiting for a hashing worker",
            hashing_admitted.clone(),
        );
        registry.register(
            "password_hashing_capacity",
            "Hashing workers plus queue places; beyond this, sign-ins get 429",
            hashing_capacity.clone(),
        );
        registry.register(
            "password_hashing_operations",
            "Argon2 hashes and verifications run (dummy ones for unknown users included)",
            hashing_operations.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            sign_ins,
            hashing_admitted,
            hashing_capacity,
            hashing_operations,
        }
    }
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn record_sign_in(&self, outcome: &'static str) {
        self.sign_ins
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    fn render(&self, services: &Services) -> Result<String, std::fmt::Error> {
        let (admitted, capacity) = services.hasher.occupancy();
        self.hashing_admitted
            .set(i64::try_from(admitted).unwrap_or(i64::MAX));
        self.hashing_capacity
            .set(i64::try_from(capacity).unwrap_or(i64::MAX));
        // The hasher owns the count; the exported counter follows it and never goes back.
        self.hashing_operations.inner().fetch_max(
            services.hasher.operations(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(metrics));
}

async fn metrics(metrics: web::Data<Metrics>, services: web::Data<Services>) -> HttpResponse {
    match metrics.render(&services) {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(%error, "metrics encoding failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
