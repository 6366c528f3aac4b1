//! Interrupted uploads: a source that fails midway, a process killed with
//! SIGKILL midway through a small or a large upload, and a crash between a
//! large upload's ingestion and its metadata all leave no version visible
//! and no chunk or staged file behind (at once, or at the next open), and
//! the upload can be repeated.

use crate::vault_support::{
    column_families, fresh, new_document, open, pattern, put, read, stored_chunks, Db, Fresh, PatternReader, CHUNK,
};
use safebox_vault::{BoxId, DocumentId, DocumentType, MasterKey, Vault, VaultError, Version};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Yields `good` bytes of a pattern, then fails (or, with `hang`, says so
/// on stdout and blocks forever, for the parent to kill the process).
struct BrokenSource {
    inner: PatternReader,
    good: u64,
    hang: bool,
}

impl Read for BrokenSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.good == 0 {
            if self.hang {
                println!("midway");
                io::stdout().flush()?;
                loop {
                    std::thread::sleep(Duration::from_secs(60));
                }
            }
            return Err(io::Error::other("the uploader's connection dropped"));
        }
        let n = (buf.len() as u64).min(self.good) as usize;
        let n = self.inner.read(&mut buf[..n])?;
        self.good -= n as u64;
        Ok(n)
    }
}

fn lease_id(vault: &Vault, b: BoxId) -> DocumentId {
    vault.document_id(b, &DocumentType::new("lease").unwrap()).unwrap()
}

#[test]
fn a_source_failing_midway_leaves_nothing_and_the_retry_succeeds() {
    let Fresh { db, vault, master, path, _tmp } = fresh();
    let b = vault.create_box().unwrap();
    let doc = lease_id(&vault, b);

    let source = BrokenSource { inner: PatternReader::new(3, u64::MAX), good: 5 * CHUNK as u64 + 100, hang: false };
    let result = vault.put_document(b, &new_document("lease"), source);
    assert!(matches!(result, Err(VaultError::Source(ref why)) if why.contains("connection dropped")), "{result:?}");
    assert_eq!(vault.versions(b, doc).unwrap(), vec![], "no half version is visible");
    assert_eq!(stored_chunks(&db, b, doc, Version(1)), 0, "the failed upload's chunks are gone");

    let content = pattern(3, 5 * CHUNK + 100);
    let meta = put(&vault, b, "lease", &content);
    assert_eq!(meta.version, Version(1), "the failed upload took no version number");
    assert_eq!(read(&vault, &meta).unwrap(), content);

    // And after the process state is dropped, the same holds.
    drop((db, vault));
    let (_db, vault) = open(&path, &master);
    assert_eq!(vault.versions(b, doc).unwrap(), vec![meta.clone()]);
    assert_eq!(read(&vault, &meta).unwrap(), content);
}

const CHILD_ENV: &str = "SAFEBOX_VAULT_CRASH_CHILD";
const CHILD_CHUNKS_ENV: &str = "SAFEBOX_VAULT_CRASH_CHUNKS";

/// The child of the SIGKILL tests: uploads from a source that stops after
/// the number of chunks its parent names, and waits there to be killed.
#[test]
#[ignore = "child process of a_process_killed_midway_leaves_nothing_and_the_retry_succeeds"]
fn child_uploads_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let chunks: u64 = std::env::var(CHILD_CHUNKS_ENV).unwrap().parse().unwrap();
    let dir = std::path::PathBuf::from(dir);
    let master = MasterKey::from_slice(&std::fs::read(dir.join("master")).unwrap()).unwrap();
    let (_db, vault) = open(&dir.join("db"), &master);
    let b = vault.create_box().unwrap();
    println!("box {b} document {}", lease_id(&vault, b));
    io::stdout().flush().unwrap();
    let source = BrokenSource { inner: PatternReader::new(4, u64::MAX), good: chunks * CHUNK as u64, hang: true };
    let _ = vault.put_document(b, &new_document("lease"), source);
    unreachable!("the source never ends");
}

