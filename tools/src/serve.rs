//! `safebox serve`: open (or create) the data folder and serve the API.

use anyhow::{Context, Result};
use safebox_api::auth::Principal;
use safebox_api::catalog::Catalog;
use safebox_api::datadir::DataDir;
use safebox_api::http::{serve, AppState};
use safebox_api::Node;
use std::path::Path;
use std::sync::Arc;

pub fn run(data: &Path, listen: &str, init_as: Option<&str>, catalog: Option<&Path>) -> Result<()> {
    let catalog = match catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::example(),
    };
    let dir = DataDir::new(data);
    let node = match init_as {
        Some(name) if !dir.is_initialised() => {
            let node = Node::init(dir, name)?;
            println!("initialised {} as node {:?}", data.display(), node.config.name);
            let admin = node.tokens.issue(Principal::Admin, "admin (safebox serve --init)")?;
            println!("admin token: {} (shown once; keep it)", admin.token.as_str());
            node
        }
        _ => Node::open(dir)?,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        // A line of its own names the address, so that scripts and tests
        // that pass port 0 can find the port.
        println!("listening on http://{addr}");
        println!("verify page: http://{addr}/verify");
        println!("api: http://{addr}/v1/node (OpenAPI: http://{addr}/openapi.json)");
        let ledger = node.ledger.clone();
        let state = AppState::new(Arc::new(node), catalog);
        serve(listener, state, shutdown_signal()).await.context("server failed")?;
        ledger.shutdown();
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
