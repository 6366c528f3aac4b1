//! The `safebox` command: one binary over the node's library crates.

mod audit;
mod bench;
mod bench_http;
mod bench_vault;
mod demo;
mod http_client;
mod init;
mod keys;
mod license;
mod procfs;
mod serve;
mod soak;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "safebox",
    version,
    about = "One box, two chains: an encrypted document vault and a verifiable license ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data folder: node key, root authority key, vault master key, and genesis on both chains.
    Init {
        /// The data folder to create.
        #[arg(long, default_value = "safebox-data")]
        data: PathBuf,
        /// The node's name; checkpoint origins are NAME/license and NAME/service.
        #[arg(long, default_value = "safebox.local")]
        name: String,
    },
    /// Serve the node's API over HTTP (creating the data folder first with --init).
    Serve {
        #[arg(long, default_value = "safebox-data")]
        data: PathBuf,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Initialise the data folder first if it is not initialised yet.
        #[arg(long)]
        init: bool,
        /// Node name used by --init.
        #[arg(long, default_value = "safebox.local")]
        name: String,
        /// The service catalog (JSON); the example catalog when not given.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Manage the node's keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the performance table: every figure beside the raw limit it is
    /// bounded by, measured in the same run.
    Bench {
        /// Entries in the chain on which inclusion proofs are timed.
        #[arg(long, default_value_t = 1_000_000)]
        proof_entries: u64,
        /// Entries appended while resident memory is sampled (the goal is
        /// stated for 10,000,000).
        #[arg(long, default_value_t = 1_000_000)]
        memory_entries: u64,
        /// Pre-signed entries per append throughput run.
        #[arg(long, default_value_t = 100_000)]
        append_entries: usize,
        /// Signed licenses whose proof bundles are verified offline.
        #[arg(long, default_value_t = 1_000)]
        license_bundles: usize,
        /// Signed licenses verified online, in process and over HTTP.
        #[arg(long, default_value_t = 200)]
        http_licenses: usize,
        /// Measure only these parts of the table (repeatable); all by default.
        #[arg(long, value_enum)]
        only: Vec<bench::Section>,
    },
    /// Run the seed case end to end: an investor opens a company through
    /// the whole "open a company" bundle, reusing what her box holds. On an
    /// embedded node (--data, left as a node `safebox serve` can serve, with
    /// the proof bundles of the licenses issued in DATA/bundles/), or over
    /// HTTP against a running node (--server with the admin's --token).
    Demo {
        #[arg(long, default_value = "safebox-demo", conflicts_with = "server")]
        data: PathBuf,
        /// A running node, http://host:port.
        #[arg(long, requires = "token")]
        server: Option<String>,
        /// The node's admin token (with --server).
        #[arg(long)]
        token: Option<String>,
        /// Where to write the proof bundles (with --server).
        #[arg(long, requires = "server")]
        bundles: Option<PathBuf>,
    },
    /// E-licenses offline: verify a proof bundle with no node running, or
    /// export one from a stopped node's data folder.
    License {
        #[command(subcommand)]
        command: license::LicenseCommand,
    },
    /// Soak a running node: a mixed workload of reads and writes over HTTP
    /// at saturation for a fixed time; latency per operation, errors and
    /// the node's resident memory, with a verdict. Exit 0 on PASS, 1 on
    /// FAIL (any error, or memory growth past the bound after warm-up).
    Soak {
        /// A running node, http://host:port.
        #[arg(long)]
        server: String,
        /// The node's admin token (to register the soak's agency and open
        /// its boxes).
        #[arg(long)]
        token: String,
        /// How long the workload runs.
        #[arg(long, default_value_t = 180)]
        seconds: u64,
        /// Concurrent clients, each with a kept-alive connection and a box.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// The node's process id: resident memory is read from
        /// /proc/PID/status (else from the node's /metrics).
        #[arg(long)]
        pid: Option<u32>,
        /// Largest growth of resident memory after warm-up (the first fifth
        /// of the run), in MB.
        #[arg(long, default_value_t = 128.0)]
        max_growth_mb: f64,
    },
    /// Replay both chains from genesis and report the first discrepancy.
    /// Exit 0 when intact, 1 on a discrepancy, 2 on a usage error.
    Audit {
        #[arg(long, default_value = "safebox-data")]
        data: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Rewrap every box key under a new vault master key (documents are not
    /// re-encrypted). Resumes an interrupted rotation. Stop the node first.
    RotateMaster {
        #[arg(long, default_value = "safebox-data")]
        data: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Init { data, name } => init::run(&data, &name),
        Command::Serve { data, listen, init, name, catalog } => {
            serve::run(&data, &listen, init.then_some(name.as_str()), catalog.as_deref())
        }
        Command::Audit { data, json } => return audit::run(&data, json),
        Command::License { command } => return license::run(command),
        Command::Demo { data, server: None, .. } => demo::run_embedded(&data),
        Command::Demo { server: Some(server), token, bundles, .. } => {
            demo::run_remote(&server, token.as_deref().unwrap_or_default(), bundles.as_deref())
        }
        Command::Keys { command: KeysCommand::RotateMaster { data } } => keys::rotate_master(&data),
        Command::Soak { server, token, seconds, clients, pid, max_growth_mb } => {
            let options = soak::SoakOptions { server, token, seconds, clients, pid, max_growth_mb };
            return match soak::run(&options) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
        Command::Bench { proof_entries, memory_entries, append_entries, license_bundles, http_licenses, only } => {
            bench::run(&bench::BenchOptions {
                proof_entries,
                memory_entries,
                append_entries,
                license_bundles,
                http_licenses,
                only,
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
