//! A child process for the crash test: appends license issuances from
//! several threads forever, printing `ack <index>` for each append the
//! ledger acknowledged, until it is killed.

use safebox_tests::TestNode;
use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().expect("usage: crash-appender DATA_DIR RUN_ID"));
    let run = args.next().expect("usage: crash-appender DATA_DIR RUN_ID");
    let node = TestNode::at(data);
    println!("ready");
    std::thread::scope(|s| {
        for writer in 0..8 {
            let node = &node;
            let run = &run;
            s.spawn(move || {
                for i in 0u64.. {
                    let appended =
                        node.node.ledger.append(node.issuance(&format!("{run}-{writer}-{i}"))).expect("append");
                    // One write per line, so the parent never sees half a line
                    // from two threads.
                    let line = format!("ack {}\n", appended.index);
                    let mut out = std::io::stdout().lock();
                    out.write_all(line.as_bytes()).expect("stdout");
                    out.flush().expect("stdout");
                }
            });
        }
    });
}
