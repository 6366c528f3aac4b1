//! Proof bundles and offline verification: bundles exported together share
//! their checkpoint and status snapshot; offline verdicts agree with online
//! ones; a verifier verifies each shared note once; and a property: changing
//! any part of a bundle fails the check that rests on that part, while
//! bytes that are not a bundle are refused as unreadable.

use crate::license_support::*;
use base64::prelude::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use safebox_chain::credential::SignedLicense;
use safebox_chain::verify::{
    build_bundles, verify_online, Basis, BundleError, BundleVerifier, CheckName, NodeVerifierKey, ProofBundle,
};
use safebox_tests::TestNode;
use serde_json::Value;
use std::sync::OnceLock;

fn vkey(t: &TestNode) -> String {
    NodeVerifierKey::new(t.node.ledger.node_name(), t.node.ledger.node_key()).to_string()
}

fn bundles(t: &TestNode, credentials: &[SignedLicense]) -> Vec<ProofBundle> {
    build_bundles(&t.node.ledger, &t.node.dir.node_key().unwrap(), credentials).expect("build bundles")
}

#[test]
fn offline_verdicts_agree_with_online_ones_and_shared_notes_are_verified_once() {
    let s = Scenarios::new();
    let cases = s.on_chain_cases();
    let credentials: Vec<SignedLicense> = cases.iter().map(|(_, c, _, _)| (*c).clone()).collect();
    let exported = bundles(&s.t, &credentials);
    assert_eq!(exported.len(), cases.len());
    for b in &exported {
        assert_eq!(b.checkpoint, exported[0].checkpoint);
        assert_eq!(b.status.snapshot, exported[0].status.snapshot);
    }
    let mut verifier = BundleVerifier::trusting(&vkey(&s.t)).unwrap();
    for ((what, credential, failure, words), bundle) in cases.iter().zip(&exported) {
        let verdict = verifier.verify(&bundle.to_json_bytes(), now()).expect("readable");
        assert_eq!(verdict.basis, Basis::TrustedKey { key: vkey(&s.t) });
        assert_eq!(verdict.license.as_ref(), Some(credential.license().identifier()));
        let online = verify_online(&s.t.node.ledger, &credential.canonical_bytes(), now());
        assert_eq!(
            verdict.first_failure().map(|c| c.name),
            online.first_failure().map(|c| c.name),
            "{what}: offline {verdict:#?} online {online:#?}"
        );
        match failure {
            None => assert_valid(&verdict),
            Some(name) => {
                let reason = assert_fails(&verdict, *name, words);
                eprintln!("{what}: {name}: {reason}");
            }
        }
    }
    assert_eq!(verifier.notes_verified(), 2, "one checkpoint and one snapshot for the whole export");
    // A fresh verifier per bundle verifies both notes each time.
    let mut cold = BundleVerifier::trusting(&vkey(&s.t)).unwrap();
    cold.verify(&exported[0].to_json_bytes(), now()).unwrap();
    assert_eq!(cold.notes_verified(), 2);
}

#[test]
fn offline_status_is_as_of_the_snapshot_and_validity_uses_the_time_given() {
    let s = Scenarios::new();
    let exported = bundles(&s.t, &[s.suspended.clone(), s.valid.clone()]);
    let size = s.t.node.ledger.head(safebox_chain::ChainId::License).unwrap().size;
    let mut verifier = BundleVerifier::trusting(&vkey(&s.t)).unwrap();
    let suspended = verifier.verify(&exported[0].to_json_bytes(), now()).unwrap();
    assert_fails(
        &suspended,
        CheckName::Status,
        &[SUSPENSION_REASON, &format!("as of the status snapshot at license-chain size {size}")],
    );
    let valid = verifier.verify(&exported[1].to_json_bytes(), now()).unwrap();
    assert!(valid.check(CheckName::Status).unwrap().text().contains(&format!("license-chain size {size}")));
    let later = verifier.verify(&exported[1].to_json_bytes(), at("2044-01-01T16:00:00Z")).unwrap();
    assert_fails(&later, CheckName::Validity, &["expired since 2044-01-01T16:00:00Z"]);
    let earlier = verifier.verify(&exported[1].to_json_bytes(), at("2024-01-01T15:59:59Z")).unwrap();
    assert_fails(&earlier, CheckName::Validity, &["not yet valid"]);
}

#[test]
fn without_a_trusted_key_the_bundle_key_is_used_and_the_verdict_says_so() {
    let s = Scenarios::new();
    let exported = bundles(&s.t, std::slice::from_ref(&s.valid));
    let mut verifier = BundleVerifier::new(None);
    let verdict = verifier.verify(&exported[0].to_json_bytes(), now()).unwrap();
    assert_valid(&verdict);
    assert_eq!(verdict.basis, Basis::BundleKey { key: vkey(&s.t) });
    assert!(verdict.check(CheckName::OnChain).unwrap().text().contains("taken from the bundle"));
}

