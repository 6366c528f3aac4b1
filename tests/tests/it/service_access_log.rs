//! The applicant's access log lists every use of their documents (agency,
//! matter, purpose, time) and nothing else, each with an inclusion proof
//! that verifies against the service chain's signed checkpoint.

use crate::service_support::*;
use safebox_chain::checkpoint;
use safebox_chain::{ChainId, EntryHash, Timestamp};

#[test]
fn the_access_log_lists_every_use_with_a_proof_against_the_signed_checkpoint() {
    let s = Scene::new();
    let (other, other_key) = s.t.register_agency("12370100MB2855920", 52);
    let by_other = s.t.node.give_grant(
        s.opened.box_id,
        safebox_api::services::GrantTerms { agency: other.clone(), ..terms(&s.t, vec![s.document]) },
    );
    let other_request =
        safebox_api::services::UseRequest { grant: by_other.unwrap().grant, agency: other, ..s.request() };

    // Another applicant's box, read too: its uses are not in this log.
    let second = s.t.node.open_box("91370100MA3C8X4Y2K", None).unwrap();
    s.t.node.upload_document(second.box_id, &new_document("lease"), &b"lease"[..]).unwrap();
    let lease = s.t.node.document_ref(second.box_id, &new_document("lease").document_type).unwrap();
    let grant = s.t.node.give_grant(second.box_id, terms(&s.t, vec![lease])).unwrap().grant;
    let second_request =
        safebox_api::services::UseRequest { box_ref: second.box_ref, grant, document: lease, ..s.request() };

    let started = Timestamp::now();
    let mut indexes = Vec::new();
    for round in 0..3 {
        indexes.push(
            s.t.node.read_with_agency_key(&s.request(), &s.t.agency_key, &mut Vec::new()).unwrap().appended.index,
        );
        s.t.node.read_with_agency_key(&second_request, &s.t.agency_key, &mut Vec::new()).unwrap();
        if round == 1 {
            indexes.push(
                s.t.node.read_with_agency_key(&other_request, &other_key, &mut Vec::new()).unwrap().appended.index,
            );
        }
    }

    let log = s.t.node.access_log(s.opened.box_id).unwrap();
    assert_eq!(log.uses.iter().map(|u| u.index).collect::<Vec<_>>(), indexes);

    // Check the checkpoint as an applicant would: with the node's key only.
    let ledger = &s.t.node.ledger;
    let tree = checkpoint::verify(&log.checkpoint, &ledger.origin(ChainId::Service), &ledger.node_key()).unwrap();
    assert_eq!(tree, log.tree);
    for u in &log.uses {
        u.proof.verify(&EntryHash::of_entry(&u.entry), &tree.root).unwrap();
        assert_eq!(u.proof.size, tree.size);
        assert_eq!(u.used.box_ref, s.opened.box_ref);
        assert_eq!((&u.used.matter, &u.used.purpose), (&matter(), &purpose()));
        assert!(u.time >= started && u.time <= Timestamp::now());
    }
    let agencies: Vec<_> = log.uses.iter().map(|u| u.used.agency.clone()).collect();
    assert_eq!(agencies.iter().filter(|a| **a == s.t.agency).count(), 3);
    assert_eq!(agencies.len(), 4);

    // A proof does not stand for another entry.
    let (a, b) = (&log.uses[0], &log.uses[1]);
    assert!(a.proof.verify(&b.leaf(), &tree.root).is_err());
}

#[test]
fn a_box_never_read_has_an_empty_log() {
    let s = Scene::new();
    let log = s.t.node.access_log(s.opened.box_id).unwrap();
    assert!(log.uses.is_empty());
    assert_eq!(log.tree.size, s.t.node.ledger.head(ChainId::Service).unwrap().size);
}
