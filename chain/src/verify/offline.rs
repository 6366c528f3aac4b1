//! Offline verification of proof bundles, with no node to ask.
//!
//! What an offline verifier can and cannot know, and how each check rests
//! on the bundle:
//!
//! - `signature`: the credential's proof, with the key it names.
//! - `issuer_key`: the `agency.registered` / `agency.key_rotated` entry that
//!   introduced that key for the issuing agency, included under the
//!   checkpoint, before the issuance. That the key was still active at the
//!   issuance follows from the issuance entry being on the chain and signed
//!   by it: the license chain accepts an agency entry only from a key active
//!   at its index, and replay holds the node to that.
//! - `on_chain`: the issuance entry, included under the node-signed
//!   checkpoint, naming this license, this agency, this key and this
//!   credential's digest. Entries' own signatures are not verified again
//!   here: the node verified them strictly before appending, they are bound
//!   by their leaf hash under a checkpoint the node signed, and verifying
//!   every author signature again is the auditor's replay. (Two more Ed25519
//!   verifications per bundle would cut the throughput to a third for no
//!   new fact.)
//! - `status`: the node-signed status snapshot at the checkpoint's size, and
//!   the license's leaf in it.
//! - `validity`: the credential's window against the verifier's clock.
//!
//! Bundles of one export share their checkpoint and snapshot notes (and
//! mostly their agency key entry), so the verifier keeps what it has
//! verified, keyed by the exact input (note text and key; entry, index and
//! proof), and verifies each once. Keyed by the exact input, a memo never
//! changes a verdict: only its cost.

use super::bundle::{BundleError, BundleRef, BundleText, EntryProof, ProofBundle};
use super::credential::{check_signature, check_validity, Signed};
use super::judge::{
    judge_issuance, judge_key_entry, read_issuance, read_key_entry, status_failure, status_text, when, Issuance,
    KeyEntry,
};
use super::node_key::{NodeKeyError, NodeVerifierKey};
use super::snapshot::{self, StatusSnapshot};
use super::verdict::{Basis, CheckName, Checks, Verdict};
use crate::checkpoint::{self, TreeHead};
use crate::hash::{EntryHash, RootHash};
use crate::proof::InclusionProof;
use crate::state::LicenseStatus;
use crate::time::Timestamp;
use std::collections::HashMap;

/// Most values remembered per memo; past it the memo starts again, so a
/// stream of bundles from many nodes costs verifications, not memory.
const MEMO_CAPACITY: usize = 1024;

/// Verifies proof bundles, remembering what it has verified that bundles
/// share: signed notes, and the agency key entries under a checkpoint.
pub struct BundleVerifier {
    trusted: Option<NodeVerifierKey>,
    checkpoints: NoteMemo<Checkpoint>,
    snapshots: NoteMemo<Snapshot>,
    /// Agency key entries already shown at (root, index, leaf), with the
    /// proof that showed them: most bundles of an export name the same few.
    key_entries: HashMap<(RootHash, u64, EntryHash), (InclusionProof, KeyEntry)>,
}

/// A verified checkpoint, with the words a passed `on_chain` uses for it.
#[derive(Clone)]
struct Checkpoint {
    head: TreeHead,
    anchor: String,
}

/// A verified status snapshot, with the words a status uses for it.
#[derive(Clone)]
struct Snapshot {
    snapshot: StatusSnapshot,
    as_of: String,
}

/// Verified notes by verifier key, then by note text; failures too, since
/// a note's verdict under a key never changes.
struct NoteMemo<T> {
    by_key: HashMap<String, HashMap<String, Result<T, String>>>,
    len: usize,
    /// Notes whose signature was actually verified.
    verified: u64,
}

impl<T: Clone> NoteMemo<T> {
    fn new() -> Self {
        NoteMemo { by_key: HashMap::new(), len: 0, verified: 0 }
    }

    fn get_or_verify(
        &mut self,
        key: &NodeVerifierKey,
        note: &str,
        verify: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        if let Some(known) = self.by_key.get(key.as_str()).and_then(|notes| notes.get(note)) {
            return known.clone();
        }
        let result = verify();
        self.verified += 1;
        if self.len >= MEMO_CAPACITY {
            self.by_key.clear();
            self.len = 0;
        }
        self.by_key.entry(key.as_str().to_owned()).or_default().insert(note.to_owned(), result.clone());
        self.len += 1;
        result
    }
}

impl BundleVerifier {
    /// A verifier that checks notes with `trusted`, or, without one, with
    /// the key each bundle names (and says so in every verdict).
    pub fn new(trusted: Option<NodeVerifierKey>) -> Self {
        BundleVerifier {
            trusted,
            checkpoints: NoteMemo::new(),
            snapshots: NoteMemo::new(),
            key_entries: HashMap::new(),
        }
    }