/// Without a trusted key, whoever made the bundle signed its checkpoint,
/// and may state any size. A bundle whose checkpoint states 2^64 - 1
/// entries, with proofs for that size, gets a verdict naming what does not
/// hold; it once panicked computing the proofs' length (found by the
/// `proofs` fuzz target).
#[test]
fn a_bundle_stating_a_tree_of_2_to_the_64_entries_gets_a_verdict_not_a_panic() {
    use safebox_chain::checkpoint::{self, TreeHead};
    use safebox_chain::proof::{inclusion_path_len, InclusionProof};
    use safebox_chain::{ChainId, ProofHash, RootHash};
    let s = Scenarios::new();
    let mut bundle = bundles(&s.t, std::slice::from_ref(&s.valid)).remove(0);
    let ledger = &s.t.node.ledger;
    let head = TreeHead { origin: ledger.origin(ChainId::License), size: u64::MAX, root: RootHash([9; 32]) };
    let note = checkpoint::sign(&head, &s.t.node.dir.node_key().unwrap()).unwrap().note;
    bundle.checkpoint = String::from_utf8(note).unwrap();
    for (part, index) in [(&mut bundle.issuance, (1u64 << 63) - 1), (&mut bundle.agency_key, 1 << 62)] {
        let hashes = vec![ProofHash([3; 32]); inclusion_path_len(index, u64::MAX)];
        part.proof = InclusionProof { index, size: u64::MAX, hashes };
    }
    let verdict = BundleVerifier::new(None).verify(&bundle.to_json_bytes(), now()).expect("a bundle");
    assert_fails(&verdict, CheckName::IssuerKey, &["agency key entry is not at license-chain index"]);
    let on_chain = verdict.check(CheckName::OnChain).unwrap();
    assert!(on_chain.failed() && on_chain.text().contains("issuance entry is not at"), "{on_chain:?}");
}

#[test]
fn a_bundle_of_another_node_fails_on_chain_under_the_trusted_key() {
    let s = Scenarios::new();
    let other = TestNode::new();
    let exported = bundles(&s.t, std::slice::from_ref(&s.valid));
    let mut verifier = BundleVerifier::trusting(&vkey(&other)).unwrap();
    let verdict = verifier.verify(&exported[0].to_json_bytes(), now()).unwrap();
    assert_fails(&verdict, CheckName::OnChain, &["checkpoint does not verify"]);
    assert_not_checked(&verdict, CheckName::IssuerKey, CheckName::OnChain);
    assert_not_checked(&verdict, CheckName::Status, CheckName::OnChain);
}

#[test]
fn an_unregistered_agency_cannot_be_bundled_and_fails_issuer_key_in_another_bundle() {
    let s = Scenarios::new();
    let node_key = s.t.node.dir.node_key().unwrap();
    let refused = build_bundles(&s.t.node.ledger, &node_key, &[s.valid.clone(), s.unknown_issuer.clone()]);
    assert!(matches!(refused, Err(BundleError::NotOnChain(_))), "{refused:?}");
    let wrong_key = build_bundles(&s.t.node.ledger, &SigningKey::from_bytes(&[1; 32]), std::slice::from_ref(&s.valid));
    assert!(matches!(wrong_key, Err(BundleError::WrongNodeKey)));

    // The stranger's credential presented with a real bundle's proofs.
    let mut bundle: Value =
        serde_json::from_slice(&bundles(&s.t, std::slice::from_ref(&s.valid))[0].to_json_bytes()).unwrap();
    bundle["credential"] = s.unknown_issuer.to_json();
    let mut verifier = BundleVerifier::trusting(&vkey(&s.t)).unwrap();
    let verdict = verifier.verify(&serde_json::to_vec(&bundle).unwrap(), now()).unwrap();
    assert_fails(&verdict, CheckName::IssuerKey, &["not the credential's key"]);
}

