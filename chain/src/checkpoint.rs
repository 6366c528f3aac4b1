//! Checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed note,
//! signed by the node key under the chain's origin (`<node>/license`,
//! `<node>/service`). Parsing and note framing come from the `tlog_tiles`
//! and `signed_note` crates; only the verifier is ours, because the crate's
//! `StandardVerifier` uses non-strict Ed25519 and every signature in this
//! system is checked with `verify_strict` (see `keys`).

use crate::hash::RootHash;
use crate::keys::{PublicKey, Signature};
use crate::ChainId;
use ed25519_dalek::SigningKey;
use signed_note::{Note, Verifier, VerifierList};

/// A tree head: which log, how many entries, what root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeHead {
    pub origin: String,
    pub size: u64,
    pub root: RootHash,
}

/// A checkpoint note as served, with the tree head it states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub head: TreeHead,
    /// The whole signed note, exactly as served at `/checkpoint`.
    pub note: Vec<u8>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("origin {0:?} is not a valid signed-note key name")]
    BadOrigin(String),
    #[error("signed note: {0}")]
    Note(String),
    #[error("checkpoint body is malformed")]
    Malformed,
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    WrongOrigin { found: String, expected: String },
}

/// The origin line of a chain's checkpoints.
pub fn origin(node_name: &str, chain: ChainId) -> String {
    format!("{node_name}/{chain}")
}

/// The signed-note key id of the node key under `origin` (C2SP
/// signed-note: SHA-256(name || "\n" || 0x01 || key)[:4]).
pub fn note_key_id(origin: &str, key: &PublicKey) -> u32 {
    signed_note::key_id(origin, &note_key_bytes(key))
}

/// The verifier key line (`name+id+base64`) that tlog clients configure.
pub fn verifier_key(origin: &str, key: &PublicKey) -> String {
    signed_note::new_ed25519_verifier_key(origin, &key.0)
}

fn note_key_bytes(key: &PublicKey) -> Vec<u8> {
    let mut bytes = vec![0x01];
    bytes.extend_from_slice(&key.to_bytes());
    bytes
}

/// Signs a note's text with the node key under `name` (also the status
/// snapshots of `verify::snapshot`).
pub(crate) struct NoteSigner<'a> {
    pub(crate) name: &'a str,
    pub(crate) id: u32,
    pub(crate) key: &'a SigningKey,
}

impl signed_note::Signer for NoteSigner<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(crate::keys::sign(self.key, msg).0.to_vec())
    }
}

/// Verifies a note signature strictly (also the status snapshots of
/// `verify::snapshot`).
pub(crate) struct StrictNoteVerifier {
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) key: PublicKey,
}

impl Verifier for StrictNoteVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        Signature::from_bytes(sig).is_ok_and(|sig| self.key.verify(msg, &sig).is_ok())
    }
}

/// Signs a checkpoint for `head` with the node key.
pub fn sign(head: &TreeHead, node_key: &SigningKey) -> Result<SignedCheckpoint, CheckpointError> {
    if !signed_note::is_key_name_valid(&head.origin) {
        return Err(CheckpointError::BadOrigin(head.origin.clone()));
    }
    let body = tlog_tiles::Checkpoint::new(&head.origin, head.size, head.root.into(), "")
        .map_err(|_| CheckpointError::Malformed)?;
    let mut note = Note::new(&body.to_bytes(), &[]).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let public = crate::keys::public_key(node_key);
    let signer = NoteSigner { name: &head.origin, id: note_key_id(&head.origin, &public), key: node_key };
    note.add_sigs(&[&signer]).map_err(|e| CheckpointError::Note(e.to_string()))?;
    Ok(SignedCheckpoint { head: head.clone(), note: note.to_bytes() })
}

/// Verifies a checkpoint note against the node key, for the expected origin,
/// and returns the tree head it states.
pub fn verify(note: &[u8], expected_origin: &str, node_key: &PublicKey) -> Result<TreeHead, CheckpointError> {
    let parsed = Note::from_bytes(note).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let verifier = StrictNoteVerifier {
        name: expected_origin.to_owned(),
        id: note_key_id(expected_origin, node_key),
        key: *node_key,
    };
    let list = VerifierList::new(vec![Box::new(verifier)]);
    parsed.verify(&list).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let body = tlog_tiles::Checkpoint::from_bytes(parsed.text()).map_err(|_| CheckpointError::Malformed)?;
    if body.origin() != expected_origin {
        return Err(CheckpointError::WrongOrigin {
            found: body.origin().to_owned(),
            expected: expected_origin.to_owned(),
        });
    }
    Ok(TreeHead { origin: body.origin().to_owned(), size: body.size(), root: (*body.hash()).into() })
}
