//! Vault round trips and versioning: what goes in comes out byte for byte at
//! every size around the chunk boundary, through both the writer and the
//! streaming reader; each upload of a type is a new version and old ones
//! stay readable until deleted; keys, signatures and commitments behave.

use crate::vault_support::{fresh, new_document, pattern, put, read, Fresh, CHUNK};
use ed25519_dalek::{Signature, Verifier};
use safebox_vault::{DocumentType, NewDocument, Vault, VaultError, Version};
use std::io::Read;

fn vault() -> (tempfile::TempDir, Vault) {
    let Fresh { vault, _tmp, .. } = fresh();
    (_tmp, vault)
}

#[test]
fn every_size_around_the_chunk_boundary_round_trips() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    let sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 17];
    for (i, size) in sizes.into_iter().enumerate() {
        let content = pattern(i as u64, size);
        let meta = put(&vault, b, &format!("size-{size}"), &content);
        assert_eq!(meta.size, size as u64);
        assert_eq!(meta.chunks(), (size.div_ceil(CHUNK)).max(1) as u64);
        assert_eq!(meta.content_hash.0, *blake3::hash(&content).as_bytes());
        assert_eq!(read(&vault, &meta).unwrap(), content, "size {size} through read_document");

        // The streaming reader, with reads that straddle chunk boundaries.
        let mut reader = vault.open_document(b, meta.document, meta.version).unwrap();
        assert_eq!(reader.meta(), &meta);
        let mut streamed = Vec::new();
        let mut buf = vec![0u8; 7777];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            streamed.extend_from_slice(&buf[..n]);
        }
        assert_eq!(streamed, content, "size {size} through DocumentReader");
    }
}

#[test]
fn metadata_comes_back_as_uploaded() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    let new = NewDocument {
        document_type: DocumentType::new("营业执照").unwrap(),
        name: "营业执照 副本.pdf".into(),
        media_type: "application/pdf; charset=binary".into(),
    };
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let meta = vault.put_document(b, &new, &b"%PDF-1.7"[..]).unwrap();
    assert_eq!((meta.box_id, meta.version), (b, Version::FIRST));
    assert_eq!(meta.document, vault.document_id(b, &new.document_type).unwrap());
    assert_eq!(meta.document_type, new.document_type);
    assert_eq!((meta.name.as_str(), meta.media_type.as_str()), (new.name.as_str(), new.media_type.as_str()));
    assert!(meta.uploaded_ms >= before);
    assert_eq!(vault.document(b, meta.document, meta.version).unwrap(), meta);
    assert_eq!(vault.documents(b).unwrap(), vec![meta]);
}

#[test]
fn uploading_a_type_again_makes_a_new_version_and_keeps_the_old_one() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    let v1 = put(&vault, b, "lease", b"first lease");
    let v2 = put(&vault, b, "lease", b"second lease");
    let other = put(&vault, b, "id-card", b"id card");
    assert_eq!(v1.document, v2.document);
    assert_ne!(v1.document, other.document);
    assert_eq!((v1.version, v2.version, other.version), (Version(1), Version(2), Version(1)));
    assert_eq!(read(&vault, &v1).unwrap(), b"first lease");
    assert_eq!(read(&vault, &v2).unwrap(), b"second lease");
    assert_eq!(vault.latest(b, v1.document).unwrap(), v2);
    assert_eq!(vault.versions(b, v1.document).unwrap(), vec![v1.clone(), v2.clone()]);
    assert_eq!(vault.documents(b).unwrap().len(), 3);

    // Deleting a version makes it unreadable and never reuses its number.
    vault.delete_version(b, v2.document, v2.version).unwrap();
    assert!(matches!(read(&vault, &v2), Err(VaultError::NoSuchVersion { .. })));
    assert_eq!(vault.latest(b, v1.document).unwrap(), v1);
    assert_eq!(read(&vault, &v1).unwrap(), b"first lease");
    let v3 = put(&vault, b, "lease", b"third lease");
    assert_eq!(v3.version, Version(3));
    assert!(matches!(vault.delete_version(b, v2.document, v2.version), Err(VaultError::NoSuchVersion { .. })));

    // Newest first, without the deleted version or the other document's.
    let newest_first: Vec<_> = vault.versions_newest_first(b, v1.document).unwrap().map(Result::unwrap).collect();
    assert_eq!(newest_first, vec![v3.clone(), v1.clone()]);
    let only: Vec<_> = vault.versions_newest_first(b, other.document).unwrap().map(Result::unwrap).collect();
    assert_eq!(only, vec![other.clone()]);

    // The newest live version of each document. Deleting the newest makes
    // the one before it the newest; a document with none left is absent.
    let mut latest = vault.latest_documents(b).unwrap();
    latest.sort_by_key(|m| m.document_type.as_str().to_owned());
    assert_eq!(latest, vec![other.clone(), v3.clone()]);
    vault.delete_version(b, v3.document, v3.version).unwrap();
    vault.delete_version(b, other.document, other.version).unwrap();
    assert_eq!(vault.latest_documents(b).unwrap(), vec![v1]);
}

