//! The HTTP surface: `app()` builds the router; each module serves one
//! concern.

mod chains;
mod extract;
pub mod problem;

use axum::routing::get;
use axum::Router;
use safebox_chain::Ledger;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
}

/// The node's routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/node", get(chains::node_info))
        .route("/v1/chains/{chain}/checkpoint", get(chains::checkpoint))
        .route("/v1/chains/{chain}/entries/{index}", get(chains::entry))
        .route("/v1/chains/{chain}/proofs/inclusion", get(chains::inclusion))
        .route("/v1/chains/{chain}/proofs/consistency", get(chains::consistency))
        .route("/v1/chains/{chain}/tile/{*path}", get(chains::tile))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
