//! The license chain's rules: who may sign what, every lifecycle transition
//! and every refusal. A refused entry is answered with its reason and
//! changes nothing.

use ed25519_dalek::SigningKey;
use safebox_chain::ledger::AppendError;
use safebox_chain::payload::{AgencyKeyRotated, AgencyRegistered, AgencyRetired, LicenseStatusChange, Payload};
use safebox_chain::replay::replay;
use safebox_chain::state::{self, LicenseStatus, Refusal};
use safebox_chain::{keys, AgencyCode, ChainId, Entry, LicenseId, SignedEntry};
use safebox_tests::TestNode;

fn size(t: &TestNode) -> u64 {
    t.node.ledger.head(ChainId::License).unwrap().size
}

/// Appends and expects a refusal matching `check`, with nothing written.
fn refused(t: &TestNode, entry: SignedEntry, check: impl Fn(&AppendError) -> bool) {
    let before = (size(t), t.node.ledger.head(ChainId::Service).unwrap().size);
    let err = t.node.ledger.append(entry).expect_err("must be refused");
    assert!(check(&err), "unexpected refusal: {err}");
    assert_eq!(before, (size(t), t.node.ledger.head(ChainId::Service).unwrap().size), "a refusal wrote something");
}

fn change(key: &SigningKey, serial: &str, make: fn(LicenseStatusChange) -> Payload) -> SignedEntry {
    let c = LicenseStatusChange {
        license: LicenseId::parse(&format!("TEST-{serial}")).unwrap(),
        reason: "检查发现问题".into(),
    };
    Entry::new(ChainId::License, &keys::public_key(key), make(c)).sign(key)
}

fn status(t: &TestNode, serial: &str) -> LicenseStatus {
    let id = LicenseId::parse(&format!("TEST-{serial}")).unwrap();
    state::license(&t.node.ledger.store().state(), &id).unwrap().unwrap().status
}

fn root_entry(t: &TestNode, payload: Payload) -> SignedEntry {
    Entry::new(ChainId::License, &keys::public_key(&t.root), payload).sign(&t.root)
}

#[test]
fn every_legal_transition_is_taken_and_every_illegal_one_refused() {
    let t = TestNode::new();
    let k = t.agency_key.clone();
    t.node.ledger.append(t.issuance("1")).unwrap();
    assert_eq!(status(&t, "1"), LicenseStatus::Valid);

    let illegal = |e: &AppendError| matches!(e, AppendError::Refused(Refusal::IllegalTransition { .. }));
    refused(&t, change(&k, "1", Payload::LicenseResumed), illegal);
    t.node.ledger.append(change(&k, "1", Payload::LicenseSuspended)).unwrap();
    assert_eq!(status(&t, "1"), LicenseStatus::Suspended);
    refused(&t, change(&k, "1", Payload::LicenseSuspended), illegal);
    t.node.ledger.append(change(&k, "1", Payload::LicenseResumed)).unwrap();
    assert_eq!(status(&t, "1"), LicenseStatus::Valid);
    t.node.ledger.append(change(&k, "1", Payload::LicenseRevoked)).unwrap();
    assert_eq!(status(&t, "1"), LicenseStatus::Revoked);
    for make in [Payload::LicenseSuspended, Payload::LicenseResumed, Payload::LicenseRevoked, Payload::LicenseCancelled]
    {
        refused(&t, change(&k, "1", make), illegal);
    }

    t.node.ledger.append(t.issuance("2")).unwrap();
    t.node.ledger.append(change(&k, "2", Payload::LicenseSuspended)).unwrap();
    t.node.ledger.append(change(&k, "2", Payload::LicenseCancelled)).unwrap();
    assert_eq!(status(&t, "2"), LicenseStatus::Cancelled);
    refused(&t, change(&k, "2", Payload::LicenseResumed), illegal);

    refused(&t, change(&k, "nope", Payload::LicenseSuspended), |e| {
        matches!(e, AppendError::Refused(Refusal::UnknownLicense(_)))
    });
    refused(&t, t.issuance("2"), |e| matches!(e, AppendError::Refused(Refusal::LicenseExists(_))));
    assert!(replay(t.node.ledger.store(), &mut |_, _| {}).is_ok());
}