#[test]
fn a_bundle_reads_back_from_its_indented_form_and_other_formats_are_refused() {
    let s = Scenarios::new();
    let bundle = &bundles(&s.t, std::slice::from_ref(&s.valid))[0];
    let mut verifier = BundleVerifier::trusting(&vkey(&s.t)).unwrap();
    assert_valid(&verifier.verify(&bundle.to_json_pretty(), now()).unwrap());
    let mut value: Value = serde_json::from_slice(&bundle.to_json_bytes()).unwrap();
    value["format"] = "safebox-license-bundle/2".into();
    assert!(matches!(verifier.verify(&serde_json::to_vec(&value).unwrap(), now()), Err(BundleError::Format { .. })));
    // A credential with a duplicated member is refused by the strict reading.
    let text = String::from_utf8(bundle.to_json_bytes()).unwrap();
    let doubled = text.replacen("\"holderName\":", "\"holderName\":\"某人\",\"holderName\":", 1);
    let verdict = verifier.verify(doubled.as_bytes(), now()).unwrap();
    assert_fails(&verdict, CheckName::Signature, &["duplicate"]);
}

#[test]
fn bytes_that_are_not_a_bundle_are_unreadable() {
    let mut verifier = BundleVerifier::new(None);
    for garbage in
        [&b""[..], b"\x00\xff", b"null", b"[]", b"{}", b"{\"format\":\"safebox-license-bundle/1\"}", b"\"text\""]
    {
        assert!(matches!(verifier.verify(garbage, now()), Err(BundleError::Unreadable(_))), "{garbage:?}");
    }
}

/// One export of five licenses from a node that is gone: the bundle of
/// the third, as JSON, and the node's verifier key.
struct Fixture {
    bundle: Value,
    vkey: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let t = TestNode::new();
        let credentials: Vec<SignedLicense> = (0..5).map(|i| issued(&t, &format!("P{i}"))).collect();
        let exported = bundles(&t, &credentials);
        let bundle = serde_json::from_slice(&exported[2].to_json_bytes()).unwrap();
        let fixture = Fixture { bundle, vkey: vkey(&t) };
        let mut verifier = BundleVerifier::trusting(&fixture.vkey).unwrap();
        assert_valid(&verifier.verify(&serde_json::to_vec(&fixture.bundle).unwrap(), now()).unwrap());
        fixture
    })
}

