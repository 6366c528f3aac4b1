//! Applications through the node's services on a real node: each material
//! resolved against the box (held e-license, stored document, submitted
//! now), the agency's review and decision, licenses issued straight into the
//! box, and the totals of reuse read back from the service chain.

use crate::service_support::{snapshot, APPLICANT_CODE};
use safebox_api::catalog::Catalog;
use safebox_api::services::{AgencyDecision, Resolution, ServiceError, StatusChange, Submission};
use safebox_api::Node;
use safebox_chain::application_state;
use safebox_chain::credential::{AreaCode, HolderCode};
use safebox_chain::payload::Decision;
use safebox_chain::replay::replay;
use safebox_chain::state::{self, LicenseStatus, Refusal};
use safebox_chain::verify::verify_online;
use safebox_chain::{keys, AgencyCode, ApplicationId, MatterCode, Timestamp};
use safebox_tests::TestNode;
use safebox_vault::{BoxId, DocumentType, NewDocument};
use std::collections::BTreeSet;

const BUNDLE: &str = "370100-YJS-KBQY";
const REGISTRATION: &str = "370100-SCJG-001";
const SEAL: &str = "370100-GA-002";

fn code(text: &str) -> MatterCode {
    MatterCode::parse(text).unwrap()
}

/// A node with every agency of the example catalog registered with a key
/// the node holds, and a box holding the applicant's ID document.
fn scene() -> (TestNode, Catalog, BoxId) {
    let t = TestNode::new();
    let catalog = Catalog::example();
    let agencies: BTreeSet<AgencyCode> = catalog.matters().map(|m| m.agency.clone()).collect();
    for agency in &agencies {
        if agency == &t.agency {
            // The test node registered this one with a key the test holds;
            // hand the node that key, as an operator would.
            t.node.dir.write_agency_key(agency, &t.agency_key).expect("agency key file");
        } else {
            t.node.register_agency(agency, &format!("部门 {agency}")).expect("register agency");
        }
    }
    let box_id = t.node.open_box(APPLICANT_CODE, None).expect("open box").box_id;
    t.node.upload_document(box_id, &document("id-card"), &b"passport scan"[..]).expect("upload");
    (t, catalog, box_id)
}

fn document(document_type: &str) -> NewDocument {
    NewDocument {
        document_type: DocumentType::new(document_type).unwrap(),
        name: format!("{document_type}.pdf"),
        media_type: "application/pdf".into(),
    }
}

/// Submissions for every material the box cannot provide now.
fn missing_submissions(node: &Node, catalog: &Catalog, box_id: BoxId, matter: &MatterCode) -> Vec<Submission> {
    let matter = catalog.matter(matter).unwrap();
    node.resolve_materials(matter, box_id, &BTreeSet::new())
        .unwrap()
        .into_iter()
        .filter_map(|m| match m.resolution {
            Resolution::Missing { document_type, .. } => Some(Submission {
                document: document(document_type.as_str()),
                content: format!("{} content", m.name).into_bytes(),
            }),
            _ => None,
        })
        .collect()
}

fn approve() -> AgencyDecision {
    AgencyDecision::Approve {
        holder_name: "济南云帆数字科技有限公司".into(),
        holder_code: HolderCode::UnifiedSocialCreditCode(
            AgencyCode::with_check_character("91370100MA3CJ8Y7T").unwrap(),
        ),
        validity_end: None,
        jurisdiction: AreaCode::parse("370171").unwrap(),
    }
}

/// Applies for `matter` submitting only what is missing, has the agency
/// review and approve; returns (required, reused, submitted).
fn apply_and_approve(t: &TestNode, catalog: &Catalog, box_id: BoxId, matter: &MatterCode) -> (u64, u64, u64) {
    let submissions = missing_submissions(&t.node, catalog, box_id, matter);
    let report = t.node.apply(catalog, box_id, matter, submissions).expect("apply");
    let review = t.node.review_application(&report.application).expect("review");
    assert!(review.licenses_valid(), "{:?}", review.licenses);
    let decision = t.node.decide_application(catalog, &report.application, approve()).expect("decide");
    assert!(decision.license.is_some(), "every matter of the bundle issues a license");
    (report.required, report.reused, report.submitted)
}

#[test]
fn the_open_a_company_bundle_reuses_what_the_box_holds_and_the_chain_counts_it() {
    let (t, catalog, box_id) = scene();
    let bundle = catalog.bundle(&code(BUNDLE)).unwrap().clone();
    let counts: Vec<(u64, u64, u64)> =
        bundle.matters.iter().map(|m| apply_and_approve(&t, &catalog, box_id, m)).collect();
    // Registration: the ID is reused, the articles and the lease submitted.
    // Every later matter finds the licenses issued before it and the
    // documents submitted before it in the box.
    assert_eq!(counts, vec![(3, 1, 2), (2, 2, 0), (3, 3, 0), (3, 3, 0), (3, 3, 0)]);
    let totals = t.node.application_totals().unwrap();
    assert_eq!(
        (totals.applications, totals.approved, totals.rejected, totals.required, totals.reused, totals.submitted),
        (5, 5, 0, 14, 12, 2)
    );
    assert!((totals.reduction_percent() - 100.0 * 12.0 / 14.0).abs() < 1e-9);
    let held = t.node.box_licenses(box_id).unwrap();
    assert_eq!(held.len(), 5, "each approval put its license into the box");
    // Replay recomputes the same totals from the signed entries.
    let report = replay(t.node.ledger.store(), &mut |_, _| {}).expect("replay");
    drop(report);
    let state = t.node.ledger.store().state();
    assert_eq!(application_state::totals(&state).unwrap(), totals);
}

