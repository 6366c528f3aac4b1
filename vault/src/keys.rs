//! The key hierarchy: the node's master key wraps each box's data key and
//! secret; the data key seals the box's documents, metadata and applicant
//! signing key; the secret keys the commitments and document ids.
//!
//! Box record, the one row per box in `vault.boxes` (key: box id):
//!
//! | bytes | live box (kind 1)                                                   |
//! |-------|---------------------------------------------------------------------|
//! | 1     | kind = 1                                                            |
//! | 8     | id of the master key that wraps the keys                            |
//! | 104   | XChaCha20-Poly1305 nonce (24) + sealed data key ‖ box secret (64+16) |
//! | 72    | nonce (24) + applicant Ed25519 seed sealed under the data key (32+16) |
//! | 32    | applicant public key                                                |
//! | 8     | created, ms since the Unix epoch (u64 BE)                           |
//!
//! An erased box keeps only `2 ‖ erased at (u64 BE)`: the box id stays
//! known (so callers get `Erased`, not `NoSuchBox`), every key is gone.
//!
//! Every sealed value's associated data names what it is and the box it
//! belongs to, so no record can be moved to another box or role.

use crate::error::VaultError;
use crate::ids::{fixed_bytes, BoxId};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::rngs::OsRng;
use rand::RngCore;
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of an XChaCha20-Poly1305 nonce.
pub(crate) const NONCE_LEN: usize = 24;
/// Bytes of a Poly1305 tag.
pub(crate) const TAG_LEN: usize = 16;

fixed_bytes!(
    /// A short public name of a master key (the first 8 bytes of a BLAKE3
    /// key derivation from it): box records say which key wraps them, so a
    /// wrong key file is reported as such and a rotation can resume.
    MasterKeyId,
    8
);

/// The node's master key: 256 bits that wrap every box's keys. It lives in
/// the node's key file; it is wiped from memory when dropped.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        MasterKey(random())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// Reads a key of exactly 32 bytes (as stored in a key file).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, VaultError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| VaultError::Invalid {
            what: "master key",
            reason: format!("{} bytes, expected 32", bytes.len()),
        })?;
        Ok(MasterKey(array))
    }

    /// The secret bytes, for writing the key file.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn id(&self) -> MasterKeyId {
        let derived = blake3::derive_key("safebox vault 2025 master key id", &self.0);
        let mut id = [0u8; 8];
        id.copy_from_slice(&derived[..8]);
        MasterKeyId(id)
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({}, secret redacted)", self.id())
    }
}

/// A box's keys, unwrapped: held only for the length of one operation.
pub(crate) struct BoxKeys {
    /// Seals documents, metadata and the applicant's signing key.
    pub data: Zeroizing<[u8; 32]>,
    /// Keys the commitments and the document ids.
    pub secret: Zeroizing<[u8; 32]>,
    /// The applicant's signing key (zeroized on drop by ed25519-dalek).
    pub signing: SigningKey,
}

impl BoxKeys {
    fn generate() -> Self {
        BoxKeys {
            data: Zeroizing::new(random()),
            secret: Zeroizing::new(random()),
            signing: SigningKey::from_bytes(&random()),
        }
    }

    /// The cipher for everything sealed under the data key.
    pub fn cipher(&self) -> XChaCha20Poly1305 {
        data_cipher(&self.data)
    }

    /// BLAKE3 keyed with the box secret over a domain tag and
    /// length-prefixed fields, so no two (tag, fields) share an input.
    pub fn keyed_hash(&self, tag: &str, fields: &[&[u8]]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.secret);
        hasher.update(&(tag.len() as u64).to_be_bytes());
        hasher.update(tag.as_bytes());
        for field in fields {
            hasher.update(&(field.len() as u64).to_be_bytes());
            hasher.update(field);
        }
        *hasher.finalize().as_bytes()
    }
}

/// What `vault.boxes` says about a box.
// Short-lived (one per call, on the stack): boxing the live variant would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum BoxRecord {
    Live(LiveBox),
    Erased { at_ms: u64 },
}

/// A live box's stored record: its keys, still wrapped.
pub(crate) struct LiveBox {
    pub master: MasterKeyId,
    wrapped: [u8; WRAPPED_LEN],
    sealed_signing: [u8; SEALED_SIGNING_LEN],
    pub public_key: [u8; 32],
    pub created_ms: u64,
}