    /// A verifier trusting the node key in C2SP verifier-key form (as
    /// `checkpoint::verifier_key` prints it for the license origin).
    pub fn trusting(vkey: &str) -> Result<Self, NodeKeyError> {
        Ok(Self::new(Some(NodeVerifierKey::parse(vkey)?)))
    }

    /// The trusted node key, if any.
    pub fn trusted(&self) -> Option<&NodeVerifierKey> {
        self.trusted.as_ref()
    }

    /// How many signed notes (checkpoints and status snapshots) this
    /// verifier has verified so far; the rest came from its memo.
    pub fn notes_verified(&self) -> u64 {
        self.checkpoints.verified + self.snapshots.verified
    }

    /// Reads and verifies a bundle. `Err` only when the bytes are not a
    /// proof bundle at all; anything wrong inside a bundle is a verdict
    /// naming the check that failed.
    pub fn verify(&mut self, bundle_bytes: &[u8], now: Timestamp) -> Result<Verdict, BundleError> {
        // The borrowing reader for the usual case; where it refuses, the
        // owning one reads again and names the reason (or, should it read
        // what the other did not, verifies that).
        if let Some(bundle) = BundleText::from_json_bytes(bundle_bytes) {
            return Ok(self.verify_parts(&bundle.parts(), now));
        }
        let bundle = ProofBundle::from_json_bytes(bundle_bytes)?;
        Ok(self.verify_bundle(&bundle, now))
    }

    /// Verifies a bundle already read.
    pub fn verify_bundle(&mut self, bundle: &ProofBundle, now: Timestamp) -> Verdict {
        self.verify_parts(&bundle.parts(), now)
    }

    fn verify_parts(&mut self, bundle: &BundleRef<'_>, now: Timestamp) -> Verdict {
        let mut checks = Checks::new();
        let (node_key, basis) = match &self.trusted {
            Some(key) => (Ok(key.clone()), Basis::TrustedKey { key: key.to_string() }),
            None => (
                NodeVerifierKey::parse(bundle.node_key)
                    .map_err(|e| format!("the bundle's node key {:?} cannot be read: {e}", bundle.node_key)),
                Basis::BundleKey { key: bundle.node_key.to_owned() },
            ),
        };
        let (license, signed) = check_signature(bundle.credential.as_bytes(), &mut checks);
        let Some(signed) = signed else {
            return checks.verdict(license, basis);
        };
        check_validity(&signed, now, &mut checks);

        let trusted = self.trusted.is_some();
        let found = node_key.and_then(|key| {
            let checkpoint = self.checkpoints.get_or_verify(&key, bundle.checkpoint, || {
                let head = checkpoint::verify(bundle.checkpoint.as_bytes(), &key.license_origin(), key.key())
                    .map_err(|e| format!("the license-chain checkpoint does not verify with node key {key}: {e}"))?;
                let signer = if trusted {
                    "the trusted node key".to_owned()
                } else {
                    format!("node key {key} taken from the bundle")
                };
                let anchor = format!(
                    "included under the checkpoint at license-chain size {} (root {}), signed by {signer}",
                    head.size, head.root
                );
                Ok(Checkpoint { head, anchor })
            })?;
            Ok((key, checkpoint))
        });
        let (key, Checkpoint { head, anchor }) = match found {
            Ok(found) => found,
            Err(reason) => {
                checks.skip(
                    CheckName::IssuerKey,
                    CheckName::OnChain,
                    "there is no verified checkpoint to prove it under",
                );
                checks.skip(CheckName::Status, CheckName::OnChain, "there is no verified checkpoint to read it at");
                checks.fail(CheckName::OnChain, reason);
                return checks.verdict(license, basis);
            }
        };

        let issuance = included(bundle.issuance, &head, "issuance")
            .and_then(|bytes| read_issuance(bytes, bundle.issuance.proof.index, &signed));
        let key_entry = self.key_entry(bundle.agency_key, &head);
        issuer_key(key_entry, bundle.agency_key.proof.index, &signed, issuance.as_ref().ok(), &mut checks);
        match &issuance {
            Err(reason) => checks.fail(CheckName::OnChain, reason.clone()),
            Ok(issuance) => checks.record(CheckName::OnChain, judge_issuance(issuance, &signed, &anchor)),
        }
        if checks.passed(CheckName::OnChain) {
            let result = self.status(bundle, &key, &head, &signed);
            checks.record(CheckName::Status, result);
        } else {
            checks.skip(CheckName::Status, CheckName::OnChain, "the status of another credential is not this one's");
        }
        checks.verdict(license, basis)
    }

