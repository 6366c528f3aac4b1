//! Fuzzes the vault's sealed chunk streams as they come back from storage:
//! a document is uploaded, then its stored rows are changed as the input
//! says (bits flipped, chunks cut, dropped, swapped, duplicated, extended,
//! added after the last, or taken from another document; its sealed
//! metadata flipped), then read back.
//!
//! Properties: reading gives the plaintext that was sealed, whole, exactly
//! when no stored byte changed; any change is an error; and before the
//! error only a prefix of the true plaintext is ever handed out (never a
//! wrong byte), through `read_document` and through the `Read` reader.
//!
//! Real RocksDB, in a folder under /dev/shm when there is one (a synced
//! write there costs no disk flush), opened once per process.
#![no_main]

#[path = "shared/scratch.rs"]
mod scratch;

use libfuzzer_sys::fuzz_target;
use safebox_chain::storage::open_db;
use safebox_vault::storage::{chunk_key, document_key, CF_CHUNKS, CF_DOCUMENTS};
use safebox_vault::{BoxId, DocumentMeta, DocumentType, MasterKey, NewDocument, Vault, VaultError, CHUNK_SIZE};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, LazyLock, Mutex};

struct Fixture {
    db: Arc<rocksdb::DB>,
    vault: Vault,
    box_id: BoxId,
    /// A document of three chunks in the same box, whose chunks are moved
    /// into the one under test.
    donor: DocumentMeta,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Mutex<Fixture>> = LazyLock::new(|| {
    let dir = scratch::folder();
    let mut families = safebox_chain::storage::COLUMN_FAMILIES.to_vec();
    families.extend(safebox_vault::COLUMN_FAMILIES);
    let db = open_db(&dir.path().join("db"), &families).expect("open the database");
    let vault = Vault::open(db.clone(), MasterKey::from_bytes([7; 32])).expect("open the vault");
    let box_id = vault.create_box().expect("a box");
    let donor = vault.put_document(box_id, &new_document("donor"), &content(3, 5, 0x33)[..]).expect("donor");
    Mutex::new(Fixture { db, vault, box_id, donor, _dir: dir })
});

fn new_document(document_type: &str) -> NewDocument {
    NewDocument {
        document_type: DocumentType::new(document_type).expect("a document type"),
        name: format!("{document_type}.pdf"),
        media_type: "application/pdf".into(),
    }
}

/// `full` whole chunks and `tail` more bytes, every chunk different.
fn content(full: usize, tail: usize, seed: u8) -> Vec<u8> {
    (0..full * CHUNK_SIZE + tail).map(|i| (i as u64).wrapping_mul(0x9E37_79B9).to_le_bytes()[3] ^ seed).collect()
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }
}

/// The rows of one version: its chunks by index (one past the last may be
/// added) and its sealed metadata.
#[derive(Clone, PartialEq)]
struct Rows {
    chunks: BTreeMap<u64, Vec<u8>>,
    meta: Vec<u8>,
}

fn read_rows(f: &Fixture, m: &DocumentMeta) -> Rows {
    let cf = f.db.cf_handle(CF_CHUNKS).expect("chunks");
    let chunks = (0..=m.chunks())
        .filter_map(|i| {
            let row = f.db.get_cf(&cf, chunk_key(m.box_id, m.document, m.version, i)).expect("read");
            row.map(|bytes| (i, bytes))
        })
        .collect();
    let cf = f.db.cf_handle(CF_DOCUMENTS).expect("documents");
    let meta = f.db.get_cf(&cf, document_key(m.box_id, m.document, m.version)).expect("read").expect("metadata");
    Rows { chunks, meta }
}

fn write_rows(f: &Fixture, m: &DocumentMeta, rows: &Rows) {
    let cf = f.db.cf_handle(CF_CHUNKS).expect("chunks");
    for i in 0..=m.chunks() {
        let key = chunk_key(m.box_id, m.document, m.version, i);
        match rows.chunks.get(&i) {
            Some(bytes) => f.db.put_cf(&cf, key, bytes).expect("write"),
            None => f.db.delete_cf(&cf, key).expect("delete"),
        }
    }
    let cf = f.db.cf_handle(CF_DOCUMENTS).expect("documents");
    f.db.put_cf(&cf, document_key(m.box_id, m.document, m.version), &rows.meta).expect("write");
}