const KIND_LIVE: u8 = 1;
const KIND_ERASED: u8 = 2;
const WRAPPED_LEN: usize = NONCE_LEN + 64 + TAG_LEN;
const SEALED_SIGNING_LEN: usize = NONCE_LEN + 32 + TAG_LEN;
const LIVE_LEN: usize = 1 + 8 + WRAPPED_LEN + SEALED_SIGNING_LEN + 32 + 8;
const ERASED_LEN: usize = 1 + 8;

const WRAP_TAG: &[u8] = b"safebox vault box keys v1";
const SIGNING_TAG: &[u8] = b"safebox vault applicant key v1";

impl LiveBox {
    /// New keys for `box_id`, wrapped under `master`.
    pub fn create(box_id: BoxId, master: &MasterKey, created_ms: u64) -> (LiveBox, BoxKeys) {
        let keys = BoxKeys::generate();
        let public_key = keys.signing.verifying_key().to_bytes();
        let sealed_signing = seal(&keys.cipher(), &signing_aad(box_id, &public_key), keys.signing.as_bytes());
        let record = LiveBox {
            master: master.id(),
            wrapped: wrap(box_id, master, &keys),
            sealed_signing: sealed_signing.try_into().expect("fixed-size seal"),
            public_key,
            created_ms,
        };
        (record, keys)
    }

    /// The box's keys, unwrapped with `master`.
    pub fn unwrap(&self, box_id: BoxId, master: &MasterKey) -> Result<BoxKeys, VaultError> {
        if self.master != master.id() {
            return Err(VaultError::WrongMasterKey { box_id, found: self.master, expected: master.id() });
        }
        let tampered = |what: &str| VaultError::Tampered { what: format!("{what} of box {box_id}") };
        let plain = open(&master_cipher(master), &wrap_aad(box_id, self.master), &self.wrapped)
            .ok_or_else(|| tampered("keys"))?;
        // The record's length is fixed, so the plaintext is exactly 64 bytes.
        let (data, secret) = plain.split_at(32);
        let data = Zeroizing::new(<[u8; 32]>::try_from(data).map_err(|_| tampered("keys"))?);
        let secret = Zeroizing::new(<[u8; 32]>::try_from(secret).map_err(|_| tampered("keys"))?);
        let seed = open(&data_cipher(&data), &signing_aad(box_id, &self.public_key), &self.sealed_signing)
            .ok_or_else(|| tampered("applicant key"))?;
        let seed = Zeroizing::new(<[u8; 32]>::try_from(&seed[..]).map_err(|_| tampered("applicant key"))?);
        let keys = BoxKeys { data, secret, signing: SigningKey::from_bytes(&seed) };
        if keys.signing.verifying_key().to_bytes() != self.public_key {
            return Err(tampered("applicant public key"));
        }
        Ok(keys)
    }

    /// The same keys wrapped under another master key; documents and the
    /// sealed signing key are untouched (they are under the data key).
    pub fn rewrap(&self, box_id: BoxId, old: &MasterKey, new: &MasterKey) -> Result<LiveBox, VaultError> {
        let keys = self.unwrap(box_id, old)?;
        Ok(LiveBox { master: new.id(), wrapped: wrap(box_id, new, &keys), ..*self })
    }

    pub fn public_key(&self, box_id: BoxId) -> Result<VerifyingKey, VaultError> {
        VerifyingKey::from_bytes(&self.public_key)
            .map_err(|_| VaultError::corrupt(format!("public key of box {box_id}"), "not a curve point"))
    }
}

