//! `safebox audit`: replay both chains and report the first discrepancy.
//! Exit 0 intact, 1 discrepancy, 2 usage error (no such data folder).

use indicatif::{ProgressBar, ProgressStyle};
use safebox_api::datadir::DataDir;
use safebox_api::node::open_read_only;
use safebox_chain::replay::replay;
use safebox_chain::ChainId;
use std::path::Path;
use std::process::ExitCode;

pub fn run(data: &Path, json: bool) -> ExitCode {
    let dir = DataDir::new(data);
    let store = match open_read_only(&dir) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // A replay of millions of entries takes minutes: show how far it is
    // (on a terminal only; indicatif draws nothing when stderr is not one).
    let total: u64 = ChainId::ALL.iter().map(|c| store.head(*c).map(|h| h.size).unwrap_or(0)).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("replaying {msg} [{bar:40}] {pos}/{len} entries ({per_sec}, eta {eta})")
            .expect("template")
            .progress_chars("=> "),
    );
    let mut done_before = 0u64;
    let mut current = ChainId::License;
    let mut progress = |chain: ChainId, n: u64| {
        if chain != current {
            done_before = bar.position();
            current = chain;
        }
        bar.set_message(chain.to_string());
        bar.set_position(done_before + n);
    };
    let outcome = replay(&store, &mut progress);
    bar.finish_and_clear();
    match outcome {
        Ok(report) => {
            if json {
                println!("{}", serde_json::json!({ "intact": true, "report": report }));
            } else {
                for c in &report.chains {
                    println!("{} chain: {} entries in {} blocks, root {} — intact", c.chain, c.size, c.blocks, c.root);
                }
                println!("state: {} records match the entries", report.state_records);
            }
            ExitCode::SUCCESS
        }
        Err(d) => {
            if json {
                println!("{}", serde_json::json!({ "intact": false, "discrepancy": d }));
            } else {
                println!("DISCREPANCY: {d}");
            }
            ExitCode::from(1)
        }
    }
}