#[test]
fn a_missing_material_is_refused_naming_it_and_nothing_is_written() {
    let (t, catalog, box_id) = scene();
    let before = snapshot(&t);
    let documents_before = t.node.documents(box_id).unwrap().len();
    // Only the articles: the lease is missing.
    let articles = Submission { document: document("articles-of-association"), content: b"articles".to_vec() };
    let err = t.node.apply(&catalog, box_id, &code(REGISTRATION), vec![articles]).unwrap_err();
    match &err {
        ServiceError::MissingMaterial { material, reason } => {
            assert!(material.contains("住所使用证明"), "{material}");
            assert!(reason.contains("lease"), "{reason}");
        }
        other => panic!("unexpected: {other}"),
    }
    assert_eq!(snapshot(&t), before, "a refused application wrote to the chains");
    assert_eq!(t.node.documents(box_id).unwrap().len(), documents_before, "nothing was stored");
    // Seal engraving needs a business license the box does not hold.
    let err = t.node.apply(&catalog, box_id, &code(SEAL), vec![]).unwrap_err();
    assert!(matches!(&err, ServiceError::MissingMaterial { reason, .. } if reason.contains("no e-license")), "{err}");
    // A document that is not a material of the matter is refused too.
    let stray = Submission { document: document("tax-return"), content: b"x".to_vec() };
    let err = t.node.apply(&catalog, box_id, &code(REGISTRATION), vec![stray]).unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { what: "submissions", .. }), "{err}");
    let err = t.node.apply(&catalog, box_id, &code("370100-NO-SUCH"), vec![]).unwrap_err();
    assert!(matches!(err, ServiceError::UnknownMatter(_)), "{err}");
    assert_eq!(snapshot(&t), before);
}

#[test]
fn a_suspended_license_is_not_reused_until_it_is_resumed() {
    let (t, catalog, box_id) = scene();
    apply_and_approve(&t, &catalog, box_id, &code(REGISTRATION));
    let business = t.node.box_licenses(box_id).unwrap().remove(0).license.license().identifier().license_id();
    t.node.change_license_status(&business, StatusChange::Suspend, "年报未按期公示").unwrap();
    let seal = catalog.matter(&code(SEAL)).unwrap();
    let plan = t.node.resolve_materials(seal, box_id, &BTreeSet::new()).unwrap();
    match &plan[0].resolution {
        Resolution::Missing { reason, .. } => assert!(reason.contains("status"), "{reason}"),
        other => panic!("a suspended license was offered for reuse: {other:?}"),
    }
    let before = snapshot(&t);
    assert!(matches!(t.node.apply(&catalog, box_id, &code(SEAL), vec![]), Err(ServiceError::MissingMaterial { .. })));
    assert_eq!(snapshot(&t), before);
    t.node.change_license_status(&business, StatusChange::Resume, "已补报").unwrap();
    assert_eq!(apply_and_approve(&t, &catalog, box_id, &code(SEAL)), (2, 2, 0));
    // Revoked is final: the license is never reused again.
    t.node.change_license_status(&business, StatusChange::Revoke, "虚假登记").unwrap();
    let plan = t.node.resolve_materials(seal, box_id, &BTreeSet::new()).unwrap();
    assert!(matches!(plan[0].resolution, Resolution::Missing { .. }));
    let record = state::license(&t.node.ledger.store().state(), &business).unwrap().unwrap();
    assert_eq!(record.status, LicenseStatus::Revoked);
}

#[test]
fn a_rejection_issues_nothing_and_an_application_is_decided_once() {
    let (t, catalog, box_id) = scene();
    let submissions = missing_submissions(&t.node, &catalog, box_id, &code(REGISTRATION));
    let report = t.node.apply(&catalog, box_id, &code(REGISTRATION), submissions).unwrap();
    let licenses_before = t.node.box_licenses(box_id).unwrap().len();
    let empty = AgencyDecision::Reject { reason: "  ".into() };
    let err = t.node.decide_application(&catalog, &report.application, empty).unwrap_err();
    assert!(matches!(err, ServiceError::Refused(Refusal::Empty("reason"))), "{err}");
    let reject = AgencyDecision::Reject { reason: "公司章程缺少股东签字".into() };
    let decision = t.node.decide_application(&catalog, &report.application, reject).unwrap();
    assert!(decision.license.is_none());
    assert_eq!(t.node.box_licenses(box_id).unwrap().len(), licenses_before);
    let record = t.node.application(&report.application).unwrap();
    let decided = record.decided.expect("decided");
    assert_eq!((decided.decision, decided.reason.as_str()), (Decision::Rejected, "公司章程缺少股东签字"));
    let again = t.node.decide_application(&catalog, &report.application, approve()).unwrap_err();
    assert!(matches!(again, ServiceError::Refused(Refusal::AlreadyDecided { .. })), "{again}");
    let totals = t.node.application_totals().unwrap();
    assert_eq!((totals.applications, totals.approved, totals.rejected), (1, 0, 1));
    let unknown = t.node.application(&ApplicationId([0; 16])).unwrap_err();
    assert!(matches!(unknown, ServiceError::Refused(Refusal::UnknownApplication(_))));
}

