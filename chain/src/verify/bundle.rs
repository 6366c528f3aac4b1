//! The proof bundle: everything an offline verifier needs to check one
//! e-license without asking the node, in one JSON document.
//!
//! ```text
//! { "format": "safebox-license-bundle/1",
//!   "node_key": "<node>/license+<id>+<key>",      C2SP verifier key
//!   "credential": { …the signed e-license… },
//!   "checkpoint": "<signed note>",                 license chain, size N
//!   "issuance":   { "entry": "<base64>", "proof": {index, size: N, hashes} },
//!   "agency_key": { "entry": "<base64>", "proof": {index, size: N, hashes} },
//!   "status":     { "snapshot": "<signed note>", "leaf": {…}, "proof": {index, size, hashes} } }
//! ```
//!
//! Entries travel as their exact canonical bytes (base64), because the
//! Merkle leaf hashes those bytes and nothing else. The bundle's frame (its
//! members, their JSON types, base64 and hash encodings) is what "readable"
//! means; whether its contents are true is what the checks say.

use super::status_tree::StatusLeaf;
use crate::hash::ProofHash;
use crate::ids::LicenseId;
use crate::keys::KeyId;
use crate::proof::InclusionProof;
use base64::prelude::*;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The `format` of the bundles this version writes and reads.
pub const BUNDLE_FORMAT: &str = "safebox-license-bundle/1";

/// A proof bundle, member for member.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofBundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The node key as a C2SP verifier key of the license origin. A
    /// verifier that trusts a key of its own ignores this one.
    pub node_key: String,
    /// The signed credential, as the holder presents it. Kept as the exact
    /// text, so that it is read strictly (duplicate keys refused) and
    /// verified as given.
    pub credential: Box<RawValue>,
    /// The license chain's signed checkpoint note; every entry proof is at
    /// its size.
    pub checkpoint: String,
    /// The `license.issued` or `license.renewed` entry of this license.
    pub issuance: EntryProof,
    /// The `agency.registered` or `agency.key_rotated` entry that introduced
    /// the key that signed the credential.
    pub agency_key: EntryProof,
    /// The license's status in a node-signed snapshot.
    pub status: StatusProof,
}

/// A license-chain entry and its inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryProof {
    /// The entry's canonical bytes, base64.
    #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
    pub entry: Vec<u8>,
    #[serde(deserialize_with = "proof_from_json")]
    pub proof: InclusionProof,
}

/// A status leaf, the snapshot that signs its tree, and its inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusProof {
    /// The signed status snapshot note.
    pub snapshot: String,
    pub leaf: StatusLeaf,
    #[serde(deserialize_with = "proof_from_json")]
    pub proof: InclusionProof,
}

/// Why bundles could not be built, or a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Not JSON, or not shaped as a proof bundle.
    #[error("not a Safebox proof bundle: {0}")]
    Unreadable(String),
    #[error("proof bundle format is {found:?}; this verifier reads {BUNDLE_FORMAT:?}")]
    Format { found: String },
    #[error("the signing key given is not the ledger's node key")]
    WrongNodeKey,
    #[error("the license chain has no checkpoint yet")]
    NoCheckpoint,
    #[error("license {0} is not on the license chain")]
    NotOnChain(LicenseId),
    #[error("key {key}, which signed license {license}, is not an agency key on the license chain")]
    NotAnAgencyKey { key: KeyId, license: LicenseId },
    #[error("reading the license chain: {0}")]
    Storage(String),
    #[error("signing the status snapshot: {0}")]
    Sign(String),
}

/// A bundle as the verifier reads it from bytes: `ProofBundle`'s members,
/// types and checks, but its texts borrowed from the input where JSON lets
/// them be (a string without escapes; the notes, which hold newlines, are
/// unescaped into their own `String`), and the credential as a slice of
/// the input. Reading a bundle this way instead of into `ProofBundle` saves
/// copying the few kilobytes of it that are text; what is read is the same.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BundleText<'a> {
    #[serde(borrow)]
    format: Cow<'a, str>,
    #[serde(borrow)]
    node_key: Cow<'a, str>,
    #[serde(borrow)]
    credential: &'a RawValue,
    #[serde(borrow)]
    checkpoint: Cow<'a, str>,
    issuance: EntryProof,
    agency_key: EntryProof,
    #[serde(borrow)]
    status: StatusText<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusText<'a> {
    #[serde(borrow)]
    snapshot: Cow<'a, str>,
    leaf: StatusLeaf,
    #[serde(deserialize_with = "proof_from_json")]
    proof: InclusionProof,
}

