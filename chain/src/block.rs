//! Block headers: one per group commit, signed by the node, each naming the
//! hash of the one before it, so that the sequence of commits is itself a
//! hash-linked chain on top of the Merkle tree.

use crate::hash::{BlockHash, RootHash};
use crate::keys::{self, KeyError, PublicKey, Signature};
use crate::time::Timestamp;
use crate::ChainId;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// What one commit added to a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockHeader {
    pub chain: ChainId,
    /// 0 for the first block of the chain.
    pub height: u64,
    /// Index of the block's first entry.
    pub first_index: u64,
    /// Tree size after the block: its entries are `first_index..size`.
    pub size: u64,
    /// Root of the tree of that size.
    pub root: RootHash,
    pub time: Timestamp,
    /// Hash of the previous signed header ([`BlockHash::ZERO`] for height 0).
    pub previous: BlockHash,
}

/// A header with the node's signature over its canonical bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBlock {
    #[serde(flatten)]
    pub header: BlockHeader,
    pub node_sig: Signature,
}

/// Why a stored block could not be read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("block header is malformed: {0}")]
    Malformed(String),
    #[error("block header is not signed by the node key: {0}")]
    Signature(#[from] KeyError),
}

impl BlockHeader {
    /// The bytes the node signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(self).expect("block headers always serialise")
    }

    /// Signs with the node key.
    pub fn sign(self, node_key: &SigningKey) -> SignedBlock {
        let node_sig = keys::sign(node_key, &self.signing_bytes());
        SignedBlock { header: self, node_sig }
    }
}

impl SignedBlock {
    /// The stored bytes (JCS, signature included).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(self).expect("block headers always serialise")
    }

    /// The hash that the next block names as `previous`.
    pub fn hash(&self) -> BlockHash {
        BlockHash::of_header(&self.canonical_bytes())
    }

    /// Reads stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlockError> {
        serde_json::from_slice(bytes).map_err(|e| BlockError::Malformed(e.to_string()))
    }

    /// Checks the node's signature.
    pub fn verify(&self, node_key: &PublicKey) -> Result<(), BlockError> {
        node_key.verify(&self.header.signing_bytes(), &self.node_sig)?;
        Ok(())
    }
}
