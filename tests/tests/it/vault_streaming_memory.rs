//! Bounded memory: a 1 GiB document streams into the vault and back out
//! while the whole process (RocksDB included, with the node's options)
//! stays under 64 MB resident. Measured as the peak (VmHWM) of a child
//! process that does nothing else, so other tests' memory does not count.

use crate::vault_support::{new_document, open, run_child, HashingWriter, PatternReader};
use safebox_vault::MasterKey;
use std::time::Instant;

const CHILD_ENV: &str = "SAFEBOX_VAULT_MEMORY_CHILD";
const GIB: u64 = 1 << 30;
const LIMIT_BYTES: u64 = 64_000_000;

/// A memory figure of this process from /proc/self/status (`VmHWM:` is the
/// peak resident set, `VmRSS:` the current one), in bytes.
fn resident_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).expect("field in /proc/self/status");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

fn peak_resident_bytes() -> u64 {
    resident_bytes("VmHWM:")
}

#[test]
#[ignore = "child process of a_one_gib_document_streams_in_and_out_under_64_mb"]
fn child_streams_one_gib() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let (_db, vault) = open(&std::path::Path::new(&dir).join("db"), &MasterKey::generate());
    let b = vault.create_box().unwrap();
    eprintln!("opened: peak {} now {}", peak_resident_bytes(), resident_bytes("VmRSS:"));

    let started = Instant::now();
    let mut source = PatternReader::new(42, GIB);
    let meta = vault.put_document(b, &new_document("site-survey-video"), &mut source).unwrap();
    let put_ms = started.elapsed().as_millis();
    eprintln!("after put: peak {} now {}", peak_resident_bytes(), resident_bytes("VmRSS:"));
    assert_eq!(meta.size, GIB);
    assert_eq!(meta.content_hash.0, *source.hasher.finalize().as_bytes());

    let started = Instant::now();
    let mut sink = HashingWriter::default();
    vault.read_document(b, meta.document, meta.version, &mut sink).unwrap();
    let get_ms = started.elapsed().as_millis();
    assert_eq!(sink.len, GIB);
    assert_eq!(sink.hasher.finalize(), source.hasher.finalize());

    println!("peak_resident_bytes {} put_ms {put_ms} get_ms {get_ms}", peak_resident_bytes());
}

#[test]
fn a_one_gib_document_streams_in_and_out_under_64_mb() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_child("vault_streaming_memory::child_streams_one_gib", &[(CHILD_ENV, tmp.path().to_str().unwrap())]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report = stdout
        .lines()
        .find_map(|l| l.split_once("peak_resident_bytes ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("the child ran no upload:\n{stdout}"));
    eprintln!("1 GiB put and get: peak_resident_bytes {report}");
    let peak: u64 = report.split_whitespace().next().unwrap().parse().unwrap();
    assert!(peak < LIMIT_BYTES, "peak resident memory {peak} bytes, limit {LIMIT_BYTES}");
}
