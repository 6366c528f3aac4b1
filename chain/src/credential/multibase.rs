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
    if let Some(bytes) = decode_base58(body) {
        return Ok(bytes);
    }
    // Text outside the alphabet: `bs58` says where and what.
    bs58::decode(body).into_vec().map_err(|e| MultibaseError::Base58(e.to_string()))
}

/// The base58 digit of each byte (Bitcoin alphabet), 0xff for none.
const BASE58_DIGITS: [u8; 256] = {
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits = [0xff; 256];
    let mut i = 0;
    while i < alphabet.len() {
        digits[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    digits
};

/// Base58 (Bitcoin alphabet) to bytes, as `bs58` decodes it: each leading
/// `1` a zero byte, then the number the rest spells, big-endian, without
/// leading zeros; `None` for a character outside the alphabet. `bs58`
/// multiplies the whole output by 58 once per character, byte by byte;
/// this takes five characters at a time (58^5 < 2^32) into 32-bit limbs,
/// a tenth of the work, which was a twentieth of verifying a credential
/// (every proof value and `did:key` is base58).
fn decode_base58(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let zeros = bytes.iter().take_while(|&&b| b == b'1').count();
    // log2(58) < 5.86 bits per character.
    let mut limbs: Vec<u32> = Vec::with_capacity((bytes.len() * 586 / 100) / 32 + 2);
    for group in bytes[zeros..].chunks(5) {
        let (mut value, mut scale) = (0u64, 1u64);
        for &b in group {
            let digit = BASE58_DIGITS[usize::from(b)];
            if digit == 0xff {
                return None;
            }
            value = value * 58 + u64::from(digit);
            scale *= 58;
        }
        // limbs = limbs * scale + value, little-endian limbs.
        let mut carry = value;
        for limb in limbs.iter_mut() {
            let next = u64::from(*limb) * scale + carry;
            *limb = next as u32;
            carry = next >> 32;
        }
        while carry > 0 {
            limbs.push(carry as u32);
            carry >>= 32;
        }
    }
    let mut out = vec![0u8; zeros];
    let number = limbs.iter().rev().flat_map(|limb| limb.to_be_bytes());
    out.extend(number.skip_while(|&b| b == 0));
    Some(out)
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
    use proptest::prelude::*;

    proptest! {
        /// The limb decoder reads every base58 text exactly as `bs58` does.
        #[test]
        fn base58_decodes_as_bs58_does(bytes in prop::collection::vec(any::<u8>(), 0..80), ones in 0usize..4, text in "[1-9A-Za-z]{0,100}") {
            let mut encoded = "1".repeat(ones);
            encoded.push_str(&bs58::encode(&bytes).into_string());
            for text in [encoded, text] {
                prop_assert_eq!(decode_base58(&text), bs58::decode(&text).into_vec().ok(), "{}", text);
            }
        }
    }

    #[test]
    fn base58_edges_decode_as_bs58_does() {
        for text in ["", "1", "111", "2", "z", "11z", "zzzzzz", "5Q", "1112", "0", "l", "I", "O", "é"] {
            assert_eq!(decode_base58(text), bs58::decode(text).into_vec().ok(), "{text}");
        }
    }

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