/// A bundle's parts as verification uses them, borrowed from a
/// `ProofBundle` or a `BundleText`.
pub(crate) struct BundleRef<'b> {
    pub node_key: &'b str,
    /// The credential's exact text.
    pub credential: &'b str,
    pub checkpoint: &'b str,
    pub issuance: &'b EntryProof,
    pub agency_key: &'b EntryProof,
    pub snapshot: &'b str,
    pub leaf: &'b StatusLeaf,
    pub status_proof: &'b InclusionProof,
}

impl<'a> BundleText<'a> {
    /// Reads a bundle as [`ProofBundle::from_json_bytes`] does; `None`
    /// where that refuses, and the caller asks it for the reason. The
    /// text is checked to be UTF-8 once, up front, rather than string by
    /// string.
    pub(crate) fn from_json_bytes(bytes: &'a [u8]) -> Option<Self> {
        let bundle: BundleText = serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()?;
        (bundle.format == BUNDLE_FORMAT).then_some(bundle)
    }

    pub(crate) fn parts(&self) -> BundleRef<'_> {
        BundleRef {
            node_key: &self.node_key,
            credential: self.credential.get(),
            checkpoint: &self.checkpoint,
            issuance: &self.issuance,
            agency_key: &self.agency_key,
            snapshot: &self.status.snapshot,
            leaf: &self.status.leaf,
            status_proof: &self.status.proof,
        }
    }
}

impl ProofBundle {
    /// Reads a bundle; `Err` only when the text is not a bundle at all.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let bundle: ProofBundle = serde_json::from_slice(bytes).map_err(|e| BundleError::Unreadable(e.to_string()))?;
        if bundle.format != BUNDLE_FORMAT {
            return Err(BundleError::Format { found: bundle.format });
        }
        Ok(bundle)
    }

    pub(crate) fn parts(&self) -> BundleRef<'_> {
        BundleRef {
            node_key: &self.node_key,
            credential: self.credential.get(),
            checkpoint: &self.checkpoint,
            issuance: &self.issuance,
            agency_key: &self.agency_key,
            snapshot: &self.status.snapshot,
            leaf: &self.status.leaf,
            status_proof: &self.status.proof,
        }
    }

    /// The bundle as compact JSON.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a bundle always serialises")
    }

    /// The bundle as indented JSON, for files people read.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a bundle always serialises")
    }
}

fn to_base64<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&BASE64_STANDARD.encode(bytes))
}

/// Decodes from the text where it lies (no `String` made for it first).
fn from_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    struct Text;
    impl Visitor<'_> for Text {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
            BASE64_STANDARD.decode(text).map_err(|e| E::custom(format!("entry is not base64: {e}")))
        }
    }
    d.deserialize_str(Text)
}

/// Reads an `InclusionProof` exactly as its own `Deserialize` does (the same
/// members, base64 hashes of 32 bytes), but decodes each hash from the
/// borrowed text instead of through a `String`: a bundle holds some forty
/// of them, and their allocations were a tenth of verifying one.
fn proof_from_json<'de, D: Deserializer<'de>>(d: D) -> Result<InclusionProof, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wire {
        index: u64,
        size: u64,
        hashes: Vec<Hash64>,
    }
    let wire = Wire::deserialize(d)?;
    Ok(InclusionProof { index: wire.index, size: wire.size, hashes: wire.hashes.into_iter().map(|h| h.0).collect() })
}

struct Hash64(ProofHash);

impl<'de> Deserialize<'de> for Hash64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Hash64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 hash of 32 bytes")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Hash64, E> {
                // The same reading as `ProofHash::from_base64`, and its
                // error, when the text is not 32 bytes of base64.
                let mut bytes = [0u8; 33];
                match BASE64_STANDARD.decode_slice(text, &mut bytes) {
                    Ok(32) => Ok(Hash64(ProofHash(bytes[..32].try_into().expect("32 bytes")))),
                    _ => ProofHash::from_base64(text).map(Hash64).map_err(E::custom),
                }
            }
        }
        d.deserialize_str(Text)
    }
}