impl BoxRecord {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            BoxRecord::Live(live) => {
                let mut out = Vec::with_capacity(LIVE_LEN);
                out.push(KIND_LIVE);
                out.extend_from_slice(&live.master.0);
                out.extend_from_slice(&live.wrapped);
                out.extend_from_slice(&live.sealed_signing);
                out.extend_from_slice(&live.public_key);
                out.extend_from_slice(&live.created_ms.to_be_bytes());
                out
            }
            BoxRecord::Erased { at_ms } => {
                let mut out = Vec::with_capacity(ERASED_LEN);
                out.push(KIND_ERASED);
                out.extend_from_slice(&at_ms.to_be_bytes());
                out
            }
        }
    }

    pub fn decode(box_id: BoxId, bytes: &[u8]) -> Result<BoxRecord, VaultError> {
        let corrupt = |reason: String| VaultError::corrupt(format!("record of box {box_id}"), reason);
        let mut fields = Fields(bytes);
        let expected = match bytes.first() {
            Some(&KIND_LIVE) => LIVE_LEN,
            Some(&KIND_ERASED) => ERASED_LEN,
            Some(kind) => return Err(corrupt(format!("unknown kind {kind}"))),
            None => return Err(corrupt("empty".into())),
        };
        if bytes.len() != expected {
            return Err(corrupt(format!("{} bytes, expected {expected}", bytes.len())));
        }
        // The length is checked, so every take below succeeds.
        let [kind] = fields.take::<1>();
        if kind == KIND_ERASED {
            return Ok(BoxRecord::Erased { at_ms: u64::from_be_bytes(fields.take()) });
        }
        Ok(BoxRecord::Live(LiveBox {
            master: MasterKeyId(fields.take()),
            wrapped: fields.take(),
            sealed_signing: fields.take(),
            public_key: fields.take(),
            created_ms: u64::from_be_bytes(fields.take()),
        }))
    }
}

/// Fixed-size fields read in order from a record whose length was checked.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
}

fn wrap_aad(box_id: BoxId, master: MasterKeyId) -> Vec<u8> {
    [WRAP_TAG, &box_id.0, &master.0].concat()
}

fn signing_aad(box_id: BoxId, public_key: &[u8; 32]) -> Vec<u8> {
    [SIGNING_TAG, &box_id.0, public_key].concat()
}

fn wrap(box_id: BoxId, master: &MasterKey, keys: &BoxKeys) -> [u8; WRAPPED_LEN] {
    let mut plain = Zeroizing::new([0u8; 64]);
    plain[..32].copy_from_slice(&*keys.data);
    plain[32..].copy_from_slice(&*keys.secret);
    seal(&master_cipher(master), &wrap_aad(box_id, master.id()), &*plain).try_into().expect("fixed-size seal")
}

fn master_cipher(master: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&master.0.into())
}

fn data_cipher(data: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(*data).into())
}

/// Seals a small value under a random nonce: `nonce ‖ ciphertext ‖ tag`.
pub(crate) fn seal(cipher: &XChaCha20Poly1305, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = random();
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
    [&nonce[..], &sealed].concat()
}

/// Opens what [`seal`] made; `None` if it does not authenticate.
pub(crate) fn open(cipher: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad }).ok().map(Zeroizing::new)
}

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_record_round_trips_and_unwraps_only_under_its_box_and_key() {
        let (box_id, master) = (BoxId([1; 16]), MasterKey::generate());
        let (live, keys) = LiveBox::create(box_id, &master, 7);
        let bytes = BoxRecord::Live(live).encode();
        assert_eq!(bytes.len(), LIVE_LEN);
        let BoxRecord::Live(back) = BoxRecord::decode(box_id, &bytes).unwrap() else { panic!("live") };
        let unwrapped = back.unwrap(box_id, &master).unwrap();
        assert_eq!((*unwrapped.data, *unwrapped.secret), (*keys.data, *keys.secret));
        assert_eq!(unwrapped.signing.to_bytes(), keys.signing.to_bytes());
        // The same record under another box id does not authenticate.
        let BoxRecord::Live(moved) = BoxRecord::decode(BoxId([2; 16]), &bytes).unwrap() else { panic!("live") };
        assert!(matches!(moved.unwrap(BoxId([2; 16]), &master), Err(VaultError::Tampered { .. })));
    }

    #[test]
    fn keyed_hash_fields_are_length_prefixed() {
        let (_, keys) = LiveBox::create(BoxId([1; 16]), &MasterKey::generate(), 0);
        assert_ne!(keys.keyed_hash("t", &[b"ab", b"c"]), keys.keyed_hash("t", &[b"a", b"bc"]));
        assert_ne!(keys.keyed_hash("t", &[b"x"]), keys.keyed_hash("u", &[b"x"]));
    }

    proptest! {
        #[test]
        fn any_stored_bytes_decode_to_a_record_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let box_id = BoxId([3; 16]);
            if let Ok(BoxRecord::Live(live)) = BoxRecord::decode(box_id, &bytes) {
                prop_assert!(live.unwrap(box_id, &MasterKey::from_bytes([0; 32])).is_err());
            }
        }
    }
}
