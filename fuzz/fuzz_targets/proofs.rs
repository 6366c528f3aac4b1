//! Fuzzes RFC 6962 inclusion and consistency proofs as a verifier receives
//! them (JSON over HTTP, members of proof bundles).
//!
//! The first byte picks what the rest is:
//! - 0: a real tree of up to 300 leaves, built as the ledger builds it
//!   (`Frontier`), proofs made from its stored hashes, then changed as the
//!   input says: an honest proof verifies, survives JSON, and after any
//!   change (a hash flipped, dropped, added or moved; another index, size,
//!   leaf or root) it verifies only if nothing really changed;
//! - 1: proof JSON as received, checked against roots of the input: never a
//!   panic, and what reads writes back the same;
//! - 2: index and size (or from and to) anywhere in u64, with exactly the
//!   number of hashes the sizes call for, so the `tlog_tiles` math is
//!   reached with extreme sizes: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safebox_chain::frontier::Frontier;
use safebox_chain::proof::{consistency_path_len, inclusion_path_len};
use safebox_chain::{ConsistencyProof, EntryHash, InclusionProof, ProofHash, RootHash};
use std::collections::HashMap;
use tlog_tiles::{Hash, HashReader};

/// Reads the input a piece at a time; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.byte()))
    }
    fn hash(&mut self) -> [u8; 32] {
        std::array::from_fn(|_| self.byte())
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every stored hash of a tree, as the ledger's hash column family holds them.
#[derive(Default)]
struct Stored(HashMap<u64, Hash>);

impl HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|i| self.0.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
    }
}

/// A tree of `n` leaves and every hash the ledger would store for it.
struct Tree {
    leaves: Vec<EntryHash>,
    stored: Stored,
}

impl Tree {
    fn new(n: usize, salt: u8) -> Tree {
        let mut frontier = Frontier::new();
        let mut stored = Stored::default();
        let mut leaves = Vec::with_capacity(n);
        for i in 0..n {
            let leaf = EntryHash::of_entry(&[&(i as u64).to_le_bytes()[..], &[salt]].concat());
            let (first, hashes) = frontier.push(leaf);
            for (k, h) in hashes.into_iter().enumerate() {
                stored.0.insert(first + k as u64, h);
            }
            leaves.push(leaf);
        }
        Tree { leaves, stored }
    }

    /// The root of the tree's first `size` leaves (1 ≤ size ≤ n).
    fn root(&self, size: u64) -> RootHash {
        tlog_tiles::tree_hash(size, &self.stored).expect("the tree has every hash of its prefixes").into()
    }

    fn inclusion(&self, index: u64, size: u64) -> InclusionProof {
        let hashes = tlog_tiles::prove_record(size, index, &self.stored).expect("the tree proves its records");
        InclusionProof { index, size, hashes: hashes.into_iter().map(|h| ProofHash(h.0)).collect() }
    }

    fn consistency(&self, from: u64, to: u64) -> ConsistencyProof {
        let hashes = tlog_tiles::prove_tree(to, from, &self.stored).expect("the tree proves its prefixes");
        ConsistencyProof { from, to, hashes: hashes.into_iter().map(|h| ProofHash(h.0)).collect() }
    }
}

/// Changes a proof's audit path as `op` says; false when it could not.
fn change_hashes(hashes: &mut Vec<ProofHash>, op: u8, input: &mut Input) -> bool {
    let len = hashes.len();
    let at = usize::from(input.byte());
    match op {
        0 if len > 0 => {
            let bit = input.byte();
            hashes[at % len].0[usize::from(bit / 8) % 32] ^= 1 << (bit % 8);
        }
        1 if len > 0 => {
            hashes.remove(at % len);
        }
        2 => {
            let copy = if len > 0 { hashes[at % len] } else { ProofHash(input.hash()) };
            hashes.insert(at % (len + 1), copy);
        }
        3 if len > 1 => {
            let other = usize::from(input.byte()) % len;
            hashes.swap(at % len, other);
        }
        _ => return false,
    }
    true
}

