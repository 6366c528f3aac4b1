//! A short smoke of `safebox soak` against the real binary serving on
//! 127.0.0.1, so that the soak command cannot rot: every kind of operation
//! completes, none fails, memory is measured, the verdict is PASS, and the
//! node it loaded audits clean.

use safebox_tests::{safebox_bin, Served};
use std::process::Command;

#[test]
fn a_short_soak_passes_and_the_node_audits_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Served::start(&data, &["--init", "--name", "soak.example"]);
    let admin = server.admin_token();
    // Memory from the node's /metrics here (no --pid).
    let soak = Command::new(safebox_bin())
        .args(["soak", "--server", &server.base, "--token", &admin, "--seconds", "5", "--clients", "4"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&soak.stdout).into_owned();
    assert!(soak.status.success(), "soak failed: {out}\n{}", String::from_utf8_lossy(&soak.stderr));
    assert!(out.contains("verdict: PASS"), "{out}");
    assert!(out.contains("memory from the node's /metrics"), "{out}");
    for operation in [
        "read: verify license",
        "read: checkpoint",
        "read: inclusion proof",
        "read: download",
        "write: upload",
        "write: grant",
        "write: agency read (use)",
        "write: issue license",
        "write: suspend/resume",
    ] {
        let row = out.lines().find(|l| l.starts_with(operation)).unwrap_or_else(|| panic!("no {operation} in {out}"));
        let columns: Vec<&str> = row[operation.len()..].split_whitespace().collect();
        let (count, errors): (u64, u64) = (columns[0].parse().unwrap(), columns[2].parse().unwrap());
        assert!(count > 0 && errors == 0, "{operation}: {row}");
    }
    let memory = out.lines().find(|l| l.starts_with("resident memory: first ")).expect("memory line");
    assert!(!memory.contains("first 0 MB"), "{memory}");

    // A bad token is a usage error before any load (exit 2).
    let refused = Command::new(safebox_bin())
        .args(["soak", "--server", &server.base, "--token", "not-a-token", "--seconds", "1"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));

    server.kill();
    let audit = Command::new(safebox_bin()).args(["audit", "--data"]).arg(&data).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
