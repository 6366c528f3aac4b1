//! Status snapshots: a C2SP signed note, signed by the node key under the
//! origin `<node name>/license-status`, stating the status of the licenses
//! exported together as of one license-chain checkpoint.
//!
//! A checkpoint proves what the license chain holds, but a license's status
//! is the fold of all its entries, which no single inclusion proof shows. The
//! snapshot is the node's signed word for that fold, tied to the checkpoint
//! it was read at, so an offline verifier can say "as of license-chain size
//! N". The text:
//!
//! ```text
//! <node name>/license-status
//! license <license-chain size> <license-chain root, base64>
//! status <status tree size> <status tree root, base64>
//! made <unix milliseconds>
//! ```

use crate::checkpoint::{note_key_id, CheckpointError, NoteSigner, StrictNoteVerifier};
use crate::hash::RootHash;
use crate::keys::{public_key, PublicKey};
use crate::time::Timestamp;
use ed25519_dalek::SigningKey;
use signed_note::{Note, VerifierList};

/// The last part of a status snapshot's origin.
pub const STATUS_ORIGIN_SUFFIX: &str = "license-status";

/// The origin of `node_name`'s status snapshots.
pub fn origin(node_name: &str) -> String {
    format!("{node_name}/{STATUS_ORIGIN_SUFFIX}")
}

/// What a status snapshot states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSnapshot {
    pub origin: String,
    /// The license-chain checkpoint the statuses were read at.
    pub license_size: u64,
    pub license_root: RootHash,
    /// The tree of status leaves.
    pub status_size: u64,
    pub status_root: RootHash,
    /// When the node made it.
    pub made: Timestamp,
}

impl StatusSnapshot {
    /// The note text.
    pub fn text(&self) -> String {
        format!(
            "{}\nlicense {} {}\nstatus {} {}\nmade {}\n",
            self.origin, self.license_size, self.license_root, self.status_size, self.status_root, self.made.0
        )
    }

    /// Reads the note text; only the exact spelling `text` writes is
    /// accepted, so a snapshot has one form.
    pub fn parse(text: &[u8]) -> Result<Self, CheckpointError> {
        let text = std::str::from_utf8(text).map_err(|_| CheckpointError::Malformed)?;
        let lines: Vec<&str> = text.strip_suffix('\n').ok_or(CheckpointError::Malformed)?.split('\n').collect();
        let [origin, license, status, made] = lines[..] else {
            return Err(CheckpointError::Malformed);
        };
        let (license_size, license_root) = sized_root(license, "license")?;
        let (status_size, status_root) = sized_root(status, "status")?;
        let made = made.strip_prefix("made ").and_then(|m| m.parse().ok()).ok_or(CheckpointError::Malformed)?;
        let snapshot = StatusSnapshot {
            origin: origin.to_owned(),
            license_size,
            license_root,
            status_size,
            status_root,
            made: Timestamp(made),
        };
        if snapshot.text() != text {
            return Err(CheckpointError::Malformed);
        }
        Ok(snapshot)
    }
}

fn sized_root(line: &str, label: &str) -> Result<(u64, RootHash), CheckpointError> {
    let rest = line.strip_prefix(label).and_then(|r| r.strip_prefix(' ')).ok_or(CheckpointError::Malformed)?;
    let (size, root) = rest.split_once(' ').ok_or(CheckpointError::Malformed)?;
    let size = size.parse().map_err(|_| CheckpointError::Malformed)?;
    let root = RootHash::from_base64(root).map_err(|_| CheckpointError::Malformed)?;
    Ok((size, root))
}

/// Signs a snapshot with the node key; returns the whole note.
pub fn sign(snapshot: &StatusSnapshot, node_key: &SigningKey) -> Result<Vec<u8>, CheckpointError> {
    if !signed_note::is_key_name_valid(&snapshot.origin) {
        return Err(CheckpointError::BadOrigin(snapshot.origin.clone()));
    }
    let mut note = Note::new(snapshot.text().as_bytes(), &[]).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let id = note_key_id(&snapshot.origin, &public_key(node_key));
    let signer = NoteSigner { name: &snapshot.origin, id, key: node_key };
    note.add_sigs(&[&signer]).map_err(|e| CheckpointError::Note(e.to_string()))?;
    Ok(note.to_bytes())
}

/// Verifies a snapshot note strictly against the node key for the expected
/// origin, and returns what it states.
pub fn verify(note: &[u8], expected_origin: &str, node_key: &PublicKey) -> Result<StatusSnapshot, CheckpointError> {
    let parsed = Note::from_bytes(note).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let verifier = StrictNoteVerifier {
        name: expected_origin.to_owned(),
        id: note_key_id(expected_origin, node_key),
        key: *node_key,
    };
    parsed.verify(&VerifierList::new(vec![Box::new(verifier)])).map_err(|e| CheckpointError::Note(e.to_string()))?;
    let snapshot = StatusSnapshot::parse(parsed.text())?;
    if snapshot.origin != expected_origin {
        return Err(CheckpointError::WrongOrigin { found: snapshot.origin, expected: expected_origin.to_owned() });
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_signs_verifies_and_refuses_other_keys_and_spellings() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let snapshot = StatusSnapshot {
            origin: origin("n.example"),
            license_size: 12,
            license_root: RootHash([1; 32]),
            status_size: 3,
            status_root: RootHash([2; 32]),
            made: Timestamp(1_700_000_000_000),
        };
        let note = sign(&snapshot, &key).unwrap();
        assert_eq!(verify(&note, "n.example/license-status", &public_key(&key)), Ok(snapshot.clone()));
        let other = public_key(&SigningKey::from_bytes(&[5; 32]));
        assert!(verify(&note, "n.example/license-status", &other).is_err());
        assert!(verify(&note, "m.example/license-status", &public_key(&key)).is_err());
        let respelled = snapshot.text().replace("license 12", "license 012");
        assert_eq!(StatusSnapshot::parse(respelled.as_bytes()), Err(CheckpointError::Malformed));
    }
}