#[test]
fn only_the_root_authority_manages_agencies() {
    let t = TestNode::new();
    let other = AgencyCode::with_check_character("12370100MB2855920").unwrap();
    let new_key = SigningKey::from_bytes(&[42; 32]);
    let register = Payload::AgencyRegistered(AgencyRegistered {
        agency: other.clone(),
        name: "另一个部门".into(),
        key: keys::public_key(&new_key),
    });
    let by_agency =
        Entry::new(ChainId::License, &keys::public_key(&t.agency_key), register.clone()).sign(&t.agency_key);
    refused(&t, by_agency, |e| matches!(e, AppendError::Refused(Refusal::NotRoot { .. })));
    t.node.ledger.append(root_entry(&t, register.clone())).unwrap();
    refused(&t, root_entry(&t, register), |e| matches!(e, AppendError::Refused(Refusal::AgencyExists(_))));

    // An unknown key cannot author anything.
    let stranger = SigningKey::from_bytes(&[1; 32]);
    let retire = Payload::AgencyRetired(AgencyRetired { agency: other });
    let entry = Entry::new(ChainId::License, &keys::public_key(&stranger), retire).sign(&stranger);
    refused(&t, entry, |e| matches!(e, AppendError::Refused(Refusal::UnknownKey(_))));
}

#[test]
fn one_agency_cannot_change_another_agencys_license() {
    let t = TestNode::new();
    let other = AgencyCode::with_check_character("12370100MB2855920").unwrap();
    let other_key = SigningKey::from_bytes(&[43; 32]);
    t.node
        .ledger
        .append(root_entry(
            &t,
            Payload::AgencyRegistered(AgencyRegistered {
                agency: other,
                name: "另一个部门".into(),
                key: keys::public_key(&other_key),
            }),
        ))
        .unwrap();
    t.node.ledger.append(t.issuance("x")).unwrap();
    refused(&t, change(&other_key, "x", Payload::LicenseRevoked), |e| {
        matches!(e, AppendError::Refused(Refusal::NotTheAgency { .. }))
    });
    assert_eq!(status(&t, "x"), LicenseStatus::Valid);
}

#[test]
fn rotation_keeps_earlier_signatures_and_ends_the_old_key() {
    let mut t = TestNode::new();
    t.node.ledger.append(t.issuance("before")).unwrap();
    let new_key = SigningKey::from_bytes(&[44; 32]);
    t.node
        .ledger
        .append(root_entry(
            &t,
            Payload::AgencyKeyRotated(AgencyKeyRotated { agency: t.agency.clone(), key: keys::public_key(&new_key) }),
        ))
        .unwrap();
    // The old key can no longer sign.
    refused(&t, t.issuance("old-key"), |e| matches!(e, AppendError::Refused(Refusal::KeyNotActive { .. })));
    // What it signed before the rotation stays valid.
    assert_eq!(status(&t, "before"), LicenseStatus::Valid);
    // The new key signs from now on, including changes to earlier licenses.
    let old_key = std::mem::replace(&mut t.agency_key, new_key);
    t.node.ledger.append(t.issuance("after")).unwrap();
    t.node.ledger.append(change(&t.agency_key, "before", Payload::LicenseSuspended)).unwrap();
    refused(&t, change(&old_key, "before", Payload::LicenseResumed), |e| {
        matches!(e, AppendError::Refused(Refusal::KeyNotActive { .. }))
    });
    // Retirement ends the agency.
    t.node.ledger.append(root_entry(&t, Payload::AgencyRetired(AgencyRetired { agency: t.agency.clone() }))).unwrap();
    refused(&t, t.issuance("retired"), |e| matches!(e, AppendError::Refused(Refusal::AgencyRetired(_))));
    assert!(replay(t.node.ledger.store(), &mut |_, _| {}).is_ok());
}

#[test]
fn renewal_links_the_previous_version_once() {
    let t = TestNode::new();
    t.node.ledger.append(t.issuance("v1")).unwrap();
    let renewal = |serial: &str, previous: &str| {
        let SignedEntry { entry, .. } = t.issuance(serial);
        let Payload::LicenseIssued(mut issued) = entry.payload else { unreachable!() };
        issued.previous = Some(LicenseId::parse(&format!("TEST-{previous}")).unwrap());
        Entry::new(ChainId::License, &keys::public_key(&t.agency_key), Payload::LicenseRenewed(issued))
            .sign(&t.agency_key)
    };
    t.node.ledger.append(renewal("v2", "v1")).unwrap();
    refused(&t, renewal("v3", "v1"), |e| matches!(e, AppendError::Refused(Refusal::AlreadyRenewed(_))));
    t.node.ledger.append(change(&t.agency_key, "v2", Payload::LicenseRevoked)).unwrap();
    refused(&t, renewal("v3", "v2"), |e| matches!(e, AppendError::Refused(Refusal::IllegalTransition { .. })));
    refused(&t, renewal("v3", "missing"), |e| matches!(e, AppendError::Refused(Refusal::UnknownLicense(_))));
    // An issuance may not carry a previous link.
    let SignedEntry { entry, .. } = renewal("v4", "v1");
    let Payload::LicenseRenewed(issued) = entry.payload else { unreachable!() };
    let plain = Entry::new(ChainId::License, &keys::public_key(&t.agency_key), Payload::LicenseIssued(issued))
        .sign(&t.agency_key);
    refused(&t, plain, |e| matches!(e, AppendError::Refused(Refusal::RenewalLink)));
}

