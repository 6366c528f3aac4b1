//! Entries: what an author signs, how it is serialised (RFC 8785), and how
//! stored bytes are read back.
//!
//! Wire and stored form, one JSON object:
//! `{"author":…,"body":{…},"chain":…,"kind":…,"sig":…,"time":…}`.
//! The signature covers the JCS bytes of the same object without `sig`.
//! The stored bytes are the JCS bytes with `sig`; they are what the Merkle
//! leaf hashes, so anyone holding them can recompute the tree.

use crate::hash::EntryHash;
use crate::keys::{self, KeyError, KeyId, PublicKey, Signature};
use crate::payload::Payload;
use crate::time::Timestamp;
use crate::ChainId;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Largest canonical entry, in bytes. C2SP entry bundles prefix each entry
/// with a 16-bit length, so nothing larger could be served as a tile.
pub const MAX_ENTRY_BYTES: usize = 65_535;

/// Largest integer an entry may hold. RFC 8785 writes every number as an
/// IEEE 754 double (ES6 formatting), so a larger integer would be signed,
/// hashed and stored as a nearby other number than the one the node
/// applied, and replay of the stored bytes would disagree with the state
/// (found by the `entry` fuzz target: a `valid_from` of 179544961111101615
/// was stored as 179544961111101600).
pub const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// An entry before it is signed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub chain: ChainId,
    pub time: Timestamp,
    pub author: KeyId,
    pub payload: Payload,
}

/// An entry with its author's signature.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedEntry {
    pub entry: Entry,
    pub signature: Signature,
}

/// Why bytes or a value are not a well-formed entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry is not valid JSON: {0}")]
    Json(String),
    #[error("entry is malformed: {0}")]
    Shape(String),
    #[error("entry is {0} bytes; the limit is {MAX_ENTRY_BYTES}")]
    TooLarge(usize),
    #[error("stored entry bytes are not in canonical (RFC 8785) form")]
    NotCanonical,
    #[error("kind {kind} may not stand on the {chain} chain")]
    WrongChain { kind: &'static str, chain: ChainId },
    #[error("author key id {0} does not match the key that signed")]
    AuthorMismatch(KeyId),
    #[error("signature: {0}")]
    Signature(#[from] KeyError),
    #[error("entry holds a number beyond 2^53 - 1, which its canonical (RFC 8785) form cannot write exactly")]
    InexactNumber,
}

/// The wire object, field for field; unknown fields are refused so that a
/// signer cannot believe it signed something the node then drops.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    chain: ChainId,
    kind: String,
    body: Value,
    author: KeyId,
    time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    sig: Option<Signature>,
}

impl WireEntry {
    /// Whether canonical JSON writes every number of the entry exactly.
    fn numbers_exact(&self) -> bool {
        fn exact(value: &Value) -> bool {
            match value {
                Value::Number(n) => n.as_u64().is_some_and(|n| n <= MAX_EXACT_INTEGER),
                Value::Array(items) => items.iter().all(exact),
                Value::Object(members) => members.values().all(exact),
                Value::Null | Value::Bool(_) | Value::String(_) => true,
            }
        }
        self.time.0 <= MAX_EXACT_INTEGER && exact(&self.body)
    }
}

fn canonical(value: &impl Serialize) -> Vec<u8> {
    // Serialising our own types cannot fail: every map key is a string and
    // no float is NaN or infinite.
    crate::canonical::to_vec(value).expect("entry types always serialise")
}

impl Entry {
    /// Builds an entry stamped now.
    pub fn new(chain: ChainId, author: &PublicKey, payload: Payload) -> Self {
        Entry { chain, time: Timestamp::now(), author: author.id(), payload }
    }

    fn wire(&self, sig: Option<Signature>) -> WireEntry {
        let tagged = serde_json::to_value(&self.payload).expect("payloads always serialise");
        let (kind, body) = match tagged {
            Value::Object(mut map) => (
                map.remove("kind").and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_default(),
                map.remove("body").unwrap_or(Value::Null),
            ),
            _ => unreachable!("payload serialises as an object"),
        };
        WireEntry { chain: self.chain, kind, body, author: self.author.clone(), time: self.time, sig }
    }

    /// The bytes the author signs: JCS of the entry without `sig`.
    pub fn signing_bytes(&self) -> Vec<u8> {
        canonical(&self.wire(None))
    }

    /// Signs with `key`, whose id must be the entry's author.
    pub fn sign(self, key: &SigningKey) -> SignedEntry {
        let signature = keys::sign(key, &self.signing_bytes());
        SignedEntry { entry: self, signature }
    }
}