#[test]
fn concurrent_uploads_of_one_type_get_distinct_versions() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    let metas: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u64)
            .map(|i| {
                let vault = &vault;
                s.spawn(move || put(vault, b, "lease", &pattern(i, 3 * CHUNK + 5)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut versions: Vec<_> = metas.iter().map(|m| m.version.0).collect();
    versions.sort();
    assert_eq!(versions, [1, 2, 3, 4]);
    for meta in &metas {
        assert_eq!(meta.content_hash.0, *blake3::hash(&read(&vault, meta).unwrap()).as_bytes());
    }
}

#[test]
fn unknown_boxes_documents_and_versions_are_errors() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    let stranger = safebox_vault::BoxId([7; 16]);
    assert_eq!(vault.create_box().map(|x| x == b), Ok(false));
    assert_eq!(vault.applicant_public_key(stranger), Err(VaultError::NoSuchBox(stranger)));
    assert!(matches!(vault.put_document(stranger, &new_document("x"), &b""[..]), Err(VaultError::NoSuchBox(_))));
    let doc = vault.document_id(b, &DocumentType::new("never-uploaded").unwrap()).unwrap();
    assert_eq!(vault.latest(b, doc), Err(VaultError::NoSuchDocument { box_id: b, document: doc }));
    assert!(matches!(vault.document(b, doc, Version(1)), Err(VaultError::NoSuchVersion { .. })));
    assert!(matches!(vault.open_document(b, doc, Version(0)), Err(VaultError::NoSuchVersion { .. })));
}

#[test]
fn bad_document_descriptions_are_refused_before_anything_is_written() {
    let (_tmp, vault) = vault();
    let b = vault.create_box().unwrap();
    assert!(DocumentType::new("").is_err());
    assert!(DocumentType::new("a".repeat(129)).is_err());
    assert!(DocumentType::new("lease\n").is_err());
    let good = new_document("lease");
    let bad = [
        NewDocument { name: "x\r\nSet-Cookie: y".into(), ..good.clone() },
        NewDocument { name: String::new(), ..good.clone() },
        NewDocument { media_type: "pdf".into(), ..good.clone() },
        NewDocument { media_type: "application /pdf".into(), ..good.clone() },
    ];
    for new in bad {
        let result = vault.put_document(b, &new, &b"content"[..]);
        assert!(matches!(result, Err(VaultError::Invalid { .. })), "{new:?}: {result:?}");
    }
    assert!(vault.documents(b).unwrap().is_empty());
}

#[test]
fn the_applicant_key_signs_and_commitments_are_keyed_per_box() {
    let (_tmp, vault) = vault();
    let (a, b) = (vault.create_box().unwrap(), vault.create_box().unwrap());
    let key = vault.applicant_public_key(a).unwrap();
    let signature = vault.sign_as_applicant(a, b"grant: lease to agency X").unwrap();
    key.verify_strict(b"grant: lease to agency X", &Signature::from_bytes(&signature)).unwrap();
    assert!(key.verify(b"grant: lease to agency Y", &Signature::from_bytes(&signature)).is_err());
    assert_ne!(key, vault.applicant_public_key(b).unwrap());

    let code = "370102199001011234";
    let ca = vault.applicant_commitment(a, code).unwrap();
    assert_eq!(ca, vault.applicant_commitment(a, code).unwrap(), "stable within a box");
    assert_ne!(ca, vault.applicant_commitment(b, code).unwrap(), "keyed per box");
    assert_ne!(ca, vault.applicant_commitment(a, "370102199001011235").unwrap());
    assert_ne!(ca.0, *blake3::hash(code.as_bytes()).as_bytes(), "not a plain hash");

    let v1 = put(&vault, a, "lease", b"one");
    let v2 = put(&vault, a, "lease", b"two");
    let d1 = vault.document_commitment(a, v1.document, v1.version).unwrap();
    assert_eq!(d1, vault.document_commitment(a, v1.document, v1.version).unwrap());
    assert_ne!(d1, vault.document_commitment(a, v2.document, v2.version).unwrap());
    assert_ne!(d1.0, ca.0);
    // The same content in another box commits differently.
    let other = put(&vault, b, "lease", b"one");
    assert_ne!(d1, vault.document_commitment(b, other.document, other.version).unwrap());
}
