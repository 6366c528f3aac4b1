//! Crash consistency: a child process appends from eight threads and reports
//! every acknowledged index; it is killed with SIGKILL at random moments,
//! over and over. After each kill every acknowledged entry must be there,
//! the chain must never shrink, and replay must pass.

use rand::Rng;
use safebox_api::datadir::DataDir;
use safebox_api::node::open_read_only;
use safebox_chain::replay::replay;
use safebox_chain::ChainId;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KILLS: usize = 20;

#[test]
fn acknowledged_appends_survive_sigkill_and_replay_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let appender = env!("CARGO_BIN_EXE_crash-appender");
    let mut rng = rand::thread_rng();
    let mut last_size = 0u64;
    let mut total_acks = 0usize;

    for run in 0..KILLS {
        let mut child = Command::new(appender)
            .arg(&data)
            .arg(format!("r{run}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start crash-appender");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the child is appending, then let it run a random while.
        let started = Instant::now();
        let mut acked = Vec::new();
        loop {
            let line = rx.recv_timeout(Duration::from_secs(60)).expect("child must start appending");
            if let Some(i) = line.strip_prefix("ack ") {
                acked.push(i.parse::<u64>().unwrap());
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..400)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        reader.join().unwrap();
        acked.extend(rx.try_iter().filter_map(|l| l.strip_prefix("ack ").map(|i| i.parse::<u64>().unwrap())));
        total_acks += acked.len();

        let store = open_read_only(&DataDir::new(&data)).expect("reopen after kill");
        let size = store.head(ChainId::License).unwrap().size;
        assert!(size >= last_size, "run {run}: chain shrank from {last_size} to {size}");
        for index in &acked {
            assert!(*index < size, "run {run}: acknowledged index {index} is beyond the size {size}");
            let bytes = store.entry(ChainId::License, *index).unwrap();
            assert!(bytes.is_some(), "run {run}: acknowledged entry {index} is missing");
        }
        let report = replay(&store, &mut |_, _| {});
        assert!(report.is_ok(), "run {run}: replay failed after SIGKILL: {}", report.unwrap_err());
        last_size = size;
    }
    assert!(total_acks > KILLS, "the child must have acknowledged appends");
}