#[test]
fn bad_signatures_genesis_replays_and_wrong_chains_are_refused() {
    let t = TestNode::new();
    let mut forged = t.issuance("forged");
    forged.signature.0[5] ^= 1;
    refused(&t, forged, |e| matches!(e, AppendError::Entry(_)));

    let g = state::genesis(&t.node.ledger.store().state()).unwrap().unwrap();
    refused(&t, root_entry(&t, Payload::Genesis(g)), |e| {
        matches!(e, AppendError::Refused(Refusal::GenesisNotFirst(_)))
    });

    let mut on_service = t.issuance("svc");
    on_service.entry.chain = ChainId::Service;
    let on_service = on_service.entry.sign(&t.agency_key);
    let bytes = on_service.canonical_bytes();
    refused(&t, on_service, |e| matches!(e, AppendError::Refused(Refusal::WrongChain { .. })));
    assert!(SignedEntry::from_json(&bytes).is_err(), "a license kind may not stand on the service chain");
}

/// The checkpoint the ledger serves never states a size beyond its
/// published head, even while appends commit: a reader who takes it and
/// asks at once for a proof at its size is answered. (The database holds a
/// commit's checkpoint before the heads are published; serving it from
/// there failed such proofs under load.)
#[test]
fn the_served_checkpoint_never_runs_ahead_of_the_head() {
    use safebox_chain::checkpoint;
    use std::sync::atomic::{AtomicBool, Ordering};
    let t = TestNode::new();
    let ledger = &t.node.ledger;
    let origin = ledger.origin(ChainId::License);
    let done = AtomicBool::new(false);
    let mut reads = 0u64;
    std::thread::scope(|s| {
        s.spawn(|| {
            t.issue_many("race", 3000, 8);
            done.store(true, Ordering::SeqCst);
        });
        while !done.load(Ordering::SeqCst) {
            let note = ledger.checkpoint(ChainId::License).unwrap().expect("a checkpoint");
            let tree = checkpoint::verify(&note, &origin, &ledger.node_key()).unwrap();
            let proof = ledger.inclusion_proof(ChainId::License, tree.size - 1, tree.size);
            assert!(proof.is_ok(), "a proof at the served checkpoint's size {} failed: {:?}", tree.size, proof.err());
            reads += 1;
        }
    });
    assert!(reads > 0);
    let note = ledger.checkpoint(ChainId::License).unwrap().unwrap();
    let tree = checkpoint::verify(&note, &origin, &ledger.node_key()).unwrap();
    assert_eq!(tree.size, size(&t), "once appends stop, the checkpoint is the head");
}

/// RFC 8785 writes numbers as IEEE doubles, so an integer beyond 2^53 - 1
/// would be signed and stored as a nearby other number than the one the
/// node applied, and replay would then disagree with the node's state.
/// Such an entry is refused, from a client's JSON and as a typed append,
/// and nothing is written (found by the `entry` fuzz target).
#[test]
fn an_entry_holding_a_number_beyond_two_to_the_53_is_refused() {
    use safebox_chain::entry::{EntryError, MAX_EXACT_INTEGER};
    use safebox_chain::Timestamp;
    let t = TestNode::new();
    let mut entry = t.issuance("huge").entry;
    let Payload::LicenseIssued(issued) = &mut entry.payload else { unreachable!("an issuance") };
    issued.valid_from = Timestamp(179_544_961_111_101_615);
    let signed = entry.clone().sign(&t.agency_key);
    refused(&t, signed.clone(), |e| matches!(e, AppendError::Entry(EntryError::InexactNumber)));
    // The same entry as JSON text, as a client would post it.
    let text = serde_json::to_string(&serde_json::json!({
        "author": signed.entry.author.as_str(), "chain": "license", "kind": "license.issued",
        "body": serde_json::to_value(&signed.entry.payload).unwrap()["body"],
        "sig": signed.signature, "time": signed.entry.time,
    }))
    .unwrap();
    assert!(text.contains("179544961111101615"), "{text}");
    assert_eq!(SignedEntry::from_json(text.as_bytes()), Err(EntryError::InexactNumber));
    // The entry time too; and the largest exact integer is still accepted.
    let mut late = t.issuance("late").entry;
    late.time = Timestamp(MAX_EXACT_INTEGER + 1);
    refused(&t, late.sign(&t.agency_key), |e| matches!(e, AppendError::Entry(EntryError::InexactNumber)));
    let mut edge = t.issuance("edge").entry;
    let Payload::LicenseIssued(issued) = &mut edge.payload else { unreachable!("an issuance") };
    issued.valid_from = Timestamp(MAX_EXACT_INTEGER);
    t.node.ledger.append(edge.sign(&t.agency_key)).expect("2^53 - 1 is written exactly");
    replay(t.node.ledger.store(), &mut |_, _| {}).expect("replay agrees with what was accepted");
}
