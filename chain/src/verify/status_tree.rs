//! The status tree of a snapshot: one RFC 6962 leaf per license exported
//! together, each the JCS bytes of `{license, status, reason, changed_at}`.
//!
//! The tree is built with `tlog_tiles` over hashes held in memory (its
//! `HashReader` needs nothing more than a slice): a snapshot covers the
//! licenses of one export, a few thousand leaves at most, so there is
//! nothing to store and the same proof math as the chains serves it.

use crate::hash::{EntryHash, RootHash};
use crate::ids::LicenseId;
use crate::proof::InclusionProof;
use crate::state::{LicenseRecord, LicenseStatus};
use serde::{Deserialize, Serialize};
use tlog_tiles::{Hash, HashReader};

/// What a snapshot says of one license.
///
/// The members are declared in JCS order (sorted keys), and their values
/// are strings, an integer (a chain index, below 2^53) and nulls, so
/// serde_json's compact output of a leaf is its canonical form (a test
/// holds them equal), written without the general canonicaliser's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusLeaf {
    /// License-chain index of the last status change, if any.
    pub changed_at: Option<u64>,
    pub license: LicenseId,
    /// The agency's reason for the last status change, if any.
    pub reason: Option<String>,
    pub status: LicenseStatus,
}

impl StatusLeaf {
    /// The leaf of a license as the chain's state records it.
    pub fn of(record: &LicenseRecord) -> Self {
        StatusLeaf {
            license: record.issued.license.clone(),
            status: record.status,
            reason: record.reason.clone(),
            changed_at: record.changed_at,
        }
    }

    /// The leaf's bytes: JCS of the four members (absent ones as `null`, so
    /// every leaf has the same members).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a status leaf always serialises")
    }

    /// RFC 6962 leaf hash of the canonical bytes.
    pub fn leaf_hash(&self) -> EntryHash {
        EntryHash::of_entry(&self.canonical_bytes())
    }
}

/// An RFC 6962 tree held in memory: every stored hash, in tlog's
/// stored-hash order (which for a tree built from nothing is contiguous).
#[derive(Default)]
pub(crate) struct MemoryTree {
    size: u64,
    hashes: Vec<Hash>,
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryTree {
    /// Appends a leaf.
    pub fn push(&mut self, leaf: EntryHash) {
        let new = tlog_tiles::stored_hashes_for_record_hash(self.size, leaf.into(), self)
            .expect("a tree built in memory holds every hash an append reads");
        self.hashes.extend(new);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> RootHash {
        tlog_tiles::tree_hash(self.size, self).expect("a tree built in memory holds its root's hashes").into()
    }

    /// Proof of leaf `index` (< size) in the whole tree.
    pub fn prove(&self, index: u64) -> InclusionProof {
        let hashes = tlog_tiles::prove_record(self.size, index, self)
            .expect("a tree built in memory holds every hash of its proofs");
        InclusionProof { index, size: self.size, hashes: hashes.into_iter().map(Into::into).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_leaf_written_compactly_is_its_jcs_form(
            changed_at in proptest::option::of(0u64..1 << 53),
            reason in proptest::option::of(any::<String>()),
            status in prop_oneof![Just(LicenseStatus::Valid), Just(LicenseStatus::Suspended), Just(LicenseStatus::Revoked), Just(LicenseStatus::Cancelled)],
        ) {
            let leaf = StatusLeaf { changed_at, license: LicenseId::parse("1.2.156.3005.2.X").unwrap(), reason, status };
            prop_assert_eq!(leaf.canonical_bytes(), crate::canonical::to_vec(&leaf).unwrap());
        }
    }

    #[test]
    fn every_leaf_proves_against_the_root_at_every_size() {
        let mut tree = MemoryTree::default();
        let leaves: Vec<EntryHash> = (0u8..37).map(|i| EntryHash::of_entry(&[i])).collect();
        for (n, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            let root = tree.root();
            for (i, leaf) in leaves[..=n].iter().enumerate() {
                assert_eq!(tree.prove(i as u64).verify(leaf, &root), Ok(()));
            }
        }
    }
}