impl SignedEntry {
    /// The stored form: JCS of the whole entry, signature included.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical(&self.entry.wire(Some(self.signature)))
    }

    /// Reads an entry from any JSON text (a client's submission).
    pub fn from_json(text: &[u8]) -> Result<Self, EntryError> {
        if text.len() > 4 * MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(text.len()));
        }
        let wire: WireEntry = serde_json::from_slice(text).map_err(|e| EntryError::Json(e.to_string()))?;
        Self::from_wire(wire)
    }

    /// Reads stored bytes, insisting that they are exactly canonical, so that
    /// the leaf hash of what is read is the leaf hash of what was signed.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, EntryError> {
        Self::from_canonical_bytes_with_signing(bytes).map(|(entry, _)| entry)
    }

    /// As [`Self::from_canonical_bytes`], also returning the bytes the
    /// signature covers (replay needs both, and computing them is the
    /// canonical check).
    pub fn from_canonical_bytes_with_signing(bytes: &[u8]) -> Result<(Self, Vec<u8>), EntryError> {
        let entry = Self::from_json(bytes)?;
        let signing = entry.entry.signing_bytes();
        if with_signature(&signing, &entry.signature) != bytes {
            return Err(EntryError::NotCanonical);
        }
        Ok((entry, signing))
    }

    fn from_wire(wire: WireEntry) -> Result<Self, EntryError> {
        if !wire.numbers_exact() {
            return Err(EntryError::InexactNumber);
        }
        let signature = wire.sig.ok_or_else(|| EntryError::Shape("missing field `sig`".into()))?;
        let mut tagged = Map::new();
        tagged.insert("kind".into(), Value::String(wire.kind));
        tagged.insert("body".into(), wire.body);
        let payload: Payload =
            serde_json::from_value(Value::Object(tagged)).map_err(|e| EntryError::Shape(e.to_string()))?;
        if !payload.allowed_on(wire.chain) {
            return Err(EntryError::WrongChain { kind: payload.kind(), chain: wire.chain });
        }
        let entry = Entry { chain: wire.chain, time: wire.time, author: wire.author, payload };
        Ok(SignedEntry { entry, signature })
    }

    /// Checks the signature against `key`, which must be the named author.
    pub fn verify(&self, key: &PublicKey) -> Result<(), EntryError> {
        if key.id() != self.entry.author {
            return Err(EntryError::AuthorMismatch(self.entry.author.clone()));
        }
        key.verify(&self.entry.signing_bytes(), &self.signature)?;
        Ok(())
    }
}

/// The canonical bytes of a signed entry, from the bytes its signature
/// covers. Serialising twice is a fifth of an append's cost, and the result
/// is fixed by JCS: the members sort as `author, body, chain, kind, sig,
/// time`, so `sig` goes right before the top-level `time`, which is the last
/// member and a bare integer (no `,"time":` can follow it). A base64 string
/// needs no escaping. `canonical_bytes` computes the same thing the long
/// way; a test holds them equal.
fn with_signature(signing: &[u8], signature: &Signature) -> Vec<u8> {
    const TIME: &[u8] = b",\"time\":";
    let at = signing.windows(TIME.len()).rposition(|w| w == TIME).expect("signing bytes end with the time member");
    let sig = base64::prelude::BASE64_STANDARD.encode(signature.0);
    let mut out = Vec::with_capacity(signing.len() + sig.len() + 9);
    out.extend_from_slice(&signing[..at]);
    out.extend_from_slice(b",\"sig\":\"");
    out.extend_from_slice(sig.as_bytes());
    out.push(b'"');
    out.extend_from_slice(&signing[at..]);
    out
}

/// An entry ready for the log: parsed, canonical bytes and leaf hash
/// computed, signature checked. Building one is the expensive part of an
/// append, and it happens on the caller's thread, so concurrent callers use
/// every core while the sequencer does only ordering and I/O.
#[derive(Clone, Debug)]
pub struct VerifiedEntry {
    pub entry: SignedEntry,
    pub bytes: Vec<u8>,
    pub leaf: EntryHash,
}

impl VerifiedEntry {
    /// Verifies `entry` against the author's key and prepares it.
    pub fn new(entry: SignedEntry, author_key: &PublicKey) -> Result<Self, EntryError> {
        if author_key.id() != entry.entry.author {
            return Err(EntryError::AuthorMismatch(entry.entry.author.clone()));
        }
        // The wire form once: checked, then its canonical bytes signed over
        // (what `signing_bytes` computes).
        let wire = entry.entry.wire(None);
        if !wire.numbers_exact() {
            return Err(EntryError::InexactNumber);
        }
        let signing = canonical(&wire);
        author_key.verify(&signing, &entry.signature)?;
        let bytes = with_signature(&signing, &entry.signature);
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let leaf = EntryHash::of_entry(&bytes);
        Ok(VerifiedEntry { entry, bytes, leaf })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{Genesis, LicenseStatusChange};
    use crate::LicenseId;

    #[test]
    fn the_short_way_to_canonical_bytes_equals_the_long_way() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let public = keys::public_key(&key);
        let payloads = [
            Payload::Genesis(Genesis { node_name: "n".into(), root_key: public, node_key: public }),
            Payload::LicenseRevoked(LicenseStatusChange {
                license: LicenseId::parse("X-1").unwrap(),
                reason: "a \"quoted\",\"time\": reason, 中文".into(),
            }),
        ];
        for (i, payload) in payloads.into_iter().enumerate() {
            let mut entry = Entry::new(ChainId::License, &public, payload);
            entry.time = Timestamp(i as u64 * 1_700_000_000_000);
            let signed = entry.sign(&key);
            let short = with_signature(&signed.entry.signing_bytes(), &signed.signature);
            assert_eq!(String::from_utf8(short).unwrap(), String::from_utf8(signed.canonical_bytes()).unwrap());
        }
    }
}
