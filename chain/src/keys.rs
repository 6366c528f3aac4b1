//! Ed25519 public keys, key ids and signatures, with strict verification.
//!
//! Verification is always `verify_strict`: it rejects small-order keys and R
//! values, non-canonical encodings and S >= L. Ingest and replay use this one
//! function, so an auditor accepts exactly the entries the node accepted.
//! (Batch verification is deliberately not used. ed25519-dalek's batch
//! checks one random combination of the equations, with 128-bit
//! coefficients: an equation that is off by a point of order 2, which
//! `verify_strict` refuses, vanishes from the sum whenever its coefficient
//! is even, so a signing author succeeds one time in two. No random
//! combination does better, since the small-order points form a group of
//! 8; checking that each R has no small-order part costs about as much as
//! verifying it (Chalkias, Garillot and Nikolaenko, "Taming the many
//! EdDSAs", 2020). A ledger whose ingest and replay disagree is worse than
//! a slower one.)

use base64::prelude::*;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex};

/// An Ed25519 public key, printed as standard base64 of its 32 bytes.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey(pub VerifyingKey);

/// A short, stable name of a public key: hex of the first 16 bytes of
/// SHA-256(public key). Entries name their author by it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

/// A 64-byte Ed25519 signature, printed as standard base64.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

/// Why a key, key id or signature could not be read or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a 32-byte base64 Ed25519 public key")]
    BadPublicKey,
    #[error("not a 32-hex-digit key id")]
    BadKeyId,
    #[error("not a 64-byte base64 Ed25519 signature")]
    BadSignature,
    #[error("signature does not verify")]
    SignatureInvalid,
}

/// Decompressed keys by their encoding. Decompressing a point costs a
/// field square root (about a quarter of a verification), and the same few
/// agency and applicant keys are read from state for every entry they sign:
/// at ingest, in the sequencer and in replay. Memoising the pure function
/// `bytes -> point` removes that from the hot paths. Bounded: cleared when
/// full, so a flood of distinct keys costs only the decompression.
static DECOMPRESSED: LazyLock<Mutex<HashMap<[u8; 32], VerifyingKey>>> = LazyLock::new(Default::default);
const DECOMPRESSED_CAPACITY: usize = 4096;

impl PublicKey {
    /// Reads 32 raw bytes; refuses encodings that are not a curve point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadPublicKey)?;
        if let Some(key) = DECOMPRESSED.lock().ok().and_then(|cache| cache.get(&array).copied()) {
            return Ok(PublicKey(key));
        }
        let key = VerifyingKey::from_bytes(&array).map_err(|_| KeyError::BadPublicKey)?;
        if let Ok(mut cache) = DECOMPRESSED.lock() {
            if cache.len() >= DECOMPRESSED_CAPACITY {
                cache.clear();
            }
            cache.insert(array, key);
        }
        Ok(PublicKey(key))
    }

    /// Reads the base64 form.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = BASE64_STANDARD.decode(text).map_err(|_| KeyError::BadPublicKey)?;
        Self::from_bytes(&bytes)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// This key's id.
    pub fn id(&self) -> KeyId {
        KeyId::of(self)
    }

    /// Strict Ed25519 verification (see the module comment).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(message, &sig).map_err(|_| KeyError::SignatureInvalid)
    }
}

impl KeyId {
    /// The id of a public key.
    pub fn of(key: &PublicKey) -> Self {
        let digest = Sha256::digest(key.to_bytes());
        KeyId(hex::encode(&digest[..16]))
    }

    /// Reads and checks the text form.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(KeyId(text.to_owned()))
        } else {
            Err(KeyError::BadKeyId)
        }
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Signature {
    /// Reads 64 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        bytes.try_into().map(Signature).map_err(|_| KeyError::BadSignature)
    }
}

/// Signs with an Ed25519 key (the node's, the root authority's, an agency's
/// or an applicant's).
pub fn sign(key: &SigningKey, message: &[u8]) -> Signature {
    Signature(key.sign(message).to_bytes())
}

/// The public half of a signing key.
pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifying_key())
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE64_STANDARD.encode(self.to_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", BASE64_STANDARD.encode(self.0))
    }
}

crate::text_serde::serde_via_text!(PublicKey, PublicKey::from_base64);

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64_STANDARD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = BASE64_STANDARD.decode(text).map_err(|_| de::Error::custom(KeyError::BadSignature))?;
        Signature::from_bytes(&bytes).map_err(de::Error::custom)
    }
}
