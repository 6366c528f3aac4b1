//! Building proof bundles: for licenses exported together, one status
//! snapshot and one checkpoint, and each license's entries and proofs.

use super::bundle::{BundleError, EntryProof, ProofBundle, StatusProof, BUNDLE_FORMAT};
use super::node_key::NodeVerifierKey;
use super::snapshot::{self, StatusSnapshot};
use super::status_tree::{MemoryTree, StatusLeaf};
use super::stored::{LicenseView, ViewError};
use crate::credential::SignedLicense;
use crate::keys::public_key;
use crate::ledger::Ledger;
use crate::state::{self, KeyOwner, LicenseRecord, StateError};
use crate::storage::StorageError;
use crate::time::Timestamp;
use ed25519_dalek::SigningKey;
use serde_json::value::RawValue;

/// Builds one bundle per credential, in order. All of them carry the
/// latest license-chain checkpoint and one status snapshot signed now with
/// `node_key` over the statuses of exactly these licenses, read at that
/// checkpoint; so bundles exported together share both notes, and a
/// verifier checking them together verifies each note once.
///
/// Refused when a license is not on the chain or its signing key is not
/// an agency key there (nothing could prove it); a license that is on the
/// chain but suspended, revoked or recorded with another digest gets its
/// bundle, and the verifier says what is wrong with it.
pub fn build_bundles(
    ledger: &Ledger,
    node_key: &SigningKey,
    credentials: &[SignedLicense],
) -> Result<Vec<ProofBundle>, BundleError> {
    if public_key(node_key) != ledger.node_key() {
        return Err(BundleError::WrongNodeKey);
    }
    let view = LicenseView::open(ledger).map_err(|e| match e {
        ViewError::NoCheckpoint => BundleError::NoCheckpoint,
        other => BundleError::Storage(other.to_string()),
    })?;

    let mut found = Vec::with_capacity(credentials.len());
    let mut tree = MemoryTree::default();
    for credential in credentials {
        let id = credential.license().identifier().license_id();
        let record: LicenseRecord =
            state::license(&view, &id).map_err(state_error)?.ok_or_else(|| BundleError::NotOnChain(id.clone()))?;
        let key = credential.proof().verification_method.public_key();
        let key_from = match state::key_record(&view, &key.id()).map_err(state_error)? {
            Some(k) if matches!(k.owner, KeyOwner::Agency(_)) => k.active_from,
            _ => return Err(BundleError::NotAnAgencyKey { key: key.id(), license: id }),
        };
        let leaf = StatusLeaf::of(&record);
        tree.push(leaf.leaf_hash());
        found.push((record.issued_at, key_from, leaf));
    }

    let snapshot = StatusSnapshot {
        origin: snapshot::origin(ledger.node_name()),
        license_size: view.head.size,
        license_root: view.head.root,
        status_size: tree.size(),
        status_root: tree.root(),
        made: Timestamp::now(),
    };
    let snapshot_note = snapshot::sign(&snapshot, node_key).map_err(|e| BundleError::Sign(e.to_string()))?;
    let snapshot_note = note_text(snapshot_note)?;
    let checkpoint_note = note_text(view.note.clone())?;
    let node = NodeVerifierKey::new(ledger.node_name(), ledger.node_key()).to_string();

    let entry_proof = |index: u64| -> Result<EntryProof, BundleError> {
        Ok(EntryProof { entry: view.entry(index).map_err(storage)?, proof: view.prove(index).map_err(storage)? })
    };
    credentials
        .iter()
        .zip(found)
        .enumerate()
        .map(|(n, (credential, (issued_at, key_from, leaf)))| {
            let text = String::from_utf8(credential.canonical_bytes()).expect("canonical JSON is UTF-8");
            Ok(ProofBundle {
                format: BUNDLE_FORMAT.to_owned(),
                node_key: node.clone(),
                credential: RawValue::from_string(text).expect("canonical JSON is JSON"),
                checkpoint: checkpoint_note.clone(),
                issuance: entry_proof(issued_at)?,
                agency_key: entry_proof(key_from)?,
                status: StatusProof { snapshot: snapshot_note.clone(), leaf, proof: tree.prove(n as u64) },
            })
        })
        .collect()
}

fn note_text(note: Vec<u8>) -> Result<String, BundleError> {
    String::from_utf8(note).map_err(|_| BundleError::Storage("a signed note is not UTF-8".into()))
}

fn state_error(e: StateError) -> BundleError {
    BundleError::Storage(e.to_string())
}

fn storage(e: StorageError) -> BundleError {
    BundleError::Storage(e.to_string())
}
