//! Crypto-shredding: an erased box can no longer be read, signed for or
//! linked, and after `compact` none of its stored bytes (wrapped keys,
//! metadata, ciphertext) is left in any file of the database folder,
//! whether they had reached SST files or were still only in the WAL, while
//! other boxes are untouched. Plaintext (a marker in a file name, in the
//! content and in the applicant code) is never on disk at all.

use crate::vault_support::{files_containing, fresh, open, pattern, put, raw_chunk, read, Db, Fresh, CHUNK};
use safebox_vault::storage::{document_key, CF_BOXES, CF_DOCUMENTS};
use safebox_vault::{BoxId, DocumentMeta, DocumentType, NewDocument, Vault, VaultError};
use std::path::Path;

const MARKER: &str = "SAFEBOX-MARKER-1234567890";

/// A box holding a document whose name and content carry the marker.
fn marked_box(vault: &Vault) -> (BoxId, DocumentMeta) {
    let b = vault.create_box().unwrap();
    let new = NewDocument {
        document_type: DocumentType::new(format!("id-card {MARKER}")).unwrap(),
        name: format!("{MARKER}.jpg"),
        media_type: "image/jpeg".into(),
    };
    let content = MARKER.repeat(3 * CHUNK / MARKER.len());
    let meta = vault.put_document(b, &new, content.as_bytes()).unwrap();
    vault.applicant_commitment(b, MARKER).unwrap();
    (b, meta)
}

/// What the database stores for a box: its key record, a metadata row and
/// the start of a chunk's ciphertext.
fn stored_secrets(db: &Db, meta: &DocumentMeta) -> Vec<Vec<u8>> {
    let boxes = db.cf_handle(CF_BOXES).unwrap();
    let documents = db.cf_handle(CF_DOCUMENTS).unwrap();
    let record = db.get_cf(&boxes, meta.box_id.0).unwrap().unwrap();
    let row = db.get_cf(&documents, document_key(meta.box_id, meta.document, meta.version)).unwrap().unwrap();
    let chunk = raw_chunk(db, meta.box_id, meta.document, meta.version, 1).unwrap();
    vec![record, row, chunk[..64].to_vec()]
}

/// Another part of the node writing to the same WAL (as the chains do).
fn chain_write(db: &Db, key: &str) {
    let cf = db.cf_handle(safebox_chain::storage::CF_STATE).unwrap();
    db.put_cf(&cf, key, b"unflushed chain state").unwrap();
}

fn assert_nowhere(dir: &Path, needles: &[Vec<u8>], what: &str) {
    for (i, needle) in needles.iter().enumerate() {
        let found = files_containing(dir, needle);
        assert!(found.is_empty(), "{what} #{i} is still in {found:?}");
    }
}

fn assert_somewhere(dir: &Path, needles: &[Vec<u8>], what: &str) {
    for (i, needle) in needles.iter().enumerate() {
        assert!(!files_containing(dir, needle).is_empty(), "{what} #{i} is on no file: the scan is blind");
    }
}

#[test]
fn an_erased_box_leaves_no_stored_byte_after_compaction() {
    let Fresh { db, vault, master, path: dir, _tmp } = fresh();

    // Box A reaches SST files before it is erased; box C is still only in
    // the WAL and memtables; box K is kept. The chains write in between, so
    // the WAL files that hold A and C are also needed by other families.
    let (a, ma) = marked_box(&vault);
    chain_write(&db, "before-a");
    let k = vault.create_box().unwrap();
    let kept_content = pattern(5, 2 * CHUNK + 3);
    let mk = put(&vault, k, "lease", &kept_content);
    vault.compact().unwrap();
    let (c, mc) = marked_box(&vault);
    chain_write(&db, "before-c");

    let (secrets_a, secrets_c, secrets_k) =
        (stored_secrets(&db, &ma), stored_secrets(&db, &mc), stored_secrets(&db, &mk));
    assert_somewhere(&dir, &secrets_a, "box A's bytes");
    assert_somewhere(&dir, &secrets_c, "box C's bytes");
    assert_nowhere(&dir, &[MARKER.as_bytes().to_vec()], "the plaintext marker");

    vault.erase_box(a).unwrap();
    vault.erase_box(c).unwrap();
    for (b, m) in [(a, &ma), (c, &mc)] {
        let erased = Err(VaultError::Erased(b));
        assert_eq!(vault.applicant_commitment(b, MARKER).map(|_| ()), erased);
        assert_eq!(vault.document_commitment(b, m.document, m.version).map(|_| ()), erased);
        assert_eq!(vault.sign_as_applicant(b, b"grant").map(|_| ()), erased);
        assert_eq!(vault.applicant_public_key(b).map(|_| ()), erased);
        assert_eq!(vault.documents(b).map(|_| ()), erased);
        assert_eq!(read(&vault, m).map(|_| ()), erased);
        assert_eq!(vault.put_document(b, &crate::vault_support::new_document("x"), &b""[..]).map(|_| ()), erased);
        assert_eq!(vault.erase_box(b), erased);
        assert_eq!(raw_chunk(&db, b, m.document, m.version, 0), None);
    }

    vault.compact().unwrap();
    assert_nowhere(&dir, &secrets_a, "erased box A's bytes");
    assert_nowhere(&dir, &secrets_c, "erased box C's bytes");
    assert_nowhere(&dir, &[MARKER.as_bytes().to_vec()], "the plaintext marker");
    assert_somewhere(&dir, &secrets_k, "kept box K's bytes");
    assert_eq!(read(&vault, &mk).unwrap(), kept_content);

    // Erasure is durable.
    drop((db, vault));
    let (_db, vault) = open(&dir, &master);
    assert_eq!(vault.applicant_public_key(a).map(|_| ()), Err(VaultError::Erased(a)));
    assert_eq!(read(&vault, &mk).unwrap(), kept_content);
}

#[test]
fn a_reader_open_while_its_box_is_erased_stops_with_erased() {
    let Fresh { vault, _tmp, .. } = fresh();
    let b = vault.create_box().unwrap();
    let meta = put(&vault, b, "lease", &pattern(6, 3 * CHUNK));
    let mut reader = vault.open_document(b, meta.document, meta.version).unwrap();
    let mut first = vec![0u8; 10];
    std::io::Read::read_exact(&mut reader, &mut first).unwrap();
    vault.erase_box(b).unwrap();
    let error = std::io::copy(&mut reader, &mut std::io::sink()).unwrap_err();
    assert_eq!(VaultError::from_io(&error), Some(&VaultError::Erased(b)));
}
