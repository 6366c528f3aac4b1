//! `safebox license verify` and `safebox license bundle` as a user runs
//! them, with no node running: exit 0 for a valid license, 1 naming the
//! failed check, 2 with one readable line for input that cannot be used.

use crate::license_support::*;
use safebox_chain::verify::{build_bundles, NodeVerifierKey};
use safebox_tests::{safebox_bin, TestNode};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn verify(bundle: &Path, args: &[&str]) -> Output {
    Command::new(safebox_bin()).args(["license", "verify"]).arg(bundle).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Bundles of the valid and the suspended license, written to files, and
/// the node's verifier key; the node is closed before the command runs.
fn exported(dir: &Path) -> (PathBuf, PathBuf, String) {
    let s = Scenarios::new();
    let node_key = s.t.node.dir.node_key().unwrap();
    let bundles = build_bundles(&s.t.node.ledger, &node_key, &[s.valid.clone(), s.suspended.clone()]).unwrap();
    let vkey = NodeVerifierKey::new(s.t.node.ledger.node_name(), s.t.node.ledger.node_key()).to_string();
    let (valid, suspended) = (dir.join("valid.json"), dir.join("suspended.json"));
    std::fs::write(&valid, bundles[0].to_json_pretty()).unwrap();
    std::fs::write(&suspended, bundles[1].to_json_pretty()).unwrap();
    (valid, suspended, vkey)
}

#[test]
fn exit_codes_say_valid_invalid_and_unreadable() {
    let tmp = tempfile::tempdir().unwrap();
    let (valid, suspended, vkey) = exported(tmp.path());
    let at = ["--at", "2024-06-01T00:00:00Z"];

    let ok = verify(&valid, &[&["--trust", &vkey][..], &at].concat());
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    let out = stdout(&ok);
    for name in ["signature", "issuer_key", "on_chain", "status", "validity"] {
        assert_eq!(out.lines().filter(|l| l.starts_with(name)).count(), 1, "{name} once in {out}");
    }
    assert!(out.contains("VALID") && !out.contains("INVALID"), "{out}");

    let bad = verify(&suspended, &[&["--trust", &vkey][..], &at].concat());
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    let out = stdout(&bad);
    assert!(out.contains("INVALID: status failed"), "{out}");
    let status_line = out.lines().find(|l| l.starts_with("status")).unwrap();
    assert!(status_line.contains("FAILED") && status_line.contains(SUSPENSION_REASON), "{status_line}");

    // Later than the license's end: validity fails, naming since when.
    let late = verify(&valid, &["--trust", &vkey, "--at", "2050-01-01T00:00:00Z"]);
    assert_eq!(late.status.code(), Some(1));
    assert!(stdout(&late).contains("INVALID: validity failed"), "{}", stdout(&late));

    // Another node's key: on_chain fails.
    let other = TestNode::new();
    let other_vkey = NodeVerifierKey::new(other.node.ledger.node_name(), other.node.ledger.node_key()).to_string();
    let foreign = verify(&valid, &[&["--trust", &other_vkey][..], &at].concat());
    assert_eq!(foreign.status.code(), Some(1));
    assert!(stdout(&foreign).contains("INVALID: on_chain failed"), "{}", stdout(&foreign));

    // No trusted key: valid, and it says where the key came from.
    let untrusted = verify(&valid, &at);
    assert_eq!(untrusted.status.code(), Some(0));
    assert!(stdout(&untrusted).contains("taken from the bundle"), "{}", stdout(&untrusted));

    // Unusable input: exit 2 and one line on stderr.
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, b"this is not a bundle").unwrap();
    let missing = tmp.path().join("missing.json");
    for (output, words) in [
        (verify(&garbage, &[]), "not a Safebox proof bundle"),
        (verify(&missing, &[]), "cannot read"),
        (verify(&valid, &["--trust", "not-a-key"]), "--trust"),
        (verify(&valid, &["--at", "tomorrow"]), "--at"),
    ] {
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(words), "{err}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn the_json_verdict_names_each_check_and_its_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, suspended, vkey) = exported(tmp.path());
    let output = verify(&suspended, &["--trust", &vkey, "--json", "--at", "2024-06-01T00:00:00Z"]);
    assert_eq!(output.status.code(), Some(1));
    let verdict: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["basis"]["kind"], "trusted_key");
    let checks = verdict["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["signature", "issuer_key", "on_chain", "status", "validity"]);
    assert_eq!(checks[3]["outcome"], "failed");
    assert!(checks[3]["reason"].as_str().unwrap().contains(SUSPENSION_REASON));
}

#[test]
fn license_bundle_exports_a_bundle_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (credential, vkey) = {
        let t = TestNode::at(data.clone());
        let credential = issued(&t, "CLI01");
        let vkey = NodeVerifierKey::new(t.node.ledger.node_name(), t.node.ledger.node_key()).to_string();
        (credential, vkey)
    };
    let credential_file = tmp.path().join("license.json");
    std::fs::write(&credential_file, credential.canonical_bytes()).unwrap();
    let out = tmp.path().join("bundle.json");
    let export = Command::new(safebox_bin())
        .args(["license", "bundle", "--data"])
        .arg(&data)
        .arg("--credential")
        .arg(&credential_file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(stdout(&export).contains(&vkey), "{}", stdout(&export));
    let checked = verify(&out, &["--trust", &vkey, "--at", "2024-06-01T00:00:00Z"]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
}
