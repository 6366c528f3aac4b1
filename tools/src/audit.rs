//! `safebox audit`: replay both chains and report the first discrepancy.
//! Exit 0 intact, 1 discrepancy, 2 usage error (no such data folder).

use safebox_api::datadir::DataDir;
use safebox_api::node::open_read_only;
use safebox_chain::replay::replay;
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
    let mut progress = |chain, n| tracing::debug!(%chain, replayed = n, "replaying");
    match replay(&store, &mut progress) {
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
