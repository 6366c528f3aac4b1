//! Fixed-size SHA-256 digests with distinct types for what they identify.
//!
//! A leaf hash, a tree root and a block hash are all 32 bytes, but mixing them
//! up is a bug: each gets its own type, all printed as standard base64 (the
//! encoding of RFC 6962 tooling and C2SP checkpoints).

use base64::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;

/// Why a digest could not be read from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a 32-byte base64 hash: {0}")]
pub struct BadDigest(pub String);

macro_rules! digest_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw 32 bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Reads the standard-base64 form.
            pub fn from_base64(text: &str) -> Result<Self, BadDigest> {
                let bytes = BASE64_STANDARD
                    .decode(text)
                    .map_err(|e| BadDigest(e.to_string()))?;
                let array: [u8; 32] = bytes
                    .try_into()
                    .map_err(|v: Vec<u8>| BadDigest(format!("{} bytes", v.len())))?;
                Ok(Self(array))
            }

            /// Reads 32 raw bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, BadDigest> {
                let array: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| BadDigest(format!("{} bytes", bytes.len())))?;
                Ok(Self(array))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&BASE64_STANDARD.encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        crate::text_serde::serde_via_text!($name, $name::from_base64);

        impl From<tlog_tiles::Hash> for $name {
            fn from(h: tlog_tiles::Hash) -> Self {
                Self(h.0)
            }
        }

        impl From<$name> for tlog_tiles::Hash {
            fn from(h: $name) -> Self {
                tlog_tiles::Hash(h.0)
            }
        }
    };
}

digest_type!(
    /// RFC 6962 leaf hash of one entry: SHA-256(0x00 || canonical entry bytes).
    EntryHash
);
digest_type!(
    /// RFC 6962 root hash of a tree of some size (SHA-256 of "" for size 0).
    RootHash
);
digest_type!(
    /// SHA-256 of a signed block header's canonical bytes; links blocks.
    BlockHash
);
digest_type!(
    /// A hash that stands in a proof: a sibling subtree's root.
    ProofHash
);

impl EntryHash {
    /// The leaf hash of entry bytes, RFC 6962 section 2.1.
    pub fn of_entry(bytes: &[u8]) -> Self {
        tlog_tiles::record_hash(bytes).into()
    }
}

impl RootHash {
    /// The root of the empty tree.
    pub const EMPTY: RootHash = RootHash(tlog_tiles::EMPTY_HASH.0);
}

impl BlockHash {
    /// The `previous` of the first block of a chain.
    pub const ZERO: BlockHash = BlockHash([0; 32]);

    /// Hashes a block header's canonical bytes.
    pub fn of_header(bytes: &[u8]) -> Self {
        BlockHash(Sha256::digest(bytes).into())
    }
}
digest_type!(
    /// A keyed BLAKE3 commitment to an applicant or a document version,
    /// computed by the vault with a secret of the box. The chains record these
    /// and never the names, numbers or content behind them.
    Commitment
);
digest_type!(
    /// SHA-256 of a credential's canonical (JCS) bytes.
    CredentialDigest
);
