//! Master key rotation: every box's keys are rewrapped under the new key,
//! documents are not re-encrypted (their stored bytes do not change), the
//! vault keeps working, an interrupted rotation resumes, and the old key
//! unwraps nothing any more.

use crate::vault_support::Db;
use crate::vault_support::{fresh, open, pattern, put, raw_chunk, read, Fresh, CHUNK};
use safebox_vault::storage::CF_BOXES;
use safebox_vault::{BoxId, MasterKey, Rotation, Vault, VaultError};

/// A box's stored key record.
fn box_record(db: &Db, b: BoxId) -> Vec<u8> {
    db.get_cf(&db.cf_handle(CF_BOXES).unwrap(), b.0).unwrap().unwrap()
}

#[test]
fn rotation_rewraps_every_box_and_leaves_documents_untouched() {
    let Fresh { db, vault, master: old, path, _tmp } = fresh();
    let new = MasterKey::generate();

    let metas: Vec<_> = (0..3u64)
        .map(|i| {
            let b = vault.create_box().unwrap();
            put(&vault, b, "lease", &pattern(i, 2 * CHUNK + 9))
        })
        .collect();
    let before: Vec<_> = metas
        .iter()
        .map(|m| {
            (
                box_record(&db, m.box_id),
                raw_chunk(&db, m.box_id, m.document, m.version, 0).unwrap(),
                vault.applicant_public_key(m.box_id).unwrap(),
                vault.applicant_commitment(m.box_id, "91370100MA3C8XXXXX").unwrap(),
                vault.document_commitment(m.box_id, m.document, m.version).unwrap(),
            )
        })
        .collect();

    assert_eq!(vault.rotate_master(&old, &new), Ok(Rotation { rewrapped: 3, already: 0 }));
    assert_eq!(vault.master_key_id(), new.id());
    for (i, (m, (record, chunk, public, applicant, document))) in metas.iter().zip(&before).enumerate() {
        assert_ne!(&box_record(&db, m.box_id), record, "box {i} is rewrapped");
        assert_eq!(&raw_chunk(&db, m.box_id, m.document, m.version, 0).unwrap(), chunk, "chunks are not rewritten");
        assert_eq!(read(&vault, m).unwrap(), pattern(i as u64, 2 * CHUNK + 9));
        assert_eq!(&vault.applicant_public_key(m.box_id).unwrap(), public);
        assert_eq!(&vault.applicant_commitment(m.box_id, "91370100MA3C8XXXXX").unwrap(), applicant);
        assert_eq!(&vault.document_commitment(m.box_id, m.document, m.version).unwrap(), document);
    }

    // Running it again (as after a crash midway) finds nothing left to do.
    assert_eq!(vault.rotate_master(&old, &new), Ok(Rotation { rewrapped: 0, already: 3 }));
    let late = vault.create_box().unwrap();
    put(&vault, late, "lease", b"after the rotation");

    // The old key unwraps nothing: the records name the new key...
    let stale = Vault::open(db.clone(), old.clone()).unwrap();
    let m = &metas[0];
    assert_eq!(
        read(&stale, m),
        Err(VaultError::WrongMasterKey { box_id: m.box_id, found: new.id(), expected: old.id() })
    );
    // ...and a record relabelled as the old key's does not authenticate.
    let mut record = box_record(&db, m.box_id);
    record[1..9].copy_from_slice(old.id().as_bytes());
    db.put_cf(&db.cf_handle(CF_BOXES).unwrap(), m.box_id.0, &record).unwrap();
    assert!(matches!(read(&stale, m), Err(VaultError::Tampered { .. })));
    assert!(matches!(stale.sign_as_applicant(m.box_id, b"x"), Err(VaultError::Tampered { .. })));
    assert!(matches!(vault.applicant_commitment(m.box_id, "x"), Err(VaultError::WrongMasterKey { .. })));
    drop((stale, vault, db));

    // The new key opens everything else after a restart.
    let (_db, vault) = open(&path, &new);
    for (i, m) in metas.iter().enumerate().skip(1) {
        assert_eq!(read(&vault, m).unwrap(), pattern(i as u64, 2 * CHUNK + 9));
    }
}

#[test]
fn rotation_refuses_keys_the_vault_does_not_use() {
    let Fresh { vault, master: key, _tmp, .. } = fresh();
    vault.create_box().unwrap();
    let (other, another) = (MasterKey::generate(), MasterKey::generate());
    assert!(matches!(vault.rotate_master(&other, &another), Err(VaultError::Invalid { .. })));
    assert!(matches!(vault.rotate_master(&key, &key), Err(VaultError::Invalid { .. })));
    assert_eq!(vault.master_key_id(), key.id());
}

#[test]
fn a_wrong_master_key_is_named_not_mistaken_for_tampering() {
    let Fresh { db, vault, master: right, _tmp, .. } = fresh();
    let b = vault.create_box().unwrap();
    drop(vault);
    let wrong = MasterKey::generate();
    let vault = Vault::open(db, wrong.clone()).unwrap();
    assert_eq!(
        vault.sign_as_applicant(b, b"x"),
        Err(VaultError::WrongMasterKey { box_id: b, found: right.id(), expected: wrong.id() })
    );
}
