//! The HTTP surface: `app()` builds the router; each module serves one
//! concern. Every route is in `access::ROUTES` with the principals it
//! admits, and the `authorize` middleware enforces that table before any
//! handler runs.
//!
//! Handlers call the node's services (blocking: RocksDB and fsync) on
//! tokio's blocking pool, so a slow disk never stalls the reactor.

pub mod access;
mod agencies;
mod applications;
mod boxes;
mod chains;
mod documents;
mod extract;
mod licenses;
pub mod metrics;
pub mod openapi;
mod page;
pub mod problem;
mod service_problem;
mod tokens;

use crate::catalog::Catalog;
use crate::services::ServiceError;
use crate::Node;
use access::authorize;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{middleware, BoxError, Router};
use problem::Problem;
use safebox_chain::Ledger;
use std::sync::Arc;
use std::time::Duration;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

/// What protects the node from its callers.
#[derive(Copy, Clone, Debug)]
pub struct Limits {
    /// Requests handled at once; beyond it the node answers 503 at once
    /// instead of queueing without bound.
    pub concurrency: usize,
    /// Longest a request may take to be answered (its headers; a download
    /// streams on after).
    pub timeout: Duration,
    /// Largest JSON body (an application carries its submissions in it).
    pub json_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { concurrency: 256, timeout: Duration::from_secs(30), json_body_bytes: 16 << 20 }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub node: Arc<Node>,
    pub catalog: Arc<Catalog>,
    pub metrics: Arc<metrics::Metrics>,
    pub limits: Limits,
}

impl AppState {
    pub fn new(node: Arc<Node>, catalog: Catalog) -> Self {
        AppState {
            ledger: node.ledger.clone(),
            node,
            catalog: Arc::new(catalog),
            metrics: Arc::new(metrics::Metrics::new()),
            limits: Limits::default(),
        }
    }

    /// Runs a node service on the blocking pool; its error becomes a
    /// problem document.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        service: impl FnOnce(&Node) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Problem> {
        let node = self.node.clone();
        match tokio::task::spawn_blocking(move || service(&node)).await {
            Ok(result) => result.map_err(Problem::from),
            Err(e) => Err(Problem::internal(format!("service task failed: {e}"))),
        }
    }
}

/// The node's routes, behind the route table's checks, metrics, logs and
/// limits.
pub fn app(state: AppState) -> Router {
    let limits = state.limits;
    // One semaphore for the whole node (a plain concurrency limit layer
    // would give each route its own).
    let protection = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overloaded))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::new(limits.concurrency))
        .timeout(limits.timeout);
    routes(state.clone())
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.json_body_bytes))
        .layer(protection)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers what the protection layers refuse: 503 when the node is at its
/// concurrency limit or a request ran out of time.
async fn overloaded(error: BoxError) -> Problem {
    if error.is::<tower::load_shed::error::Overloaded>() {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "The node is busy",
            "too many requests at once; retry shortly",
        )
    } else if error.is::<tower::timeout::error::Elapsed>() {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request took too long",
            "the node did not answer in time; retry shortly",
        )
    } else {
        Problem::internal(error.to_string())
    }
}

fn routes(_state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(page::index))
        .route("/verify", get(page::index))
        .route("/page.js", get(page::script))
        .route("/page.css", get(page::style))
        .route("/v1/me", get(tokens::me))
        .route("/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(chains::ready))
        .route("/v1/node", get(chains::node_info))
        .route("/v1/chains/{chain}/checkpoint", get(chains::checkpoint))
        .route("/v1/chains/{chain}/entries/{index}", get(chains::entry))
        .route("/v1/chains/{chain}/entries", post(chains::submit_entry))
        .route("/v1/chains/{chain}/proofs/inclusion", get(chains::inclusion))
        .route("/v1/chains/{chain}/proofs/consistency", get(chains::consistency))
        .route("/v1/chains/{chain}/tile/{*path}", get(chains::tile))
        .route("/v1/audit", get(chains::audit))
        .route("/v1/catalog", get(applications::catalog))
        .route("/v1/applications/totals", get(applications::totals))
        .route("/v1/applications/{application}", get(applications::show))
        .route("/v1/applications/{application}/review", post(applications::review))
        .route("/v1/applications/{application}/decision", post(applications::decide))
        .route("/v1/licenses/verify", post(licenses::verify))
        .route("/v1/licenses/{license}", get(licenses::show))
        .route("/v1/licenses/{license}/qr.svg", get(licenses::qr_svg))
        .route("/v1/licenses/{license}/qr.png", get(licenses::qr_png))
        .route("/v1/licenses/{license}/status", post(licenses::change_status))
        .route("/v1/licenses/{license}/renewal", post(licenses::renew))
        .route("/v1/agencies", get(agencies::list).post(agencies::register))
        .route("/v1/agencies/{agency}/key-rotation", post(agencies::rotate_key))
        .route("/v1/agencies/{agency}/retirement", post(agencies::retire))
        .route("/v1/agencies/{agency}/licenses", post(licenses::issue))
        .route("/v1/tokens", get(tokens::list).post(tokens::issue))
        .route("/v1/tokens/{token}", axum::routing::delete(tokens::revoke))
        .route("/v1/boxes", post(boxes::open))
        .route("/v1/boxes/{box}", get(boxes::show).delete(boxes::erase))
        .route(
            "/v1/boxes/{box}/documents",
            // Uploads stream to the vault with their own bound.
            get(documents::list).post(documents::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/boxes/{box}/documents/{document}/versions/{version}", get(documents::download))
        .route("/v1/boxes/{box}/grants", post(boxes::give_grant))
        .route("/v1/boxes/{box}/grants/{grant}", axum::routing::delete(boxes::withdraw_grant))
        .route("/v1/boxes/{box}/access-log", get(boxes::access_log))
        .route("/v1/boxes/{box}/licenses", get(licenses::of_box))
        .route("/v1/boxes/{box}/applications", post(applications::apply))
        .route("/v1/boxes/{box}/plans/{matter}", get(applications::plan))
        .route("/v1/boxes/{box}/bundles", get(licenses::bundles_of_box))
        .route("/v1/uses", post(documents::use_document))
        .route("/v1/uses/prepare", post(documents::prepare_use))
        .route("/v1/uses/signed", post(documents::signed_use))
        .route("/metrics", get(metrics::scrape))
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // TCP_NODELAY on every connection: a streamed body goes out in several
    // writes, and with Nagle's algorithm each small write after the first
    // waits for the client's delayed ACK (40 ms on Linux). Measured with
    // the crash-under-load test: a 50 KB download took ~40 ms without it.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
