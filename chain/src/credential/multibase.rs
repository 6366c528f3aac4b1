//! Multibase base58btc (`z` prefix) and the Multikey form of Ed25519 keys,
//! as Data Integrity writes proof values and `did:key` names keys.
//!
//! A Multikey public key is base58btc of the multicodec `ed25519-pub`
//! (0xed, varint `ed 01`) followed by the 32 key bytes; a secret key is
//! `ed25519-priv` (0x1300, varint `80 26`) followed by the 32-byte seed.

use crate::keys::{KeyError, PublicKey};
use ed25519_dalek::SigningKey;

/// Multicodec varint prefix of an Ed25519 public key.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec varint prefix of an Ed25519 secret key (seed).
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// Why a multibase string or Multikey was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultibaseError {
    #[error("multibase value must start with 'z' (base58btc)")]
    NotBase58btc,
    #[error("not base58btc: {0}")]
    Base58(String),
    #[error("multicodec prefix is {found}, expected {expected}")]
    Codec { expected: String, found: String },
    #[error("{what} must be {expected} bytes, got {found}")]
    Length { what: &'static str, expected: usize, found: usize },
    #[error("Ed25519 public key: {0}")]
    Key(KeyError),
}

/// `z` followed by the base58btc (Bitcoin alphabet) of `bytes`.
pub fn encode_base58btc(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Reads a `z`-prefixed base58btc value.
pub fn decode_base58btc(text: &str) -> Result<Vec<u8>, MultibaseError> {
    let body = text.strip_prefix('z').ok_or(MultibaseError::NotBase58btc)?;
    bs58::decode(body).into_vec().map_err(|e| MultibaseError::Base58(e.to_string()))
}

/// The Multikey (`publicKeyMultibase`) form of a public key: `z6Mk…`.
pub fn public_key_multibase(key: &PublicKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(&key.to_bytes());
    encode_base58btc(&bytes)
}

/// Reads a Multikey public key, refusing other codecs and invalid points.
pub fn parse_public_key_multibase(text: &str) -> Result<PublicKey, MultibaseError> {
    let key = strip_codec(text, ED25519_PUB, "Ed25519 public key")?;
    PublicKey::from_bytes(&key).map_err(MultibaseError::Key)
}

/// Reads a Multikey secret key (`privateKeyMultibase`): an Ed25519 seed.
pub fn parse_secret_key_multibase(text: &str) -> Result<SigningKey, MultibaseError> {
    let seed = strip_codec(text, ED25519_PRIV, "Ed25519 secret key")?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Decodes `text` and splits off the expected multicodec prefix, leaving
/// exactly 32 bytes.
fn strip_codec(text: &str, codec: [u8; 2], what: &'static str) -> Result<[u8; 32], MultibaseError> {
    let bytes = decode_base58btc(text)?;
    let (prefix, rest) = bytes.split_at(bytes.len().min(2));
    if prefix != codec {
        return Err(MultibaseError::Codec { expected: hex::encode(codec), found: hex::encode(prefix) });
    }
    rest.try_into().map_err(|_| MultibaseError::Length { what, expected: 32, found: rest.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_round_trip_and_other_codecs_are_refused() {
        let key = crate::keys::public_key(&SigningKey::from_bytes(&[7; 32]));
        let text = public_key_multibase(&key);
        assert!(text.starts_with("z6Mk"), "{text}");
        assert_eq!(parse_public_key_multibase(&text), Ok(key));
        assert_eq!(parse_public_key_multibase(&text[1..]), Err(MultibaseError::NotBase58btc));
        assert!(matches!(parse_public_key_multibase("z0OIl"), Err(MultibaseError::Base58(_))));
        let secret_codec = encode_base58btc(&[0x80, 0x26, 1, 2]);
        assert!(matches!(parse_public_key_multibase(&secret_codec), Err(MultibaseError::Codec { .. })));
        let short = encode_base58btc(&[0xed, 0x01, 1, 2]);
        assert!(matches!(parse_public_key_multibase(&short), Err(MultibaseError::Length { found: 2, .. })));
    }
}
