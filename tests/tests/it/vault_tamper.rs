//! Tamper detection: any change to a stored document's chunks (a flipped
//! byte, a dropped last chunk, reordered chunks, an extra chunk, chunks
//! moved from another version, document or box) is a decryption error, and
//! no byte of a failing chunk or after it is ever handed out.

use crate::vault_support::{fresh, pattern, put, raw_chunk, read, set_raw_chunk, Db, Fresh, CHUNK};
use safebox_vault::document::DocumentMeta;
use safebox_vault::storage::{document_key, CF_DOCUMENTS};
use safebox_vault::{Vault, VaultError, Version};

/// A vault with one document of four chunks (the last one short).
fn setup() -> (tempfile::TempDir, Db, Vault, DocumentMeta, Vec<u8>) {
    let Fresh { db, vault, _tmp, .. } = fresh();
    let b = vault.create_box().unwrap();
    let content = pattern(1, 3 * CHUNK + 1000);
    let meta = put(&vault, b, "lease", &content);
    assert_eq!(meta.chunks(), 4);
    (_tmp, db, vault, meta, content)
}

fn chunk(db: &Db, m: &DocumentMeta, i: u64) -> Vec<u8> {
    raw_chunk(db, m.box_id, m.document, m.version, i).expect("chunk is stored")
}

fn set_chunk(db: &Db, m: &DocumentMeta, i: u64, bytes: Option<&[u8]>) {
    set_raw_chunk(db, m.box_id, m.document, m.version, i, bytes)
}

/// Reads `m` and insists on a decryption error at `chunk`, with exactly the
/// chunks before it written out.
fn assert_fails_at(vault: &Vault, m: &DocumentMeta, chunk: u64, content: &[u8]) {
    let mut out = Vec::new();
    let result = vault.read_document(m.box_id, m.document, m.version, &mut out);
    assert_eq!(result, Err(VaultError::Decryption { chunk }));
    let verified = (chunk as usize * CHUNK).min(content.len());
    assert_eq!(out, &content[..verified], "only the chunks before the failing one are written");

    // The streaming reader fails the same way and keeps failing.
    let mut reader = vault.open_document(m.box_id, m.document, m.version).unwrap();
    let mut sink = Vec::new();
    let error = std::io::copy(&mut reader, &mut sink).unwrap_err();
    assert_eq!(VaultError::from_io(&error), Some(&VaultError::Decryption { chunk }));
    assert_eq!(sink, &content[..verified]);
    assert!(std::io::Read::read(&mut reader, &mut [0u8; 16]).is_err());
}

#[test]
fn a_flipped_ciphertext_byte_is_a_decryption_error() {
    let (_tmp, db, vault, m, content) = setup();
    for (i, pos) in [(0u64, 0usize), (1, 12345), (3, 999 + 16)] {
        let original = chunk(&db, &m, i);
        let mut bytes = original.clone();
        bytes[pos] ^= 0x01;
        set_chunk(&db, &m, i, Some(&bytes));
        assert_fails_at(&vault, &m, i, &content);
        set_chunk(&db, &m, i, Some(&original));
    }
    assert_eq!(read(&vault, &m).unwrap(), content, "restored chunks read again");
}

#[test]
fn a_dropped_last_chunk_is_a_decryption_error() {
    let (_tmp, db, vault, m, content) = setup();
    set_chunk(&db, &m, 3, None);
    assert_fails_at(&vault, &m, 3, &content);
}

#[test]
fn a_stream_cut_at_a_chunk_boundary_is_a_decryption_error() {
    // The document ends exactly on a chunk boundary and its last chunk is
    // replaced by... nothing, while the chunk before it (not flagged last)
    // is intact: the missing last-chunk flag must be noticed.
    let Fresh { db, vault, _tmp, .. } = fresh();
    let b = vault.create_box().unwrap();
    let content = pattern(2, 2 * CHUNK);
    let m = put(&vault, b, "lease", &content);
    assert_eq!(m.chunks(), 2);
    set_chunk(&db, &m, 1, None);
    assert_fails_at(&vault, &m, 1, &content);
    // Moving the first chunk to the last position does not help either:
    // it was sealed as "not last" and at counter 0.
    let first = chunk(&db, &m, 0);
    set_chunk(&db, &m, 1, Some(&first));
    assert_fails_at(&vault, &m, 1, &content);
}

#[test]
fn reordered_chunks_are_a_decryption_error() {
    let (_tmp, db, vault, m, content) = setup();
    let (c1, c2) = (chunk(&db, &m, 1), chunk(&db, &m, 2));
    set_chunk(&db, &m, 1, Some(&c2));
    set_chunk(&db, &m, 2, Some(&c1));
    assert_fails_at(&vault, &m, 1, &content);
}

#[test]
fn an_extra_chunk_after_the_last_is_a_decryption_error() {
    let (_tmp, db, vault, m, content) = setup();
    let last = chunk(&db, &m, 3);
    set_chunk(&db, &m, 4, Some(&last));
    let mut out = Vec::new();
    let result = vault.read_document(m.box_id, m.document, m.version, &mut out);
    assert_eq!(result, Err(VaultError::Decryption { chunk: 4 }));
    // The real content was authenticated, but the call still fails.
    assert!(out.len() <= content.len());
}

#[test]
fn chunks_moved_from_another_version_are_a_decryption_error() {
    let (_tmp, db, vault, v1, content) = setup();
    let v2 = put(&vault, v1.box_id, "lease", &pattern(9, content.len()));
    assert_eq!(v2.version, Version(2));
    // Every chunk of version 1 copied over version 2, same positions.
    for i in 0..4 {
        set_chunk(&db, &v2, i, Some(&chunk(&db, &v1, i)));
    }
    let mut out = Vec::new();
    let result = vault.read_document(v2.box_id, v2.document, v2.version, &mut out);
    assert_eq!(result, Err(VaultError::Decryption { chunk: 0 }));
    assert!(out.is_empty());
}

#[test]
fn chunks_moved_from_another_document_or_box_are_a_decryption_error() {
    let (_tmp, db, vault, victim, content) = setup();
    let same_box = put(&vault, victim.box_id, "id-card", &content);
    let other_box = vault.create_box().unwrap();
    let elsewhere = put(&vault, other_box, "lease", &content);
    for target in [&same_box, &elsewhere] {
        for i in 0..4 {
            set_chunk(&db, target, i, Some(&chunk(&db, &victim, i)));
        }
        assert_eq!(read(&vault, target), Err(VaultError::Decryption { chunk: 0 }));
    }
}

#[test]
fn metadata_moved_to_another_version_does_not_authenticate() {
    let (_tmp, db, vault, v1, _content) = setup();
    let v2 = put(&vault, v1.box_id, "lease", b"short");
    let cf = db.cf_handle(CF_DOCUMENTS).unwrap();
    let row = db.get_cf(&cf, document_key(v1.box_id, v1.document, v1.version)).unwrap().unwrap();
    db.put_cf(&cf, document_key(v2.box_id, v2.document, v2.version), &row).unwrap();
    assert!(matches!(vault.document(v2.box_id, v2.document, v2.version), Err(VaultError::Tampered { .. })));
    assert!(matches!(read(&vault, &v2), Err(VaultError::Tampered { .. })));
    // Garbage in a metadata row is an error, not a panic.
    for garbage in [&b""[..], &[1u8][..], &[2u8, 0][..], &[9u8; 40][..]] {
        db.put_cf(&cf, document_key(v2.box_id, v2.document, v2.version), garbage).unwrap();
        assert!(vault.document(v2.box_id, v2.document, v2.version).is_err());
    }
}
