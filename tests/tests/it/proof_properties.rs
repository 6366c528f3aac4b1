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
