//! Property: for random chain sizes up to 2,000, grown in random batches,
//! every inclusion and consistency proof the ledger produces verifies
//! against the signed checkpoints it published, and flipping any bit of a
//! proof, leaf or root makes verification fail.

use proptest::prelude::*;
use safebox_chain::checkpoint::{self, TreeHead};
use safebox_chain::{ChainId, EntryHash, ProofHash, RootHash};
use safebox_tests::TestNode;

fn flip(bytes: &mut [u8; 32], bit: usize) {
    bytes[(bit / 8) % 32] ^= 1 << (bit % 8);
}

fn signed_head(t: &TestNode) -> TreeHead {
    let ledger = &t.node.ledger;
    let note = ledger.store().checkpoint(ChainId::License).unwrap().expect("checkpoint");
    checkpoint::verify(&note, &ledger.origin(ChainId::License), &ledger.node_key()).expect("checkpoint verifies")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn proofs_verify_against_checkpoints_and_bit_flips_fail(
        batches in prop::collection::vec(1usize..700, 1..5),
        picks in prop::collection::vec(any::<u64>(), 24),
        bit in 0usize..256,
    ) {
        let total: usize = batches.iter().sum::<usize>().min(2000);
        let t = TestNode::new();
        let mut heads = vec![signed_head(&t)];
        let mut done = 0;
        for (b, size) in batches.iter().enumerate() {
            let n = (*size).min(total - done);
            if n == 0 { break; }
            t.issue_many(&format!("p{b}"), n, 16);
            done += n;
            heads.push(signed_head(&t));
        }
        let ledger = &t.node.ledger;
        let last = heads.last().unwrap().size;
        prop_assert_eq!(last, total as u64 + 2, "genesis and the agency registration precede the issuances");

        for (k, head) in heads.iter().enumerate() {
            // Inclusion of random entries in this checkpoint's tree.
            for pick in picks.iter().take(8) {
                let index = pick % head.size;
                let leaf = EntryHash::of_entry(&ledger.entry(ChainId::License, index).unwrap());
                let proof = ledger.inclusion_proof(ChainId::License, index, head.size).unwrap();
                prop_assert!(proof.verify(&leaf, &head.root).is_ok());
                let mut bad_leaf = leaf;
                flip(&mut bad_leaf.0, bit);
                prop_assert!(proof.verify(&bad_leaf, &head.root).is_err());
                let mut bad_root = head.root;
                flip(&mut bad_root.0, bit);
                prop_assert!(proof.verify(&leaf, &bad_root).is_err());
                if !proof.hashes.is_empty() {
                    let mut bad = proof.clone();
                    let at = (*pick as usize) % bad.hashes.len();
                    flip(&mut bad.hashes[at].0, bit);
                    prop_assert!(bad.verify(&leaf, &head.root).is_err());
                }
            }
            // Consistency from every earlier checkpoint.
            for old in &heads[..=k] {
                let proof = ledger.consistency_proof(ChainId::License, old.size, head.size).unwrap();
                prop_assert!(proof.verify(&old.root, &head.root).is_ok());
                let mut bad_old: RootHash = old.root;
                flip(&mut bad_old.0, bit);
                prop_assert!(proof.verify(&bad_old, &head.root).is_err());
                if let Some(first) = proof.hashes.first() {
                    let mut bad = proof.clone();
                    let mut h: ProofHash = *first;
                    flip(&mut h.0, bit);
                    bad.hashes[0] = h;
                    prop_assert!(bad.verify(&old.root, &head.root).is_err());
                }
            }
        }
    }
}

/// A tree of more than 2^63 entries exists only in a forged checkpoint,
/// but a verifier that takes the signing key from a bundle reads whatever
/// size the bundle's checkpoint states. Proofs in such trees are refused
/// with a reason, never a panic: the path length once shifted a u64 by
/// 64 (found by the `proofs` fuzz target, fuzz/corpus/proofs/extreme*).
#[test]
fn proofs_in_trees_beyond_two_to_the_63_entries_are_refused_without_a_panic() {
    use safebox_chain::proof::{consistency_path_len, inclusion_path_len, ProofError};
    use safebox_chain::{ConsistencyProof, InclusionProof};
    let (leaf, root) = (EntryHash([1; 32]), RootHash([2; 32]));
    let half = 1u64 << 63;
    for (index, size) in [(half - 1, u64::MAX), (u64::MAX - 1, u64::MAX), (0, half + 1), (half, half + 1)] {
        let expected = inclusion_path_len(index, size);
        assert!((1..=64).contains(&expected), "{expected} hashes for index {index} of {size}");
        let proof = InclusionProof { index, size, hashes: vec![ProofHash([3; 32]); expected] };
        assert_eq!(proof.verify(&leaf, &root), Err(ProofError::Mismatch), "index {index} of {size}");
        let short = InclusionProof { hashes: vec![ProofHash([3; 32]); expected - 1], ..proof };
        assert!(matches!(short.verify(&leaf, &root), Err(ProofError::WrongLength { .. })));
    }
    for (from, to) in [(half, u64::MAX), (half + 1, u64::MAX), (1, u64::MAX), (half - 1, half + 1)] {
        let expected = consistency_path_len(from, to);
        assert!((1..=128).contains(&expected), "{expected} hashes from {from} to {to}");
        let proof = ConsistencyProof { from, to, hashes: vec![ProofHash([3; 32]); expected] };
        assert_eq!(proof.verify(&RootHash(leaf.0), &root), Err(ProofError::Mismatch), "from {from} to {to}");
    }
}