/// A change to one part of a bundle, and the check that part is for.
#[derive(Clone, Debug)]
enum Change {
    /// Replace one character of one string member of the credential.
    Credential { member: usize, at: usize },
    /// Flip a bit of one ASCII byte of a note (`checkpoint` or the
    /// snapshot) or of the bundle's node key.
    Text { part: &'static str, at: usize, bit: u8 },
    /// Flip a bit of an entry's bytes (`issuance` or `agency_key`).
    Entry { part: &'static str, at: usize, bit: u8 },
    /// Flip a bit of one hash of a proof (`issuance`, `agency_key`, `status`).
    ProofHash { part: &'static str, hash: usize, at: usize, bit: u8 },
    /// Move a proof's index or size.
    ProofNumber { part: &'static str, field: &'static str, by: u64 },
    /// Change one member of the status leaf.
    Leaf { member: &'static str },
}

fn part_pointer(part: &str) -> &'static str {
    match part {
        "checkpoint" => "/checkpoint",
        "snapshot" => "/status/snapshot",
        "node_key" => "/node_key",
        "issuance" => "/issuance",
        "agency_key" => "/agency_key",
        "status" => "/status",
        other => panic!("no part {other}"),
    }
}

fn expected(change: &Change) -> CheckName {
    let part = match change {
        Change::Credential { .. } => return CheckName::Signature,
        Change::Leaf { .. } => return CheckName::Status,
        Change::Text { part, .. }
        | Change::Entry { part, .. }
        | Change::ProofHash { part, .. }
        | Change::ProofNumber { part, .. } => *part,
    };
    match part {
        "checkpoint" | "node_key" | "issuance" => CheckName::OnChain,
        "agency_key" => CheckName::IssuerKey,
        "snapshot" | "status" => CheckName::Status,
        other => panic!("no part {other}"),
    }
}

fn string_members(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(path),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| string_members(v, format!("{path}/{i}"), out))
        }
        Value::Object(members) => members
            .iter()
            .for_each(|(k, v)| string_members(v, format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
        _ => {}
    }
}

fn flip_base64(text: &str, at: usize, bit: u8) -> String {
    let mut bytes = BASE64_STANDARD.decode(text).unwrap();
    let at = at % bytes.len();
    bytes[at] ^= 1 << bit;
    BASE64_STANDARD.encode(bytes)
}

/// Applies the change; `None` when it does not apply to this bundle (an
/// empty proof).
fn apply(bundle: &Value, change: &Change) -> Option<Value> {
    let mut b = bundle.clone();
    match change {
        Change::Credential { member, at } => {
            let mut members = Vec::new();
            string_members(&b["credential"], "/credential".into(), &mut members);
            let pointer = &members[member % members.len()];
            let text = b.pointer_mut(pointer).unwrap();
            let mut chars: Vec<char> = text.as_str().unwrap().chars().collect();
            let at = at % chars.len();
            chars[at] = if chars[at] == 'X' { 'Y' } else { 'X' };
            *text = Value::String(chars.into_iter().collect());
        }
        Change::Text { part, at, bit } => {
            let text = b.pointer_mut(part_pointer(part)).unwrap();
            let mut bytes = text.as_str().unwrap().as_bytes().to_vec();
            let ascii: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii()).collect();
            bytes[ascii[at % ascii.len()]] ^= 1 << (bit % 7);
            *text = Value::String(String::from_utf8(bytes).unwrap());
        }
        Change::Entry { part, at, bit } => {
            let entry = b.pointer_mut(&format!("{}/entry", part_pointer(part))).unwrap();
            *entry = Value::String(flip_base64(entry.as_str().unwrap(), *at, *bit));
        }
        Change::ProofHash { part, hash, at, bit } => {
            let hashes =
                b.pointer_mut(&format!("{}/proof/hashes", part_pointer(part))).unwrap().as_array_mut().unwrap();
            if hashes.is_empty() {
                return None;
            }
            let n = hash % hashes.len();
            hashes[n] = Value::String(flip_base64(hashes[n].as_str().unwrap(), *at, *bit));
        }
        Change::ProofNumber { part, field, by } => {
            let number = b.pointer_mut(&format!("{}/proof/{field}", part_pointer(part))).unwrap();
            *number = Value::from(number.as_u64().unwrap() + by);
        }
        Change::Leaf { member } => {
            let leaf = &mut b["status"]["leaf"];
            leaf[*member] = match *member {
                "license" => "TEST-ANOTHER-LICENSE".into(),
                "status" => "suspended".into(),
                "reason" => "changed".into(),
                "changed_at" => 3.into(),
                other => panic!("no leaf member {other}"),
            };
        }
    }
    Some(b)
}

fn change() -> impl Strategy<Value = Change> {
    let part3 = prop_oneof![Just("issuance"), Just("agency_key"), Just("status")];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(member, at)| Change::Credential { member, at }),
        (prop_oneof![Just("checkpoint"), Just("snapshot"), Just("node_key")], any::<usize>(), 0u8..7)
            .prop_map(|(part, at, bit)| Change::Text { part, at, bit }),
        (prop_oneof![Just("issuance"), Just("agency_key")], any::<usize>(), 0u8..8)
            .prop_map(|(part, at, bit)| Change::Entry { part, at, bit }),
        (part3.clone(), any::<usize>(), any::<usize>(), 0u8..8).prop_map(|(part, hash, at, bit)| Change::ProofHash {
            part,
            hash,
            at,
            bit
        }),
        (part3, prop_oneof![Just("index"), Just("size")], 1u64..5).prop_map(|(part, field, by)| Change::ProofNumber {
            part,
            field,
            by
        }),
        prop_oneof![Just("license"), Just("status"), Just("reason"), Just("changed_at")]
            .prop_map(|member| Change::Leaf { member }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn changing_any_part_of_a_bundle_fails_the_check_resting_on_it(change in change()) {
        let f = fixture();
        let Some(changed) = apply(&f.bundle, &change) else { return Ok(()) };
        prop_assume!(changed != f.bundle);
        let bytes = serde_json::to_vec(&changed).unwrap();
        // The node key in the bundle counts only for a verifier without one
        // of its own.
        let mut verifier = match &change {
            Change::Text { part: "node_key", .. } => BundleVerifier::new(None),
            _ => BundleVerifier::trusting(&f.vkey).unwrap(),
        };
        let verdict = verifier.verify(&bytes, now()).expect("a changed bundle is still readable");
        prop_assert!(!verdict.is_valid(), "{change:?} went unnoticed");
        let first = verdict.first_failure().unwrap();
        prop_assert_eq!(first.name, expected(&change), "{:?}: {:#?}", change, verdict);
    }

    #[test]
    fn bytes_that_are_not_a_bundle_are_refused_as_unreadable(garbage in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut verifier = BundleVerifier::trusting(&fixture().vkey).unwrap();
        prop_assert!(verifier.verify(&garbage, now()).is_err());
    }

    #[test]
    fn a_truncated_bundle_is_unreadable(keep in 0usize..100_000) {
        let bytes = serde_json::to_vec(&fixture().bundle).unwrap();
        let keep = keep % bytes.len();
        let mut verifier = BundleVerifier::trusting(&fixture().vkey).unwrap();
        prop_assert!(matches!(verifier.verify(&bytes[..keep], now()), Err(BundleError::Unreadable(_))));
    }
}
