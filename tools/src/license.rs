//! `safebox license`: verify an e-license from its proof bundle with no
//! node to ask, and export a bundle from a data folder.
//!
//! `verify` exits 0 when every check passes, 1 when one fails (naming it),
//! and 2 when its input cannot be used (no such file, not a bundle, a bad
//! `--trust` or `--at`), with one line on stderr saying why.

use anyhow::{Context, Result};
use clap::Subcommand;
use safebox_api::datadir::DataDir;
use safebox_api::Node;
use safebox_chain::credential::{SignedLicense, UtcTime};
use safebox_chain::verify::{build_bundles, Basis, BundleVerifier, NodeVerifierKey, Outcome, Verdict};
use safebox_chain::Timestamp;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum LicenseCommand {
    /// Verify an e-license offline from its proof bundle: signature, issuer
    /// key, presence on the license chain, status and validity, one line
    /// each. Exit 0 valid, 1 invalid, 2 unreadable input.
    Verify {
        /// The proof bundle (JSON).
        bundle: PathBuf,
        /// The node's verifier key (NAME/license+ID+KEY) to check the
        /// bundle's checkpoint and status snapshot with. Without it the key
        /// in the bundle is used, which shows the bundle is consistent but
        /// not that it comes from a node you trust.
        #[arg(long, value_name = "VKEY")]
        trust: Option<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
        /// Judge validity at this instant (YYYY-MM-DDTHH:MM:SSZ) instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Export the proof bundle of an e-license issued by this node. Stop the
    /// node first (the data folder is opened for writing).
    Bundle {
        #[arg(long, default_value = "safebox-data")]
        data: PathBuf,
        /// The signed e-license (JSON).
        #[arg(long)]
        credential: PathBuf,
        /// Where to write the bundle.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(command: LicenseCommand) -> ExitCode {
    match command {
        LicenseCommand::Verify { bundle, trust, json, at } => verify(&bundle, trust.as_deref(), json, at.as_deref()),
        LicenseCommand::Bundle { data, credential, out } => match export(&data, &credential, &out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// A usage error: one line on stderr, exit 2.
fn unusable(message: String) -> ExitCode {
    eprintln!("error: {}", one_line(&message));
    ExitCode::from(2)
}

fn verify(path: &Path, trust: Option<&str>, json: bool, at: Option<&str>) -> ExitCode {
    let now = match at {
        None => Timestamp::now(),
        Some(text) => match UtcTime::parse(text) {
            Ok(time) => time.timestamp(),
            Err(e) => return unusable(format!("--at: {e}")),
        },
    };
    let mut verifier = match trust {
        None => BundleVerifier::new(None),
        Some(vkey) => match BundleVerifier::trusting(vkey) {
            Ok(verifier) => verifier,
            Err(e) => return unusable(format!("--trust: {e}")),
        },
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return unusable(format!("cannot read {}: {e}", path.display())),
    };
    let verdict = match verifier.verify(&bytes, now) {
        Ok(verdict) => verdict,
        Err(e) => return unusable(format!("{}: {e}", path.display())),
    };
    if json {
        let mut value = serde_json::to_value(&verdict).expect("verdicts serialise");
        value["valid"] = verdict.is_valid().into();
        println!("{value}");
    } else {
        print_verdict(&verdict);
    }
    if verdict.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_verdict(verdict: &Verdict) {
    match &verdict.license {
        Some(id) => println!("license     {id}"),
        None => println!("license     (unreadable)"),
    }
    match &verdict.basis {
        Basis::BundleKey { key } => {
            println!("node key    {key} taken from the bundle: not trusted; pass --trust with the node's key to pin it")
        }
        Basis::TrustedKey { key } => println!("node key    {key} (trusted)"),
        Basis::Node => println!("node key    the node's own state"),
    }
    for check in &verdict.checks {
        let mark = match check.outcome {
            Outcome::Passed { .. } => "passed",
            Outcome::Failed { .. } => "FAILED",
            Outcome::NotChecked { .. } => "not checked",
        };
        println!("{:<11} {mark:<11} {}", check.name.as_str(), one_line(check.text()));
    }
    match verdict.first_failure() {
        None => println!("VALID"),
        Some(check) => println!("INVALID: {} failed", check.name),
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn export(data: &Path, credential: &Path, out: &Path) -> Result<()> {
    let text = std::fs::read(credential).with_context(|| format!("reading {}", credential.display()))?;
    let license = SignedLicense::from_json_bytes(&text).with_context(|| format!("{}", credential.display()))?;
    let node = Node::open(DataDir::new(data)).with_context(|| format!("opening {}", data.display()))?;
    let node_key = node.dir.node_key()?;
    let bundle = build_bundles(&node.ledger, &node_key, std::slice::from_ref(&license))?.remove(0);
    std::fs::write(out, bundle.to_json_pretty()).with_context(|| format!("writing {}", out.display()))?;
    let size = bundle.issuance.proof.size;
    let vkey = NodeVerifierKey::new(node.ledger.node_name(), node.ledger.node_key());
    println!("wrote {} for license {} (license chain size {size})", out.display(), license.license().identifier());
    println!("verify with: safebox license verify {} --trust {vkey}", out.display());
    Ok(())
}