/// Runs the child until its upload has read `chunks` chunks, kills it with
/// SIGKILL, and returns the folder and the box and document it used.
fn kill_midway(chunks: u64) -> (tempfile::TempDir, MasterKey, BoxId, DocumentId) {
    let tmp = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    std::fs::write(tmp.path().join("master"), master.expose_bytes()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["vault_crash::child_uploads_until_killed", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENV, tmp.path())
        .env(CHILD_CHUNKS_ENV, chunks.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ids = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("box ") {
            let (b, d) = rest.split_once(" document ").unwrap();
            ids = Some((BoxId::parse(b).unwrap(), DocumentId::parse(d).unwrap()));
        }
        if line == "midway" {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (b, doc) = ids.expect("the child named its box");
    (tmp, master, b, doc)
}

/// Files in the vault's staging folder (table files of large uploads not
/// yet ingested).
fn staged_files(db_path: &std::path::Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(db_path.join("vault-staging")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// After the crash, opening the vault leaves no chunk and no staged file,
/// no version is visible, and the same upload then succeeds as version 1.
fn check_recovery(tmp: &tempfile::TempDir, master: MasterKey, b: BoxId, doc: DocumentId, chunks: usize) {
    let db: Db = safebox_chain::storage::open_db(&tmp.path().join("db"), &column_families()).unwrap();
    let vault = Vault::open(db.clone(), master).unwrap();
    assert_eq!(stored_chunks(&db, b, doc, Version(1)), 0);
    assert_eq!(staged_files(&tmp.path().join("db")), Vec::<std::path::PathBuf>::new());
    assert_eq!(vault.latest(b, doc), Err(VaultError::NoSuchDocument { box_id: b, document: doc }));

    let content = pattern(4, chunks * CHUNK + 1);
    let meta = put(&vault, b, "lease", &content);
    assert_eq!(meta.version, Version(1));
    assert_eq!(read(&vault, &meta).unwrap(), content);
}

#[test]
fn a_process_killed_midway_leaves_nothing_and_the_retry_succeeds() {
    // Up to 1 MiB, an upload's chunks wait in memory for the one synced
    // batch that also writes the metadata: a crash leaves nothing at all.
    let (tmp, master, b, doc) = kill_midway(10);
    let db: Db = safebox_chain::storage::open_db(&tmp.path().join("db"), &column_families()).unwrap();
    assert_eq!(stored_chunks(&db, b, doc, Version(1)), 0);
    assert_eq!(staged_files(&tmp.path().join("db")), Vec::<std::path::PathBuf>::new());
    drop(db);
    check_recovery(&tmp, master, b, doc, 10);
}

#[test]
fn a_process_killed_midway_through_a_large_upload_leaves_only_a_staged_file_that_open_deletes() {
    // Past 1 MiB the chunks go into a table file in the staging folder; a
    // crash before its ingestion leaves that file and nothing in the tree.
    let (tmp, master, b, doc) = kill_midway(40);
    let staged = staged_files(&tmp.path().join("db"));
    assert_eq!(staged.len(), 1, "{staged:?}");
    let db: Db = safebox_chain::storage::open_db(&tmp.path().join("db"), &column_families()).unwrap();
    assert_eq!(stored_chunks(&db, b, doc, Version(1)), 0);
    drop(db);
    check_recovery(&tmp, master, b, doc, 40);
}

#[test]
fn chunks_ingested_without_their_metadata_are_deleted_at_the_next_open() {
    // The state a crash leaves between a large upload's ingestion and its
    // metadata: the synced pending row, and the chunks in the tree.
    let Fresh { db, vault, master, path, _tmp } = fresh();
    let b = vault.create_box().unwrap();
    let doc = lease_id(&vault, b);
    drop(vault);
    {
        let (pending, chunks) = (db.cf_handle("vault.pending").unwrap(), db.cf_handle("vault.chunks").unwrap());
        let key = safebox_vault::storage::document_key(b, doc, Version(1));
        db.put_cf(&pending, [&b"U"[..], &key[..]].concat(), 0u64.to_be_bytes()).unwrap();
        for i in 0..20 {
            db.put_cf(&chunks, safebox_vault::storage::chunk_key(b, doc, Version(1), i), [7u8; 100]).unwrap();
        }
    }
    drop(db);
    let (db, vault) = open(&path, &master);
    assert_eq!(stored_chunks(&db, b, doc, Version(1)), 0);
    assert_eq!(vault.latest(b, doc), Err(VaultError::NoSuchDocument { box_id: b, document: doc }));
}