    /// The agency key entry, shown under the checkpoint and read.
    fn key_entry(&mut self, part: &EntryProof, head: &TreeHead) -> Result<KeyEntry, String> {
        let index = part.proof.index;
        let memo = (head.root, index, EntryHash::of_entry(&part.entry));
        // Remembered with its whole proof and used only for the very same
        // proof, so that a verdict never depends on what was verified before.
        if let Some((proof, known)) = self.key_entries.get(&memo) {
            if *proof == part.proof {
                return Ok(known.clone());
            }
        }
        let result = included(part, head, "agency key").and_then(|bytes| read_key_entry(bytes, index));
        if let Ok(entry) = &result {
            if self.key_entries.len() >= MEMO_CAPACITY {
                self.key_entries.clear();
            }
            self.key_entries.insert(memo, (part.proof.clone(), entry.clone()));
        }
        result
    }

    /// The `status` check from the bundle's snapshot and leaf.
    fn status(
        &mut self,
        bundle: &BundleRef<'_>,
        key: &NodeVerifierKey,
        head: &TreeHead,
        signed: &Signed,
    ) -> Result<String, String> {
        let (leaf, proof) = (bundle.leaf, bundle.status_proof);
        let Snapshot { snapshot, as_of } = self.snapshots.get_or_verify(key, bundle.snapshot, || {
            let snapshot = snapshot::verify(bundle.snapshot.as_bytes(), &key.status_origin(), key.key())
                .map_err(|e| format!("the status snapshot does not verify with node key {key}: {e}"))?;
            let as_of = format!(
                "as of the status snapshot at license-chain size {} (made {})",
                snapshot.license_size,
                when(snapshot.made)
            );
            Ok(Snapshot { snapshot, as_of })
        })?;
        if (snapshot.license_size, snapshot.license_root) != (head.size, head.root) {
            return Err(format!(
                "the status snapshot is of license-chain size {} (root {}), not of the checkpoint's size {} (root {})",
                snapshot.license_size, snapshot.license_root, head.size, head.root
            ));
        }
        if proof.size != snapshot.status_size {
            return Err(format!(
                "the status proof is for a tree of {} leaves; the snapshot's has {}",
                proof.size, snapshot.status_size
            ));
        }
        proof
            .verify(&leaf.leaf_hash(), &snapshot.status_root)
            .map_err(|e| format!("the status leaf is not leaf {} of the snapshot's status tree: {e}", proof.index))?;
        let id = signed.identifier().license_id();
        if leaf.license != id {
            return Err(format!("the status leaf is for license {}, not {id}", leaf.license));
        }
        match leaf.status {
            LicenseStatus::Valid => Ok(format!("{} {as_of}", status_text(LicenseStatus::Valid))),
            other => Err(format!("{}; {as_of}", status_failure(other, leaf.changed_at, leaf.reason.as_deref()))),
        }
    }
}

/// The entry's bytes, once its proof shows them at its index under the
/// checkpoint.
fn included<'b>(part: &'b EntryProof, head: &TreeHead, what: &str) -> Result<&'b [u8], String> {
    let proof = &part.proof;
    if proof.size != head.size {
        return Err(format!(
            "the {what} proof is for license-chain size {}, but the checkpoint is at size {}",
            proof.size, head.size
        ));
    }
    proof.verify(&EntryHash::of_entry(&part.entry), &head.root).map_err(|e| {
        format!("the {what} entry is not at license-chain index {} under the checkpoint: {e}", proof.index)
    })?;
    Ok(&part.entry)
}

/// The `issuer_key` check from the bundle's agency key entry at `index`.
fn issuer_key(
    key_entry: Result<KeyEntry, String>,
    index: u64,
    signed: &Signed,
    issuance: Option<&Issuance>,
    checks: &mut Checks,
) {
    let kind = match key_entry.and_then(|entry| judge_key_entry(&entry, index, signed).map(|()| entry.kind)) {
        Ok(kind) => kind,
        Err(reason) => return checks.fail(CheckName::IssuerKey, reason),
    };
    let key = &signed.key_id;
    let issuer = signed.identifier().issuer();
    let Some(issuance) = issuance else {
        return checks.skip(
            CheckName::IssuerKey,
            CheckName::OnChain,
            format!(
                "key {key} is agency {issuer}'s ({kind} at index {index}), but no established issuance gives the index to judge it at"
            ),
        );
    };
    if index >= issuance.index {
        return checks.fail(
            CheckName::IssuerKey,
            format!(
                "key {key} was introduced at license-chain index {index}, not before the issuance at index {}",
                issuance.index
            ),
        );
    }
    if &issuance.author != key {
        return checks.fail(
            CheckName::IssuerKey,
            format!(
                "the issuance at license-chain index {} is signed by key {}, not {key}: nothing shows {key} was active there",
                issuance.index, issuance.author
            ),
        );
    }
    checks.pass(
        CheckName::IssuerKey,
        format!(
            "key {key} is agency {issuer}'s ({kind} at license-chain index {index}) and signed the issuance at index {}, which the chain accepts only from a key active there",
            issuance.index
        ),
    );
}
