//! The service chain's rules as the ledger applies them, beyond what the
//! node's services let through: who may open and erase boxes, which license
//! index an agency key is judged at, and that what was accepted before an
//! agency's key changed still replays after.

use crate::service_support::*;
use ed25519_dalek::SigningKey;
use safebox_api::services::ServiceError;
use safebox_chain::ledger::AppendError;
use safebox_chain::payload::{AgencyKeyRotated, AgencyRetired, BoxErased, BoxOpened, Payload};
use safebox_chain::replay::replay;
use safebox_chain::state::Refusal;
use safebox_chain::{keys, ChainId, Entry, SignedEntry};
use safebox_tests::TestNode;

fn append_refused(t: &TestNode, entry: SignedEntry, check: impl Fn(&Refusal) -> bool) {
    let before = snapshot(t);
    match t.node.ledger.append(entry) {
        Err(AppendError::Refused(r)) if check(&r) => {}
        other => panic!("unexpected answer: {other:?}"),
    }
    assert_eq!(snapshot(t), before, "a refusal wrote something");
}

fn root_entry(t: &TestNode, payload: Payload) -> SignedEntry {
    Entry::new(ChainId::License, &keys::public_key(&t.root), payload).sign(&t.root)
}

#[test]
fn only_the_node_opens_and_erases_boxes() {
    let s = Scene::new();
    let applicant = SigningKey::from_bytes(&[31; 32]);
    let open = Payload::BoxOpened(BoxOpened { box_ref: s.opened.box_ref, applicant_key: keys::public_key(&applicant) });
    let by_agency =
        Entry::new(ChainId::Service, &keys::public_key(&s.t.agency_key), open.clone()).sign(&s.t.agency_key);
    append_refused(&s.t, by_agency, |r| matches!(r, Refusal::NotNode { .. }));
    let by_root = Entry::new(ChainId::Service, &keys::public_key(&s.t.root), open).sign(&s.t.root);
    append_refused(&s.t, by_root, |r| matches!(r, Refusal::NotNode { .. }));
    // A second box cannot take an applicant key already in use (the vault
    // box made for it is erased again).
    let again = s.t.node.open_box(APPLICANT_CODE, Some(s.opened.applicant_key));
    assert!(matches!(again, Err(ServiceError::Refused(Refusal::KeyInUse(_)))), "{again:?}");

    let erase = Payload::BoxErased(BoxErased { box_ref: s.opened.box_ref });
    let by_agency = Entry::new(ChainId::Service, &keys::public_key(&s.t.agency_key), erase).sign(&s.t.agency_key);
    append_refused(&s.t, by_agency, |r| matches!(r, Refusal::NotNode { .. }));
}

#[test]
fn service_kinds_stand_only_on_the_service_chain() {
    let s = Scene::new();
    let erase = Payload::BoxErased(BoxErased { box_ref: s.opened.box_ref });
    assert!(!erase.allowed_on(ChainId::License) && erase.allowed_on(ChainId::Service));
    let node_key = s.t.node.dir.node_key().unwrap();
    let on_license = Entry::new(ChainId::License, &keys::public_key(&node_key), erase).sign(&node_key);
    append_refused(&s.t, on_license, |r| matches!(r, Refusal::WrongChain { .. }));
}

#[test]
fn an_agency_key_is_judged_at_the_license_index_the_use_names() {
    let s = Scene::new();
    let prepared = s.t.node.prepare_use(&s.request(), &keys::public_key(&s.t.agency_key)).unwrap();
    let with_size = |size: u64, key: &SigningKey| {
        let mut entry = prepared.clone();
        if let Payload::DocumentUsed(used) = &mut entry.payload {
            used.license_size = size;
        }
        entry.author = keys::public_key(key).id();
        entry.sign(key)
    };
    let license_size = s.t.node.ledger.head(ChainId::License).unwrap().size;
    let out_of_range = |r: &Refusal| matches!(r, Refusal::LicenseSizeOutOfRange { .. });
    append_refused(&s.t, with_size(0, &s.t.agency_key), out_of_range);
    append_refused(&s.t, with_size(license_size + 1, &s.t.agency_key), out_of_range);
    // Accepted now: replay must accept it after the key is rotated.
    s.t.node.ledger.append(with_size(license_size, &s.t.agency_key)).unwrap();

    let new_key = SigningKey::from_bytes(&[32; 32]);
    let rotate =
        Payload::AgencyKeyRotated(AgencyKeyRotated { agency: s.t.agency.clone(), key: keys::public_key(&new_key) });
    let rotated_at = s.t.node.ledger.append(root_entry(&s.t, rotate)).unwrap().index;
    // The old key, at an index after the rotation: not active.
    append_refused(&s.t, with_size(rotated_at + 1, &s.t.agency_key), |r| matches!(r, Refusal::KeyNotActive { .. }));
    // At an index before it, the chain would accept; the node does not.
    let err = refused_without_trace(&s.t, |out| {
        s.t.node.read_document_as_agency(with_size(license_size, &s.t.agency_key), out).map(|_| ())
    });
    assert!(matches!(err, ServiceError::StaleAgencyKey { .. }), "{err}");
    // The new key is not active before the rotation.
    append_refused(&s.t, with_size(rotated_at, &new_key), |r| matches!(r, Refusal::KeyNotActive { .. }));
    let mut out = Vec::new();
    s.t.node.read_with_agency_key(&s.request(), &new_key, &mut out).unwrap();
    assert_eq!(out, CONTENT);

    // Retired later on the license chain: earlier grants and uses replay.
    s.t.node
        .ledger
        .append(root_entry(&s.t, Payload::AgencyRetired(AgencyRetired { agency: s.t.agency.clone() })))
        .unwrap();
    let err = refused_without_trace(&s.t, |out| s.t.node.read_with_agency_key(&s.request(), &new_key, out).map(|_| ()));
    assert!(matches!(err, ServiceError::StaleAgencyKey { .. }), "{err}");
    replay(s.t.node.ledger.store(), &mut |_, _| {}).unwrap();
}
