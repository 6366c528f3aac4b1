//! Grants: only the box's applicant key gives or withdraws them, whether the
//! node signs with the key the vault holds or the applicant signs on their
//! own device; the chain refuses grants that could not be honoured.

use crate::service_support::*;
use ed25519_dalek::SigningKey;
use safebox_api::services::{GrantTerms, ServiceError, UseRequest};
use safebox_chain::payload::{GrantGiven, Payload};
use safebox_chain::state::Refusal;
use safebox_chain::{keys, AgencyCode, GrantId, Signature, SignedEntry};
use safebox_tests::TestNode;

/// A box whose applicant signs on a device holding `device`.
fn device_box(t: &TestNode, code: &str, device: &SigningKey) -> safebox_api::services::OpenedBox {
    let opened = t.node.open_box(code, Some(keys::public_key(device))).unwrap();
    assert_eq!(opened.applicant_key, keys::public_key(device));
    t.node.upload_document(opened.box_id, &new_document("id-card"), CONTENT).unwrap();
    opened
}

#[test]
fn a_grant_signed_on_the_applicants_device_is_accepted_and_honoured() {
    let t = TestNode::new();
    let device = SigningKey::from_bytes(&[21; 32]);
    let opened = device_box(&t, APPLICANT_CODE, &device);
    let document = t.node.document_ref(opened.box_id, &new_document("id-card").document_type).unwrap();
    let entry = t.node.prepare_grant(opened.box_id, terms(&t, vec![document])).unwrap();
    let Payload::GrantGiven(GrantGiven { grant, .. }) = entry.payload else { panic!("not a grant") };
    t.node.submit_applicant_entry(entry.sign(&device)).unwrap();

    let request = UseRequest {
        box_ref: opened.box_ref,
        grant,
        document,
        agency: t.agency.clone(),
        matter: matter(),
        purpose: purpose(),
    };
    let mut out = Vec::new();
    t.node.read_with_agency_key(&request, &t.agency_key, &mut out).unwrap();
    assert_eq!(out, CONTENT);

    // The node holds no key for this applicant: it will not sign for them.
    let err = refused_without_trace(&t, |_| t.node.give_grant(opened.box_id, terms(&t, vec![document])).map(|_| ()));
    assert!(matches!(err, ServiceError::SignsOnDevice(_)), "{err}");
    // The device withdraws.
    let withdrawal = t.node.prepare_withdrawal(opened.box_id, grant).unwrap();
    t.node.submit_applicant_entry(withdrawal.sign(&device)).unwrap();
    let err = refused_without_trace(&t, |out| t.node.read_with_agency_key(&request, &t.agency_key, out).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::GrantWithdrawn(_))), "{err}");
}

#[test]
fn the_vault_held_key_signs_outside_the_node_too() {
    let s = Scene::new();
    let entry = s.t.node.prepare_grant(s.opened.box_id, terms(&s.t, vec![s.document])).unwrap();
    let signature = Signature(s.t.node.vault.sign_as_applicant(s.opened.box_id, &entry.signing_bytes()).unwrap());
    s.t.node.submit_applicant_entry(SignedEntry { entry, signature }).unwrap();
}

#[test]
fn a_grant_signed_by_anyone_but_the_boxs_applicant_is_refused() {
    let s = Scene::new();
    let entry = s.t.node.prepare_grant(s.opened.box_id, terms(&s.t, vec![s.document])).unwrap();

    // A stranger's key, named as the author.
    let stranger = SigningKey::from_bytes(&[66; 32]);
    let mut by_stranger = entry.clone();
    by_stranger.author = keys::public_key(&stranger).id();
    let err = refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(by_stranger.sign(&stranger)).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::UnknownKey(_))), "{err}");

    // The applicant named as author, a stranger's signature.
    let forged = SignedEntry { signature: entry.clone().sign(&stranger).signature, entry: entry.clone() };
    let err = refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(forged).map(|_| ()));
    assert!(matches!(err, ServiceError::Entry(_)), "{err}");

    // Another box's applicant, signing for this box.
    let other_device = SigningKey::from_bytes(&[67; 32]);
    device_box(&s.t, "91370100MA3C8X4Y2K", &other_device);
    let mut by_other = entry.clone();
    by_other.author = keys::public_key(&other_device).id();
    let err =
        refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(by_other.sign(&other_device)).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::NotTheApplicant { .. })), "{err}");

    // An agency cannot consent for the applicant.
    let mut by_agency = entry;
    by_agency.author = keys::public_key(&s.t.agency_key).id();
    let err =
        refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(by_agency.sign(&s.t.agency_key)).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::NotTheApplicant { .. })), "{err}");
}

#[test]
fn a_grant_that_could_not_be_honoured_is_refused() {
    let s = Scene::new();
    let give =
        |terms: GrantTerms| refused_without_trace(&s.t, |_| s.t.node.give_grant(s.opened.box_id, terms).map(|_| ()));
    let base = terms(&s.t, vec![s.document]);
    type Case = (GrantTerms, fn(&Refusal) -> bool);
    let cases: [Case; 4] = [
        (GrantTerms { documents: vec![], ..base.clone() }, |r| matches!(r, Refusal::Empty(_))),
        (GrantTerms { documents: vec![s.document, s.document], ..base.clone() }, |r| {
            matches!(r, Refusal::DuplicateDocument(_))
        }),
        (GrantTerms { expires: in_ms(0), ..base.clone() }, |r| matches!(r, Refusal::ExpiryNotAfterGiven)),
        (GrantTerms { agency: AgencyCode::with_check_character("12370100MB2855930").unwrap(), ..base.clone() }, |r| {
            matches!(r, Refusal::UnknownAgency(_))
        }),
    ];
    for (terms, check) in cases {
        match give(terms) {
            ServiceError::Refused(r) if check(&r) => {}
            other => panic!("unexpected answer: {other}"),
        }
    }
}

#[test]
fn a_grant_resubmitted_or_dated_away_from_now_is_refused() {
    let s = Scene::new();
    let entry = s.t.node.prepare_grant(s.opened.box_id, terms(&s.t, vec![s.document])).unwrap();
    let sign = |entry: safebox_chain::Entry| {
        let signature = Signature(s.t.node.vault.sign_as_applicant(s.opened.box_id, &entry.signing_bytes()).unwrap());
        SignedEntry { entry, signature }
    };
    s.t.node.submit_applicant_entry(sign(entry.clone())).unwrap();
    let err = refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(sign(entry.clone())).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::GrantExists(_))), "{err}");

    let mut postdated = s.t.node.prepare_grant(s.opened.box_id, terms(&s.t, vec![s.document])).unwrap();
    postdated.time.0 += 3_600_000;
    let err = refused_without_trace(&s.t, |_| s.t.node.submit_applicant_entry(sign(postdated)).map(|_| ()));
    assert!(matches!(err, ServiceError::ClockSkew { .. }), "{err}");

    // Withdrawing a grant that does not exist.
    let err = refused_without_trace(&s.t, |_| s.t.node.withdraw_grant(s.opened.box_id, GrantId([9; 16])).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::UnknownGrant(_))), "{err}");
}
