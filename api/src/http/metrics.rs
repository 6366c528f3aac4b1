//! Prometheus metrics: requests by route and status with their latency,
//! verifications by mode and outcome, proof requests, problems by type, and
//! the chains' sizes (appends) and the process's resident memory read at
//! scrape time.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use safebox_chain::ChainId;
use std::time::Instant;

/// The node's metrics, registered in their own registry.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    verifications: IntCounterVec,
    proofs: IntCounterVec,
    problems: IntCounterVec,
    chain_size: IntGaugeVec,
    resident: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("safebox_http_requests_total", "HTTP requests answered, by route, method and status"),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("safebox_http_request_seconds", "Time to answer (headers), by route")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
            &["route"],
        )
        .expect("valid metric");
        let verifications = IntCounterVec::new(
            Opts::new("safebox_license_verifications_total", "License verifications, by mode and outcome"),
            &["mode", "outcome"],
        )
        .expect("valid metric");
        let proofs = IntCounterVec::new(
            Opts::new("safebox_proof_requests_total", "Inclusion and consistency proof requests, by kind"),
            &["kind"],
        )
        .expect("valid metric");
        let problems = IntCounterVec::new(
            Opts::new("safebox_http_problems_total", "Problem documents answered, by status class"),
            &["class"],
        )
        .expect("valid metric");
        let chain_size = IntGaugeVec::new(
            Opts::new("safebox_chain_entries", "Entries appended to each chain (its size)"),
            &["chain"],
        )
        .expect("valid metric");
        // The prometheus crate's process collector would add a dependency
        // tree for one number; /proc/self/status has it (Linux only: the
        // gauge stays 0 elsewhere).
        let resident = IntGauge::new("safebox_process_resident_bytes", "Resident memory of the node process (VmRSS)")
            .expect("valid metric");
        let collectors: [Box<dyn prometheus::core::Collector>; 7] = [
            Box::new(requests.clone()),
            Box::new(latency.clone()),
            Box::new(verifications.clone()),
            Box::new(proofs.clone()),
            Box::new(problems.clone()),
            Box::new(chain_size.clone()),
            Box::new(resident.clone()),
        ];
        for collector in collectors {
            registry.register(collector).expect("metric names are distinct");
        }
        Metrics { registry, requests, latency, verifications, proofs, problems, chain_size, resident }
    }

    /// Counts a verification's outcome.
    pub fn verification(&self, mode: &str, valid: bool) {
        self.verifications.with_label_values(&[mode, if valid { "valid" } else { "invalid" }]).inc();
    }

    /// Counts a proof request.
    pub fn proof(&self, kind: &str) {
        self.proofs.with_label_values(&[kind]).inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Times and counts every routed request.
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &app.metrics;
    let status = response.status();
    metrics.latency.with_label_values(&[&route]).observe(started.elapsed().as_secs_f64());
    metrics.requests.with_label_values(&[&route, &method, status.as_str()]).inc();
    if status.is_client_error() || status.is_server_error() {
        let class = if status.is_server_error() { "5xx" } else { "4xx" };
        metrics.problems.with_label_values(&[class]).inc();
    }
    response
}

/// `GET /metrics`: the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn scrape(State(app): State<AppState>) -> Response {
    for chain in ChainId::ALL {
        if let Ok(head) = app.ledger.head(chain) {
            app.metrics.chain_size.with_label_values(&[&chain.to_string()]).set(head.size as i64);
        }
    }
    if let Some(bytes) = resident_bytes() {
        app.metrics.resident.set(bytes as i64);
    }
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&app.metrics.registry.gather(), &mut body) {
        return super::problem::Problem::internal(e.to_string()).into_response();
    }
    ([(header::CONTENT_TYPE, encoder.format_type().to_owned())], body).into_response()
}

/// This process's resident memory in bytes (`VmRSS` of /proc/self/status).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