fn structured(input: &mut Input) {
    let n = 1 + usize::from(input.u16()) % 300;
    let tree = Tree::new(n, input.byte());
    let size = 1 + u64::from(input.u16()) % n as u64;
    let index = u64::from(input.u16()) % size;
    let from = 1 + u64::from(input.u16()) % size;

    // Honest proofs verify and survive JSON.
    let inclusion = tree.inclusion(index, size);
    let (leaf, root) = (tree.leaves[index as usize], tree.root(size));
    inclusion.verify(&leaf, &root).expect("an honest inclusion proof verifies");
    let json = serde_json::to_vec(&inclusion).expect("serialises");
    assert_eq!(serde_json::from_slice::<InclusionProof>(&json).expect("reads back"), inclusion);
    let consistency = tree.consistency(from, size);
    let old_root = tree.root(from);
    consistency.verify(&old_root, &root).expect("an honest consistency proof verifies");
    let json = serde_json::to_vec(&consistency).expect("serialises");
    assert_eq!(serde_json::from_slice::<ConsistencyProof>(&json).expect("reads back"), consistency);

    // Changed, they verify only when the change changed nothing.
    while !input.is_empty() {
        let op = input.byte();
        let pick = u64::from(input.u16());
        if op & 0x80 == 0 {
            let (mut proof, mut leaf, mut root) = (inclusion.clone(), leaf, root);
            match op % 8 {
                0..=3 => {
                    if !change_hashes(&mut proof.hashes, op % 8, input) {
                        continue;
                    }
                }
                4 => proof.index = pick % size,
                5 => leaf = tree.leaves[(pick % n as u64) as usize],
                6 => root = tree.root(1 + pick % n as u64),
                _ => proof.size = 1 + pick % n as u64,
            }
            let same_claim = proof.index == inclusion.index && leaf == tree.leaves[index as usize];
            let same = proof.hashes == inclusion.hashes && root == tree.root(size);
            let verified = proof.verify(&leaf, &root);
            if op % 8 == 7 {
                // Another size with the same root is another claim about
                // the same tree: the checkpoint binds size and root, so
                // only its being refused or not matters, never a panic.
                continue;
            }
            assert_eq!(verified.is_ok(), same_claim && same, "changed inclusion proof {proof:?}: {verified:?}");
        } else {
            let (mut proof, mut old, mut new) = (consistency.clone(), old_root, root);
            match op % 8 {
                0..=3 => {
                    if !change_hashes(&mut proof.hashes, op % 8, input) {
                        continue;
                    }
                }
                4 => proof.from = 1 + pick % size,
                5 => old = tree.root(1 + pick % n as u64),
                6 => new = tree.root(1 + pick % n as u64),
                _ => proof.to = 1 + pick % n as u64,
            }
            let unchanged =
                proof.hashes == consistency.hashes && proof.from == consistency.from && old == old_root && new == root;
            let verified = proof.verify(&old, &new);
            if op % 8 == 7 {
                continue;
            }
            assert_eq!(verified.is_ok(), unchanged, "changed consistency proof {proof:?}: {verified:?}");
        }
    }
}

fn received_json(bytes: &[u8]) {
    let leaf = EntryHash(std::array::from_fn(|i| bytes.get(i).copied().unwrap_or(0)));
    let root = RootHash(std::array::from_fn(|i| bytes.get(32 + i).copied().unwrap_or(0)));
    if let Ok(proof) = serde_json::from_slice::<InclusionProof>(bytes) {
        let _ = proof.verify(&leaf, &root);
        let json = serde_json::to_vec(&proof).expect("serialises");
        assert_eq!(serde_json::from_slice::<InclusionProof>(&json).expect("reads back"), proof);
    }
    if let Ok(proof) = serde_json::from_slice::<ConsistencyProof>(bytes) {
        let _ = proof.verify(&RootHash(leaf.0), &root);
        let json = serde_json::to_vec(&proof).expect("serialises");
        assert_eq!(serde_json::from_slice::<ConsistencyProof>(&json).expect("reads back"), proof);
    }
}

fn extreme_sizes(input: &mut Input) {
    let (a, b) = (input.u64(), input.u64());
    let (x, y) = (EntryHash(input.hash()), RootHash(input.hash()));
    let fill = |count: usize, input: &mut Input| -> Vec<ProofHash> {
        (0..count.min(64)).map(|_| ProofHash(input.hash())).collect()
    };
    if a < b {
        let hashes = fill(inclusion_path_len(a, b), input);
        let _ = InclusionProof { index: a, size: b, hashes }.verify(&x, &y);
    } else {
        let _ = InclusionProof { index: a, size: b, hashes: Vec::new() }.verify(&x, &y);
    }
    if 0 < a && a <= b {
        let hashes = fill(consistency_path_len(a, b), input);
        let _ = ConsistencyProof { from: a, to: b, hashes }.verify(&RootHash(x.0), &y);
    } else {
        let _ = ConsistencyProof { from: a, to: b, hashes: Vec::new() }.verify(&RootHash(x.0), &y);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Input(rest);
    match mode % 3 {
        0 => structured(&mut input),
        1 => received_json(rest),
        _ => extreme_sizes(&mut input),
    }
});
