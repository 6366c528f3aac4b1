//! The HTTP rows of `safebox bench`: online license verification over the
//! node's API on loopback, beside the same verification called in process
//! in the same run, with the HTTP latency's median and 99th percentile.
//!
//! Both sides verify the same credentials with the same number of threads
//! as the machine has cores; over HTTP, clients keep their connections
//! alive (as a pool would), and they share the cores with the server, as
//! they do on a node verifying for a local page.

use crate::bench::{bench_licenses, BenchNode, Row};
use crate::http_client::Connection;
use anyhow::{bail, Context, Result};
use safebox_api::catalog::Catalog;
use safebox_api::http::{serve, AppState};
use safebox_chain::verify::verify_online;
use safebox_chain::Timestamp;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long each side is measured.
const BUDGET: Duration = Duration::from_secs(4);
/// Concurrent HTTP clients: enough to keep every core of the server busy
/// while some requests are on the wire.
const CLIENTS: usize = 8;

pub fn rows(licenses: usize) -> Result<Vec<Row>> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    eprintln!("issuing {licenses} licenses for online verification…");
    let bench = BenchNode::new()?;
    let credentials: Vec<Vec<u8>> =
        bench_licenses(&bench, licenses.max(1))?.iter().map(|c| c.canonical_bytes()).collect();

    eprintln!("verifying online, in process…");
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..cores {
            let (done, credentials, ledger) = (&done, &credentials, &bench.node.ledger);
            s.spawn(move || {
                let mut i = t;
                while start.elapsed() < BUDGET {
                    let verdict =
                        verify_online(ledger, black_box(&credentials[i % credentials.len()]), Timestamp::now());
                    assert!(verdict.is_valid(), "a bench license does not verify");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += cores;
                }
            });
        }
    });
    let in_process = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();

    eprintln!("verifying online, over HTTP on loopback…");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(cores).enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let address = listener.local_addr()?.to_string();
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let state = AppState::new(bench.node.clone(), Catalog::example());
    let stopped = stop.clone();
    let server = runtime.spawn(async move { serve(listener, state, async move { stopped.notified().await }).await });
    let failed = AtomicBool::new(false);
    let mut latencies: Vec<Duration> = Vec::new();
    let start = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (credentials, address, failed) = (&credentials, &address, &failed);
                s.spawn(move || -> Result<Vec<Duration>> {
                    let mut connection = Connection::open(address)?;
                    let mut mine = Vec::new();
                    let mut i = c;
                    while start.elapsed() < BUDGET && !failed.load(Ordering::Relaxed) {
                        let sent = Instant::now();
                        let reply = connection.post_json("/v1/licenses/verify", &credentials[i % credentials.len()])?;
                        mine.push(sent.elapsed());
                        if reply.status != 200 || !reply.body.windows(6).any(|w| w == b"passed") {
                            failed.store(true, Ordering::Relaxed);
                            bail!("HTTP {}: {}", reply.status, String::from_utf8_lossy(&reply.body));
                        }
                        i += CLIENTS;
                    }
                    Ok(mine)
                })
            })
            .collect();
        for handle in handles {
            latencies.extend(handle.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??);
        }
        Ok(())
    })?;
    let over_http = latencies.len() as f64 / start.elapsed().as_secs_f64();
    stop.notify_one();
    runtime.block_on(server).context("server task")??;
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let (p50, p99) = (at(0.50), at(0.99));
    Ok(vec![
        Row::fact(
            format!("online license verify, in process, {cores} threads"),
            format!("{in_process:.0}/s"),
            String::new(),
        ),
        Row {
            figure: format!("online license verify over HTTP, loopback, {CLIENTS} clients"),
            value: format!("{over_http:.0}/s"),
            limit: format!("{in_process:.0}/s in process"),
            ratio: format!("{:.2}", over_http / in_process),
            goal: "≥ 0.50".into(),
        },
        Row::fact(
            "online license verify over HTTP, latency p50 / p99",
            format!("{:.2} / {:.2} ms", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3),
            String::new(),
        ),
    ])
}
