//! The `verificationMethod` of a proof: a `did:key` DID URL,
//! `did:key:<multikey>#<multikey>`, which names the Ed25519 key itself.
//!
//! Naming the key in the proof lets a verifier refuse a credential whose
//! proof claims a different key from the one it was asked to trust (the
//! issuing agency's key registered on the license chain) before any
//! signature arithmetic, with that as the reason.

use super::multibase::{parse_public_key_multibase, public_key_multibase, MultibaseError};
use super::text::text_form;
use crate::keys::PublicKey;
use std::fmt;

const DID_KEY: &str = "did:key:";

/// Why a verification method was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationMethodError {
    #[error("verification method must be a did:key DID URL, got {0:?}")]
    NotDidKey(String),
    #[error("did:key verification method needs the fragment #<key> naming the key")]
    MissingFragment,
    #[error("did:key fragment {fragment:?} differs from the key {key:?}")]
    FragmentMismatch { key: String, fragment: String },
    #[error("did:key key: {0}")]
    Key(MultibaseError),
}

/// A `did:key` verification method and the Ed25519 key it names.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationMethod {
    text: String,
    key: PublicKey,
}

impl VerificationMethod {
    /// The `did:key` verification method of `key`.
    pub fn did_key(key: &PublicKey) -> Self {
        let multikey = public_key_multibase(key);
        VerificationMethod { text: format!("{DID_KEY}{multikey}#{multikey}"), key: *key }
    }

    /// Reads `did:key:<multikey>#<multikey>` (the fragment repeating the
    /// key, as the did:key method defines its verification method id).
    pub fn parse(text: &str) -> Result<Self, VerificationMethodError> {
        let rest = text.strip_prefix(DID_KEY).ok_or_else(|| VerificationMethodError::NotDidKey(text.to_owned()))?;
        let (multikey, fragment) = rest.split_once('#').ok_or(VerificationMethodError::MissingFragment)?;
        if multikey != fragment {
            return Err(VerificationMethodError::FragmentMismatch {
                key: multikey.to_owned(),
                fragment: fragment.to_owned(),
            });
        }
        let key = parse_public_key_multibase(multikey).map_err(VerificationMethodError::Key)?;
        Ok(VerificationMethod { text: text.to_owned(), key })
    }

    /// The key this method names.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for VerificationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_form!(VerificationMethod);
