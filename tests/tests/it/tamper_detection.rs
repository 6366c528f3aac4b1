//! Corruption detection: changing one stored entry byte, deleting an entry,
//! or swapping two entries is reported by `safebox audit` at the right
//! index, with exit code 1; an untouched folder audits clean with exit 0.

use safebox_chain::storage::{self, ChainStore};
use safebox_chain::ChainId;
use safebox_tests::{safebox_bin, TestNode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A stopped node with 40 issuances over several blocks.
fn filled_node(tmp: &Path) -> PathBuf {
    let path = tmp.join("data");
    let t = TestNode::at(path.clone());
    for batch in 0..4 {
        t.issue_many(&format!("b{batch}"), 10, 4);
    }
    drop(t);
    path
}

fn audit(data: &Path) -> (i32, Value) {
    let out = Command::new(safebox_bin()).args(["audit", "--json", "--data"]).arg(data).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("audit printed no JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn with_db(data: &Path, f: impl FnOnce(&ChainStore)) {
    let db = storage::open_db(&data.join("db"), &safebox_api::node::column_families()).unwrap();
    f(&ChainStore::new(db).unwrap());
}

fn entry_key(index: u64) -> Vec<u8> {
    let mut key = vec![b'L'];
    key.extend_from_slice(&index.to_be_bytes());
    key
}

fn assert_reported_at(data: &Path, index: u64) {
    let (code, report) = audit(data);
    assert_eq!(code, 1, "audit must fail: {report}");
    assert_eq!(report["intact"], false);
    assert_eq!(report["discrepancy"]["chain"], "license", "{report}");
    assert_eq!(report["discrepancy"]["index"], index, "{report}");
}

#[test]
fn an_untouched_node_audits_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = filled_node(tmp.path());
    let (code, report) = audit(&data);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["report"]["chains"][0]["size"], 42);
}

#[test]
fn one_changed_entry_byte_is_reported_at_its_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = filled_node(tmp.path());
    with_db(&data, |store| {
        let cf = store.db().cf_handle(storage::CF_ENTRIES).unwrap();
        let mut bytes = store.entry(ChainId::License, 17).unwrap().unwrap();
        // Change one digit of the license serial, keeping the JSON valid.
        let pos = bytes.windows(5).position(|w| w == b"TEST-").unwrap() + 6;
        bytes[pos] = if bytes[pos] == b'9' { b'8' } else { b'9' };
        store.db().put_cf(&cf, entry_key(17), bytes).unwrap();
    });
    assert_reported_at(&data, 17);
}

#[test]
fn a_deleted_entry_is_reported_at_its_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = filled_node(tmp.path());
    with_db(&data, |store| {
        let cf = store.db().cf_handle(storage::CF_ENTRIES).unwrap();
        store.db().delete_cf(&cf, entry_key(23)).unwrap();
    });
    assert_reported_at(&data, 23);
}

#[test]
fn two_swapped_entries_are_reported_at_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = filled_node(tmp.path());
    with_db(&data, |store| {
        let cf = store.db().cf_handle(storage::CF_ENTRIES).unwrap();
        let a = store.entry(ChainId::License, 12).unwrap().unwrap();
        let b = store.entry(ChainId::License, 30).unwrap().unwrap();
        store.db().put_cf(&cf, entry_key(12), b).unwrap();
        store.db().put_cf(&cf, entry_key(30), a).unwrap();
    });
    assert_reported_at(&data, 12);
}

#[test]
fn a_missing_data_folder_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(safebox_bin()).args(["audit", "--data"]).arg(tmp.path().join("nope")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an initialised Safebox data folder"));
}
