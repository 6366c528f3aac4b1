//! The access matrix: an agency reads a document only under a live grant
//! for that document, matter, purpose and agency, and the read is on the
//! service chain before the first byte is handed out. Every other case is
//! refused with the chain's reason and leaves no trace.

use crate::service_support::*;
use safebox_api::services::{GrantTerms, ServiceError, UseRequest, MAX_CLOCK_SKEW_MS};
use safebox_chain::payload::Payload;
use safebox_chain::state::Refusal;
use safebox_chain::{keys, ChainId, Entry, GrantId, MatterCode, Purpose};

#[test]
fn a_read_under_a_live_grant_is_recorded_before_the_first_byte() {
    let s = Scene::new();
    let mut out = ChainWitness::new(&s.t.node.ledger);
    let receipt = s.t.node.read_with_agency_key(&s.request(), &s.t.agency_key, &mut out).unwrap();
    assert_eq!(out.bytes, CONTENT);
    assert_eq!(out.use_on_chain_at_first_byte, Some(true), "bytes reached the agency before the use entry");
    assert_eq!(receipt.document.version, s.meta.version);

    let (_, entry) = service_entries(&s.t.node.ledger).pop().unwrap();
    assert_eq!(receipt.appended.index + 1, s.t.node.ledger.head(ChainId::Service).unwrap().size);
    let Payload::DocumentUsed(used) = entry.entry.payload else {
        panic!("last entry is {}", entry.entry.payload.kind())
    };
    assert_eq!((used.grant, used.box_ref, used.document), (s.grant, s.opened.box_ref, s.document));
    assert_eq!((used.agency, used.matter, used.purpose), (s.t.agency.clone(), matter(), purpose()));
    assert_eq!(entry.entry.author, keys::public_key(&s.t.agency_key).id());
}

fn assert_refused(s: &Scene, request: &UseRequest, check: impl Fn(&Refusal) -> bool) {
    let err =
        refused_without_trace(&s.t, |out| s.t.node.read_with_agency_key(request, &s.t.agency_key, out).map(|_| ()));
    match &err {
        ServiceError::Refused(r) if check(r) => {}
        other => panic!("unexpected answer: {other}"),
    }
}

#[test]
fn a_read_without_a_grant_is_refused() {
    let s = Scene::new();
    let request = UseRequest { grant: GrantId([1; 16]), ..s.request() };
    assert_refused(&s, &request, |r| matches!(r, Refusal::UnknownGrant(g) if *g == GrantId([1; 16])));
}

#[test]
fn a_read_under_an_expired_grant_is_refused() {
    let s = Scene::new();
    let short = terms(&s.t, vec![s.document]);
    let grant = s.t.node.give_grant(s.opened.box_id, GrantTerms { expires: in_ms(300), ..short }).unwrap().grant;
    std::thread::sleep(std::time::Duration::from_millis(400));
    let request = UseRequest { grant, ..s.request() };
    assert_refused(&s, &request, |r| matches!(r, Refusal::GrantExpired { .. }));
}

#[test]
fn a_read_under_a_withdrawn_grant_is_refused() {
    let s = Scene::new();
    s.t.node.withdraw_grant(s.opened.box_id, s.grant).unwrap();
    assert_refused(&s, &s.request(), |r| matches!(r, Refusal::GrantWithdrawn(g) if *g == s.grant));
    // Withdrawn once is withdrawn for good.
    let err = refused_without_trace(&s.t, |_| s.t.node.withdraw_grant(s.opened.box_id, s.grant).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::GrantWithdrawn(_))), "{err}");
}

#[test]
fn a_read_for_another_matter_or_purpose_is_refused() {
    let s = Scene::new();
    let other = UseRequest { matter: MatterCode::parse("370100-SL-0002").unwrap(), ..s.request() };
    assert_refused(&s, &other, |r| matches!(r, Refusal::OtherMatter { .. }));
    let other = UseRequest { purpose: Purpose::parse("其他用途").unwrap(), ..s.request() };
    assert_refused(&s, &other, |r| matches!(r, Refusal::OtherPurpose { .. }));
}

#[test]
fn a_read_of_another_document_is_refused() {
    let s = Scene::new();
    let lease = s.t.node.upload_document(s.opened.box_id, &new_document("lease"), &b"lease"[..]).unwrap();
    let document = s.t.node.document_ref(s.opened.box_id, &lease.document_type).unwrap();
    let request = UseRequest { document, ..s.request() };
    assert_refused(&s, &request, |r| matches!(r, Refusal::DocumentNotGranted { document: d, .. } if *d == document));
}