/// Changes `rows` as one operation of the input says.
fn change(rows: &mut Rows, donor: &Rows, count: u64, input: &mut Input) -> Option<()> {
    let op = input.byte()?;
    let k = u64::from(input.byte()?) % (count + 1);
    let j = u64::from(input.byte()?) % (count + 1);
    match op % 9 {
        0 => {
            let chunk = rows.chunks.get_mut(&k)?;
            let at = usize::from(input.u16()?) % chunk.len().max(1);
            *chunk.get_mut(at)? ^= 1 << (input.byte()? % 8);
        }
        1 => {
            let chunk = rows.chunks.get_mut(&k)?;
            chunk.truncate(usize::from(input.u16()?) % (chunk.len() + 1));
        }
        2 => {
            rows.chunks.remove(&k);
        }
        3 => {
            let (a, b) = (rows.chunks.remove(&k), rows.chunks.remove(&j));
            a.map(|a| rows.chunks.insert(j, a));
            b.map(|b| rows.chunks.insert(k, b));
        }
        4 => {
            let chunk = donor.chunks.values().nth(j as usize % donor.chunks.len())?.clone();
            rows.chunks.insert(k, chunk);
        }
        5 => {
            let chunk = rows.chunks.get(&k)?.clone();
            rows.chunks.insert(count, chunk);
        }
        6 => {
            let chunk = rows.chunks.get(&k)?.clone();
            rows.chunks.insert(j, chunk);
        }
        7 => {
            let extra = input.byte()?;
            rows.chunks.get_mut(&k)?.extend(std::iter::repeat_n(extra, 1 + usize::from(extra % 32)));
        }
        _ => {
            let at = usize::from(input.u16()?) % rows.meta.len();
            rows.meta[at] ^= 1 << (input.byte()? % 8);
        }
    }
    Some(())
}

/// Reads the version both ways; the plaintext, or the error with what was
/// handed out before it.
fn read_both(f: &Fixture, m: &DocumentMeta) -> [(Result<(), VaultError>, Vec<u8>); 2] {
    let mut out = Vec::new();
    let copied = f.vault.read_document(m.box_id, m.document, m.version, &mut out).map(|_| ());
    let mut streamed = Vec::new();
    let read = match f.vault.open_document(m.box_id, m.document, m.version) {
        Err(e) => Err(e),
        Ok(mut reader) => {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => streamed.extend_from_slice(&buf[..n]),
                    Err(e) => break Err(VaultError::from_io(&e).cloned().expect("a vault error")),
                }
            }
        }
    };
    [(copied, out), (read, streamed)]
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let (Some(full), Some(tail), Some(seed)) = (input.byte(), input.u16(), input.byte()) else { return };
    let plaintext = content(usize::from(full % 3), usize::from(tail % 2048), seed);

    let f = FIXTURE.lock().unwrap_or_else(|e| e.into_inner());
    let m = f.vault.put_document(f.box_id, &new_document("under-test"), &plaintext[..]).expect("upload");
    assert_eq!(m.size, plaintext.len() as u64);
    let original = read_rows(&f, &m);
    let donor = read_rows(&f, &f.donor);
    let mut rows = original.clone();
    while change(&mut rows, &donor, m.chunks(), &mut input).is_some() {}
    write_rows(&f, &m, &rows);

    for (result, out) in read_both(&f, &m) {
        if rows == original {
            assert!(result.is_ok(), "an untouched document fails to read: {result:?}");
            assert!(out == plaintext, "an untouched document reads as other bytes");
        } else {
            assert!(result.is_err(), "a changed stored document read without an error");
            assert!(plaintext.starts_with(&out), "bytes that were never sealed were handed out");
        }
    }

    // Leave nothing behind: the next input uploads a new version.
    let cf = f.db.cf_handle(CF_CHUNKS).expect("chunks");
    for i in 0..=m.chunks() {
        f.db.delete_cf(&cf, chunk_key(m.box_id, m.document, m.version, i)).expect("delete");
    }
    let cf = f.db.cf_handle(CF_DOCUMENTS).expect("documents");
    f.db.delete_cf(&cf, document_key(m.box_id, m.document, m.version)).expect("delete");
});
