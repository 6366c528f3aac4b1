//! `safebox serve`: open (or create) the data folder and serve the API.

use anyhow::{Context, Result};
use safebox_api::datadir::DataDir;
use safebox_api::http::{serve, AppState};
use safebox_api::Node;
use std::path::Path;

pub fn run(data: &Path, listen: &str, init_as: Option<&str>) -> Result<()> {
    let dir = DataDir::new(data);
    let node = match init_as {
        Some(name) if !dir.is_initialised() => {
            let node = Node::init(dir, name)?;
            println!("initialised {} as node {:?}", data.display(), node.config.name);
            node
        }
        _ => Node::open(dir)?,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        // The first line of output names the address, so that scripts and
        // tests that pass port 0 can find the port.
        println!("listening on http://{addr}");
        println!("api: http://{addr}/v1/node");
        let ledger = node.ledger.clone();
        serve(listener, AppState { ledger: node.ledger.clone() }, shutdown_signal()).await.context("server failed")?;
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