#[test]
fn a_renewal_puts_the_new_version_in_the_box_and_links_the_old_one() {
    let (t, catalog, box_id) = scene();
    apply_and_approve(&t, &catalog, box_id, &code(REGISTRATION));
    let held = t.node.box_licenses(box_id).unwrap().remove(0);
    let old = held.license.license().identifier().clone();
    let agency = old.issuer().clone();
    let start = held.license.license().fields().validity_start;
    let renewed = t.node.renew_license(&agency, box_id, &old.license_id(), start, None).expect("renew");
    let new = renewed.license.license().identifier();
    assert_eq!((new.serial(), new.version()), (old.serial(), old.version() + 1));
    assert_eq!(renewed.license.license().fields().previous_identifier.as_ref(), Some(&old));
    let now_held = t.node.box_licenses(box_id).unwrap();
    assert_eq!(now_held.len(), 1, "the box keeps the current version of each type");
    assert_eq!(now_held[0].license.license().identifier(), new);
    let record = state::license(&t.node.ledger.store().state(), &old.license_id()).unwrap().unwrap();
    assert_eq!(record.renewed_by, Some(new.license_id()));
    // Renewing the old version again is refused: the box holds it no more.
    let err = t.node.renew_license(&agency, box_id, &old.license_id(), start, None).unwrap_err();
    assert!(matches!(err, ServiceError::Invalid { what: "renewal", .. }), "{err}");
}

#[test]
fn agencies_without_a_key_on_this_node_cannot_issue_here() {
    let (t, catalog, box_id) = scene();
    // An agency whose key is held by the test, not by the node.
    let (elsewhere, _) = t.register_agency("11370100MB2855976", 43);
    let matter = catalog.matter(&code(REGISTRATION)).unwrap();
    let err = t
        .node
        .issue_license(
            &elsewhere,
            box_id,
            safebox_api::services::LicenseRequest {
                license_type: matter.output.clone().unwrap().license_type,
                license_name: "营业执照".into(),
                holder_name: "某公司".into(),
                holder_code: HolderCode::UnifiedSocialCreditCode(t.agency.clone()),
                validity_start: safebox_chain::credential::CivilDate::new(2026, 1, 1).unwrap(),
                validity_end: None,
                jurisdiction_code: AreaCode::parse("370171").unwrap(),
            },
        )
        .unwrap_err();
    assert!(matches!(err, ServiceError::NoAgencyKey(_)), "{err}");
    let again = t.node.register_agency(&matter.agency, "again").unwrap_err();
    assert!(matches!(again, ServiceError::Refused(Refusal::AgencyExists(_))), "{again}");
}

#[test]
fn a_rotated_agency_key_keeps_earlier_licenses_valid_and_signs_the_next_ones() {
    let (t, catalog, box_id) = scene();
    apply_and_approve(&t, &catalog, box_id, &code(REGISTRATION));
    let held = t.node.box_licenses(box_id).unwrap().remove(0).license;
    let agency = held.license().identifier().issuer().clone();
    let old_key = t.node.dir.agency_key(&agency).unwrap().unwrap();
    t.node.rotate_agency_key(&agency).expect("rotate");
    let new_key = t.node.dir.agency_key(&agency).unwrap().unwrap();
    assert_ne!(old_key.verifying_key(), new_key.verifying_key());
    assert!(t.node.dir.pending_agency_key(&agency).unwrap().is_none(), "the pending key was committed");
    let verdict = verify_online(&t.node.ledger, &held.canonical_bytes(), Timestamp::now());
    assert!(verdict.is_valid(), "a license signed before the rotation stays valid: {verdict:?}");
    // The bundle's next matter still reuses it, and the renewal is signed
    // with the new key.
    assert_eq!(apply_and_approve(&t, &catalog, box_id, &code(SEAL)), (2, 2, 0));
    let start = held.license().fields().validity_start;
    let renewed =
        t.node.renew_license(&agency, box_id, &held.license().identifier().license_id(), start, None).unwrap();
    let signer = renewed.license.proof().verification_method.public_key().id();
    assert_eq!(signer, keys::public_key(&new_key).id());
    let verdict = verify_online(&t.node.ledger, &renewed.license.canonical_bytes(), Timestamp::now());
    assert!(verdict.is_valid(), "{verdict:?}");
}