#[test]
fn another_agency_cannot_read_under_the_grant() {
    let s = Scene::new();
    let (other, other_key) = s.t.register_agency("12370100MB2855920", 51);
    // Naming itself: the grant is for the test agency.
    let request = UseRequest { agency: other.clone(), ..s.request() };
    let err = refused_without_trace(&s.t, |out| s.t.node.read_with_agency_key(&request, &other_key, out).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::GrantForOtherAgency { .. })), "{err}");
    // Posing as the granted agency: its key does not sign for it.
    let err =
        refused_without_trace(&s.t, |out| s.t.node.read_with_agency_key(&s.request(), &other_key, out).map(|_| ()));
    assert!(matches!(err, ServiceError::Refused(Refusal::NotTheAgency { .. })), "{err}");
}

#[test]
fn an_erased_box_cannot_be_read() {
    let s = Scene::new();
    s.t.node.erase_box(s.opened.box_id).unwrap().expect("erasure recorded");
    assert_refused(&s, &s.request(), |r| matches!(r, Refusal::BoxErased(b) if *b == s.opened.box_ref));
}

#[test]
fn a_use_signed_by_the_agency_is_accepted_and_a_tampered_one_is_not() {
    let s = Scene::new();
    let key = keys::public_key(&s.t.agency_key);
    let entry = s.t.node.prepare_use(&s.request(), &key).unwrap();
    // The agency changes the matter after the node prepared the entry.
    let mut changed = entry.clone();
    if let Payload::DocumentUsed(used) = &mut changed.payload {
        used.matter = MatterCode::parse("370100-SL-0009").unwrap();
    }
    let err = refused_without_trace(&s.t, |out| {
        s.t.node.read_document_as_agency(changed.clone().sign(&s.t.agency_key), out).map(|_| ())
    });
    assert!(matches!(err, ServiceError::Refused(Refusal::OtherMatter { .. })), "{err}");
    // A signature by another key over the agency's entry.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let forged =
        safebox_chain::SignedEntry { signature: entry.clone().sign(&stranger).signature, entry: entry.clone() };
    let err = refused_without_trace(&s.t, |out| s.t.node.read_document_as_agency(forged.clone(), out).map(|_| ()));
    assert!(matches!(err, ServiceError::Entry(_)), "{err}");
    // Backdated beyond the node's tolerance.
    let mut old = entry.clone();
    old.time.0 -= MAX_CLOCK_SKEW_MS + 60_000;
    let err = refused_without_trace(&s.t, |out| {
        s.t.node.read_document_as_agency(old.clone().sign(&s.t.agency_key), out).map(|_| ())
    });
    assert!(matches!(err, ServiceError::ClockSkew { .. }), "{err}");
    // Only a use is a read.
    let withdrawal = Entry::new(
        ChainId::Service,
        &key,
        Payload::GrantWithdrawn(safebox_chain::payload::GrantWithdrawn { grant: s.grant }),
    );
    let err = refused_without_trace(&s.t, |out| {
        s.t.node.read_document_as_agency(withdrawal.sign(&s.t.agency_key), out).map(|_| ())
    });
    assert!(matches!(err, ServiceError::WrongKind { .. }), "{err}");
    // The entry as prepared, signed on the agency's side, is read.
    let mut out = Vec::new();
    s.t.node.read_document_as_agency(entry.sign(&s.t.agency_key), &mut out).unwrap();
    assert_eq!(out, CONTENT);
}

#[test]
fn a_grant_of_one_box_does_not_open_another() {
    let s = Scene::new();
    let second = s.t.node.open_box("91370100MA3C8X4Y2K", None).unwrap();
    s.t.node.upload_document(second.box_id, &new_document("id-card"), &b"another applicant"[..]).unwrap();
    let request = UseRequest { box_ref: second.box_ref, ..s.request() };
    assert_refused(&s, &request, |r| matches!(r, Refusal::GrantForOtherBox { .. }));
}

/// A use names the version it was prepared for by commitment; a newer
/// version uploaded between preparing and reading does not change what
/// the agency gets (the node looks for it newest first).
#[test]
fn a_read_serves_the_version_its_use_names_even_after_a_newer_upload() {
    let s = Scene::new();
    let prepared = s.t.node.prepare_use(&s.request(), &keys::public_key(&s.t.agency_key)).unwrap();
    let newer = s.t.node.upload_document(s.opened.box_id, &new_document("id-card"), &b"a newer id card"[..]).unwrap();
    assert_eq!(newer.document, s.meta.document);
    assert!(newer.version > s.meta.version);

    let mut out = ChainWitness::new(&s.t.node.ledger);
    let receipt = s.t.node.read_document_as_agency(prepared.sign(&s.t.agency_key), &mut out).unwrap();
    assert_eq!(receipt.document, s.meta, "the version the use named, not the newest");
    assert_eq!(out.bytes, CONTENT);

    // Prepared now, the use names the newer version.
    let mut out = ChainWitness::new(&s.t.node.ledger);
    let receipt = s.t.node.read_with_agency_key(&s.request(), &s.t.agency_key, &mut out).unwrap();
    assert_eq!(receipt.document, newer);
    assert_eq!(out.bytes, b"a newer id card");
}
