//! `GET /metrics` in the Prometheus text format: requests and latency by route, Cognito
//! operation and outcome; sign-ins, refreshes, lockouts and refresh-token reuse; how full
//! and how slow the password-hashing queue is; and the database pool. Labels are route
//! patterns, known operation names and fixed outcome names, never user input, so
//! cardinality stays bounded. Gauges that describe a state are sampled at scrape time.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::auth::Services;
use crate::domain::telemetry::{RefreshResult, SignInResult, Telemetry};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    /// The Cognito operation for `POST /`, `none` elsewhere.
    operation: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: String,
    operation: &'static str,
    /// The status class (`2xx`, `4xx`, …): per-status histograms would multiply the series.
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~4 s: sign-ins sit around the Argon2 cost, everything else far below.
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.0,
    ])
}

fn wait_histogram() -> Histogram {
    // From "a worker was free" (well under a millisecond) to a queue many hashes deep.
    Histogram::new([
        0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

const SIGN_IN_RESULTS: [SignInResult; 8] = [
    SignInResult::SignedIn,
    SignInResult::Challenged,
    SignInResult::IncorrectCredentials,
    SignInResult::LockedOut,
    SignInResult::Refused,
    SignInResult::Throttled,
    SignInResult::Unavailable,
    SignInResult::Error,
];

const REFRESH_RESULTS: [RefreshResult; 5] = [
    RefreshResult::Refreshed,
    RefreshResult::Invalid,
    RefreshResult::ReuseDetected,
    RefreshResult::Unavailable,
    RefreshResult::Error,
];

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    sign_ins: Family<OutcomeLabels, Counter>,
    refreshes: Family<OutcomeLabels, Counter>,
    lockouts: Counter,
    reuse_detections: Counter,
    hashing_admitted: Gauge,
    hashing_queued: Gauge,
    hashing_capacity: Gauge,
    hashing_in_flight: Gauge,
    hashing_in_flight_max: Gauge,
    hashing_wait: Histogram,
    db_connections: Family<ConnectionLabels, Gauge>,
    db_connections_max: Gauge,
    hashing_operations: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gatehouse");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let sign_ins = Family::<OutcomeLabels, Counter>::default();
        let refreshes = Family::<OutcomeLabels, Counter>::default();
        // Every outcome is present from the start, so a rate over a fresh replica is 0, not absent.
        for result in SIGN_IN_RESULTS {
            drop(sign_ins.get_or_create(&OutcomeLabels {
                outcome: result.as_str(),
            }));
        }
        for result in REFRESH_RESULTS {
            drop(refreshes.get_or_create(&OutcomeLabels {
                outcome: result.as_str(),
            }));
        }
        let lockouts = Counter::default();
        let reuse_detections = Counter::default();
        let hashing_admitted = Gauge::default();
        let hashing_queued = Gauge::default();
        let hashing_capacity = Gauge::default();
        let hashing_in_flight = Gauge::default();
        let hashing_in_flight_max = Gauge::default();
        let hashing_wait = wait_histogram();
        let db_connections = Family::<ConnectionLabels, Gauge>::default();
        let db_connections_max = Gauge::default();
        let hashing_operations = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, Cognito operation and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route, Cognito operation and status class",
            latency.clone(),
        );
        registry.register("sign_ins", "Password sign-ins by outcome", sign_ins.clone());
        registry.register(
            "refreshes",
            "Refresh-token exchanges by outcome",
            refreshes.clone(),
        );
        registry.register(
            "lockouts",
            "Failed sign-ins that locked their username",
            lockouts.clone(),
        );
        registry.register(
            "refresh_token_reuse_detections",
            "Consumed refresh tokens presented again; each revoked its session",
            reuse_detections.clone(),
        );
        registry.register(
            "password_hashing_admitted",
            "Password hashes running or waiting for a hashing worker",
            hashing_admitted.clone(),
        );
        registry.register(
            "password_hashing_queued",
            "Password hashes waiting for a hashing worker",
            hashing_queued.clone(),
        );
        registry.register(
            "password_hashing_capacity",
            "Hashing workers plus queue places; beyond this, sign-ins get 429",
            hashing_capacity.clone(),
        );
        registry.register(
            "password_hashing_in_flight",
            "Argon2 computations running now (at most GATEHOUSE_HASH_WORKERS)",
            hashing_in_flight.clone(),
        );
        registry.register(
            "password_hashing_in_flight_max",
            "The most Argon2 computations that have run at once since start",
            hashing_in_flight_max.clone(),
        );
        registry.register(
            "password_hashing_wait_seconds",
            "Time a password hash waited for a hashing worker",
            hashing_wait.clone(),
        );
        registry.register(
            "db_connections",
            "Database connections of this replica's pool, by state (idle, in_use)",
            db_connections.clone(),
        );
        registry.register(
            "db_connections_max",
            "The most database connections this replica's pool may open",
            db_connections_max.clone(),
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
            refreshes,
            lockouts,
            reuse_detections,
            hashing_admitted,
            hashing_queued,
            hashing_capacity,
            hashing_in_flight,
            hashing_in_flight_max,
            hashing_wait,
            db_connections,
            db_connections_max,
            hashing_operations,
        }
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn gauge_value(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

impl Metrics {
    pub fn record_request(
        &self,
        method: &str,
        route: &str,
        operation: &'static str,
        status: u16,
        seconds: f64,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                operation,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                route: route.to_owned(),
                operation,
                outcome: status_class(status),
            })
            .observe(seconds);
    }

    fn render(&self, services: &Services) -> Result<String, std::fmt::Error> {
        let (admitted, capacity) = services.hasher.occupancy();
        self.hashing_admitted.set(gauge_value(admitted));
        self.hashing_capacity.set(gauge_value(capacity));
        let (in_flight, in_flight_max) = services.hasher.in_flight();
        self.hashing_in_flight.set(gauge_value(in_flight));
        self.hashing_in_flight_max.set(gauge_value(in_flight_max));
        self.hashing_queued
            .set(gauge_value(services.hasher.queued()));
        let pool = services.database_connections();
        self.db_connections
            .get_or_create(&ConnectionLabels { state: "idle" })
            .set(i64::from(pool.idle));
        self.db_connections
            .get_or_create(&ConnectionLabels { state: "in_use" })
            .set(i64::from(pool.open - pool.idle));
        self.db_connections_max.set(i64::from(pool.max));
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

impl Telemetry for Metrics {
    fn sign_in(&self, result: SignInResult) {
        self.sign_ins
            .get_or_create(&OutcomeLabels {
                outcome: result.as_str(),
            })
            .inc();
    }

    fn refresh(&self, result: RefreshResult) {
        self.refreshes
            .get_or_create(&OutcomeLabels {
                outcome: result.as_str(),
            })
            .inc();
        if result == RefreshResult::ReuseDetected {
            self.reuse_detections.inc();
        }
    }

    fn lockout_started(&self) {
        self.lockouts.inc();
    }

    fn hashing_waited(&self, waited: Duration) {
        // Reported once per Argon2 run, as it gets its worker: the same moment counts it.
        self.hashing_wait.observe(waited.as_secs_f64());
        self.hashing_operations.inc();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_outcomes_are_status_classes() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(401), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "5xx");
    }

    #[test]
    fn operation_labels_are_known_operations_or_unknown() {
        use crate::http::cognito::operation_label;
        let target = |op: &str| format!("AWSCognitoIdentityProviderService.{op}");
        assert_eq!(
            operation_label(Some(&target("InitiateAuth"))),
            "InitiateAuth"
        );
        assert_eq!(
            operation_label(Some(&target("AdminCreateUser"))),
            "AdminCreateUser"
        );
        for junk in [
            target("Initiate Auth' OR 1=1"),
            target(""),
            "InitiateAuth".to_owned(),
            "x".repeat(10_000),
        ] {
            assert_eq!(operation_label(Some(&junk)), "unknown");
        }
        assert_eq!(operation_label(None), "unknown");
    }
}
