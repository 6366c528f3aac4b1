//! Fuzzes checkpoints and status snapshots: C2SP signed notes as a
//! verifier receives them (`/checkpoint`, proof bundles), and the C2SP
//! verifier keys a verifier is given.
//!
//! The first byte picks what the rest is:
//! - 0: a whole note, read as a checkpoint and as a status snapshot, with
//!   a key that did not sign it (nothing verifies; nothing panics), and a
//!   verifier key text (one spelling);
//! - 1: a checkpoint body, which this target signs with its own node key:
//!   the note verifies exactly when the body is a checkpoint of the
//!   expected origin, states what the body says, is refused with another
//!   key, and any changed byte of its text makes it fail;
//! - 2: the same for a status snapshot body (one spelling: a snapshot that
//!   verifies is written back as the very text that was signed).
#![no_main]

use ed25519_dalek::{Signer as _, SigningKey};
use libfuzzer_sys::fuzz_target;
use safebox_chain::checkpoint::{self, TreeHead};
use safebox_chain::keys::{self, PublicKey};
use safebox_chain::verify::{snapshot, NodeVerifierKey, StatusSnapshot};
use signed_note::Note;

const NODE: &str = "fuzz.safebox";

fn node_key() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

/// Signs note texts as the node does (C2SP signed-note Ed25519).
struct NodeSigner {
    name: String,
    key: SigningKey,
}

impl signed_note::Signer for NodeSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        checkpoint::note_key_id(&self.name, &keys::public_key(&self.key))
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// The note of `text` signed under `name`, when `text` can be a note text.
fn sign(text: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut note = Note::new(text, &[]).ok()?;
    let signer = NodeSigner { name: name.to_owned(), key: node_key() };
    note.add_sigs(&[&signer]).ok()?;
    Some(note.to_bytes())
}

/// Every one-byte change of the note's text makes `verify` fail.
fn changed_text_fails(note: &[u8], text_len: usize, at_hint: usize, verify: impl Fn(&[u8]) -> bool) {
    let at = at_hint % text_len;
    for flip in [0x01u8, 0x20, 0x80] {
        let mut changed = note.to_vec();
        changed[at] ^= flip;
        assert!(!verify(&changed), "a note with byte {at} of its text changed still verifies");
    }
}

fn other_key() -> PublicKey {
    keys::public_key(&SigningKey::from_bytes(&[0x43; 32]))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if rest.is_empty() {
        return;
    }
    let public = keys::public_key(&node_key());
    let license_origin = checkpoint::origin(NODE, safebox_chain::ChainId::License);
    let status_origin = snapshot::origin(NODE);
    match mode % 3 {
        0 => {
            assert!(checkpoint::verify(rest, &license_origin, &public).is_err(), "an unsigned note verifies");
            assert!(snapshot::verify(rest, &status_origin, &public).is_err(), "an unsigned snapshot verifies");
            if let Ok(parsed) = StatusSnapshot::parse(rest) {
                assert_eq!(parsed.text().as_bytes(), rest, "a snapshot has one spelling");
            }
            if let Ok(note) = Note::from_bytes(rest) {
                assert_eq!(Note::from_bytes(&note.to_bytes()).expect("a note's bytes read back"), note);
            }
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(key) = NodeVerifierKey::parse(text) {
                    assert_eq!(key.as_str(), text, "a verifier key has one spelling");
                    assert_eq!(NodeVerifierKey::new(key.node_name(), *key.key()).as_str(), text);
                }
            }
        }
        1 => {
            let Some(note) = sign(rest, &license_origin) else { return };
            let body = tlog_tiles::Checkpoint::from_bytes(rest).ok().filter(|c| c.origin() == license_origin);
            let verified = checkpoint::verify(&note, &license_origin, &public);
            match (&body, &verified) {
                (Some(body), Ok(head)) => {
                    let stated =
                        TreeHead { origin: body.origin().to_owned(), size: body.size(), root: (*body.hash()).into() };
                    assert_eq!(head, &stated, "the head is what the body says");
                    let again = checkpoint::sign(head, &node_key()).expect("a verified head signs again");
                    assert_eq!(checkpoint::verify(&again.note, &license_origin, &public).as_ref(), Ok(head));
                }
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("a well-formed checkpoint signed by the node is refused: {e}"),
                (None, Ok(head)) => panic!("a body that is not a checkpoint of this origin verified as {head:?}"),
            }
            if verified.is_ok() {
                assert!(checkpoint::verify(&note, &license_origin, &other_key()).is_err(), "another key verifies");
                changed_text_fails(&note, rest.len(), data.len(), |n| {
                    checkpoint::verify(n, &license_origin, &public).is_ok()
                });
            }
        }
        _ => {
            let Some(note) = sign(rest, &status_origin) else { return };
            let parsed = StatusSnapshot::parse(rest).ok().filter(|s| s.origin == status_origin);
            let verified = snapshot::verify(&note, &status_origin, &public);
            match (&parsed, &verified) {
                (Some(parsed), Ok(snapshot)) => {
                    assert_eq!(parsed, snapshot);
                    assert_eq!(snapshot.text().as_bytes(), rest, "one spelling");
                    let again = snapshot::sign(snapshot, &node_key()).expect("a verified snapshot signs again");
                    assert_eq!(again, note, "Ed25519 is deterministic: the same text, the same note");
                }
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("a well-formed snapshot signed by the node is refused: {e}"),
                (None, Ok(s)) => panic!("a text that is not a snapshot of this origin verified as {s:?}"),
            }
            if verified.is_ok() {
                assert!(snapshot::verify(&note, &status_origin, &other_key()).is_err(), "another key verifies");
                changed_text_fails(&note, rest.len(), data.len(), |n| {
                    snapshot::verify(n, &status_origin, &public).is_ok()
                });
            }
        }
    }
});
