//! The right edge of a Merkle tree: the roots of its perfect subtrees.
//!
//! Appending record n reads only frontier hashes (the left siblings it
//! completes), and the root of size n is a fold of the frontier. So the
//! sequencer and replay both keep just this (at most 64 hashes) in memory,
//! and never read the hash column family on the write path.

use crate::hash::{EntryHash, RootHash};
use std::collections::HashMap;
use tlog_tiles::{stored_hash_index, Hash, HashReader};

/// Frontier of a tree of `size` records, keyed by tlog stored-hash index.
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    size: u64,
    hashes: HashMap<u64, Hash>,
}

impl HashReader for Frontier {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|i| self.hashes.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
    }
}

/// Stored-hash indexes of the frontier of a tree of `size` records.
pub fn frontier_indexes(size: u64) -> Vec<u64> {
    if size == 0 {
        return Vec::new();
    }
    tlog_tiles::sub_tree_index(0, size, Vec::new())
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frontier loaded from stored hashes (`hashes` in the order of
    /// [`frontier_indexes`]).
    pub fn from_stored(size: u64, hashes: Vec<Hash>) -> Self {
        let hashes = frontier_indexes(size).into_iter().zip(hashes).collect();
        Frontier { size, hashes }
    }

    /// Number of records.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends record `size` and returns the hashes to store for it, which
    /// belong at consecutive stored-hash indexes from the first returned one.
    pub fn push(&mut self, leaf: EntryHash) -> (u64, Vec<Hash>) {
        let n = self.size;
        let new = tlog_tiles::stored_hashes_for_record_hash(n, leaf.into(), self)
            .expect("the frontier holds every hash an append reads");
        let first = stored_hash_index(0, n);
        for (k, h) in new.iter().enumerate() {
            self.hashes.insert(first + k as u64, *h);
        }
        self.size = n + 1;
        let keep: std::collections::HashSet<u64> = frontier_indexes(self.size).into_iter().collect();
        self.hashes.retain(|i, _| keep.contains(i));
        (first, new)
    }

    /// Root of the current tree.
    pub fn root(&self) -> RootHash {
        tlog_tiles::tree_hash(self.size, self).expect("the frontier holds every hash the root needs").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_match_the_rfc6962_reference_tree() {
        // Leaves of the certificate-transparency reference tree and its root
        // at size 8 (also in the transparency-dev vectors README).
        let leaves: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let mut f = Frontier::new();
        assert_eq!(f.root(), RootHash::EMPTY);
        for leaf in leaves {
            f.push(EntryHash::of_entry(leaf));
        }
        assert_eq!(hex::encode(f.root().0), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
        assert!(f.hashes.len() <= 1, "size 8 has a single perfect subtree");
    }
}
