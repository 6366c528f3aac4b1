//! The node key an offline verifier trusts, in the form tlog clients
//! configure: the C2SP signed-note verifier key of the license chain's
//! origin, `<node name>/license+<key id>+<base64(0x01 ‖ key)>`, exactly as
//! `checkpoint::verifier_key` prints it. The node name in it also gives
//! the status snapshots' origin.

use crate::checkpoint::{self, note_key_id};
use crate::keys::PublicKey;
use crate::ChainId;
use base64::prelude::*;
use std::fmt;

/// Why a verifier key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeKeyError {
    #[error("a verifier key is NAME+ID+KEY (ID 8 hex digits, KEY base64 of 0x01 and 32 bytes)")]
    Format,
    #[error("verifier key name {0:?} must be the license chain's origin, <node name>/license")]
    NotLicenseOrigin(String),
    #[error("verifier key id does not match its name and key")]
    Id,
    #[error("verifier key is not an Ed25519 public key")]
    Key,
}

/// A node's public key with the node's name.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeVerifierKey {
    node_name: String,
    key: PublicKey,
    /// The text form, computed once: verifiers use it as a memo key.
    text: String,
}

impl NodeVerifierKey {
    /// The verifier key of `key` for the node named `node_name`.
    pub fn new(node_name: &str, key: PublicKey) -> Self {
        let text = checkpoint::verifier_key(&checkpoint::origin(node_name, ChainId::License), &key);
        NodeVerifierKey { node_name: node_name.to_owned(), key, text }
    }

    /// Reads the text form; only the exact spelling `Display` writes.
    pub fn parse(text: &str) -> Result<Self, NodeKeyError> {
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NodeKeyError::Format);
        };
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || !signed_note::is_key_name_valid(name) {
            return Err(NodeKeyError::Format);
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| NodeKeyError::Format)?;
        let bytes = BASE64_STANDARD.decode(key).map_err(|_| NodeKeyError::Format)?;
        let [0x01, key @ ..] = &bytes[..] else {
            return Err(NodeKeyError::Key);
        };
        let key = PublicKey::from_bytes(key).map_err(|_| NodeKeyError::Key)?;
        let node_name = name
            .strip_suffix(&format!("/{}", ChainId::License))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| NodeKeyError::NotLicenseOrigin(name.to_owned()))?;
        if id != note_key_id(name, &key) {
            return Err(NodeKeyError::Id);
        }
        let parsed = NodeVerifierKey::new(node_name, key);
        if parsed.text != text {
            return Err(NodeKeyError::Format);
        }
        Ok(parsed)
    }

    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The license chain's checkpoint origin.
    pub fn license_origin(&self) -> String {
        checkpoint::origin(&self.node_name, ChainId::License)
    }

    /// The status snapshots' origin.
    pub fn status_origin(&self) -> String {
        super::snapshot::origin(&self.node_name)
    }
}

impl fmt::Display for NodeVerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for NodeVerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeVerifierKey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    #[test]
    fn the_printed_verifier_key_reads_back_and_changes_are_refused() {
        let key = crate::keys::public_key(&SigningKey::from_bytes(&[6; 32]));
        let text = checkpoint::verifier_key("n.example/license", &key);
        let parsed = NodeVerifierKey::parse(&text).unwrap();
        assert_eq!(parsed.node_name(), "n.example");
        assert_eq!(parsed.key(), &key);
        assert_eq!(parsed.status_origin(), "n.example/license-status");
        let service = checkpoint::verifier_key("n.example/service", &key);
        assert!(matches!(NodeVerifierKey::parse(&service), Err(NodeKeyError::NotLicenseOrigin(_))));
        let renamed = text.replacen("n.example", "m.example", 1);
        assert_eq!(NodeVerifierKey::parse(&renamed), Err(NodeKeyError::Id));
        assert_eq!(NodeVerifierKey::parse("nonsense"), Err(NodeKeyError::Format));
    }
}
