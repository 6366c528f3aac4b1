//! Inclusion and consistency proofs (RFC 6962 / RFC 9162), produced from the
//! stored hashes and checked by anyone who holds a root.
//!
//! The math is `tlog_tiles` (a port of Go's sumdb/tlog). Its functions assert
//! their preconditions with panics, so every input is checked here first:
//! a proof read from outside fails with a reason, never a panic.
//!
//! Size 0, the project's rule: the empty tree has root SHA-256("") and no
//! entries, so no inclusion proof exists in it, and a consistency proof
//! *from* size 0 is refused (0 < m ≤ n), as the transparency-dev reference
//! does. (C2SP and RFC 9162 would allow the trivial empty proof from 0; an
//! auditor who has seen nothing needs no proof to trust a first checkpoint.)

use crate::hash::{EntryHash, ProofHash, RootHash};
use serde::{Deserialize, Serialize};

/// Proof that the entry at `index` is in the tree of `size` entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// Audit path, bottom-up.
    pub hashes: Vec<ProofHash>,
}

/// Proof that the tree of `from` entries is a prefix of the tree of `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<ProofHash>,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("consistency needs 0 < from <= to, got from {from} to {to}")]
    BadRange { from: u64, to: u64 },
    #[error("proof has {found} hashes; {expected} are needed")]
    WrongLength { found: usize, expected: usize },
    #[error("proof does not lead to the expected root")]
    Mismatch,
}

/// Number of hashes in the audit path of `index` in a tree of `size`
/// (RFC 9162 2.1.3.2: one per level of the path, skipping levels where the
/// node has no sibling).
pub fn inclusion_path_len(index: u64, size: u64) -> usize {
    let (inner, border) = decompose_inclusion(index, size);
    inner + border
}

fn decompose_inclusion(index: u64, size: u64) -> (usize, usize) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // `inner` is 64 when index and size - 1 differ in the top bit (a tree
    // of more than 2^63 entries, which only a forged checkpoint states):
    // no bit of the index is left above the inner part then, and a plain
    // `>>` by 64 would panic (found by the `proofs` fuzz target).
    let border = index.checked_shr(inner).unwrap_or(0).count_ones() as usize;
    (inner as usize, border)
}

/// Number of hashes in a consistency proof from `from` to `to`
/// (0 < from <= to).
pub fn consistency_path_len(from: u64, to: u64) -> usize {
    if from == to {
        return 0;
    }
    let (inner, border) = decompose_inclusion(from - 1, to);
    let shift = (from.trailing_zeros() as usize).min(inner);
    let inner = inner - shift;
    // When `from` is a power of two the old root is itself a node of the
    // path and is not sent.
    let seed = usize::from(from != 1 << shift);
    seed + inner + border
}

fn to_tlog(hashes: &[ProofHash]) -> Vec<tlog_tiles::Hash> {
    hashes.iter().map(|h| tlog_tiles::Hash(h.0)).collect()
}

impl InclusionProof {
    /// Checks that `leaf` is at `self.index` of the tree with `root`.
    pub fn verify(&self, leaf: &EntryHash, root: &RootHash) -> Result<(), ProofError> {
        if self.index >= self.size {
            return Err(ProofError::IndexOutOfRange { index: self.index, size: self.size });
        }
        let expected = inclusion_path_len(self.index, self.size);
        if self.hashes.len() != expected {
            return Err(ProofError::WrongLength { found: self.hashes.len(), expected });
        }
        tlog_tiles::check_record(&to_tlog(&self.hashes), self.size, (*root).into(), self.index, (*leaf).into())
            .map_err(|_| ProofError::Mismatch)
    }
}

impl ConsistencyProof {
    /// Checks that the tree with `old_root` is a prefix of the one with
    /// `new_root`.
    pub fn verify(&self, old_root: &RootHash, new_root: &RootHash) -> Result<(), ProofError> {
        if self.from == 0 || self.from > self.to {
            return Err(ProofError::BadRange { from: self.from, to: self.to });
        }
        let expected = consistency_path_len(self.from, self.to);
        if self.hashes.len() != expected {
            return Err(ProofError::WrongLength { found: self.hashes.len(), expected });
        }
        tlog_tiles::check_tree(&to_tlog(&self.hashes), self.to, (*new_root).into(), self.from, (*old_root).into())
            .map_err(|_| ProofError::Mismatch)
    }
}
