//! The service chain's rules for `application.opened` and
//! `application.decided` as the ledger applies them to signed entries,
//! whatever the node's services would have let through: each refusal with
//! its reason, and nothing written.

use crate::service_support::{in_ms, snapshot};
use ed25519_dalek::SigningKey;
use safebox_chain::ledger::AppendError;
use safebox_chain::payload::{ApplicationDecided, ApplicationOpened, Decision, GrantGiven, MaterialProvided, Payload};
use safebox_chain::state::Refusal;
use safebox_chain::{keys, ApplicationId, BoxRef, ChainId, DocumentRef, Entry, GrantId, LicenseId, MatterCode};
use safebox_chain::{Purpose, SignedEntry};
use safebox_tests::TestNode;

const MATTER: &str = "370100-SCJG-001";

/// A node, a box whose applicant signs on a device key the test holds, a
/// grant of one document to the test agency, and one issued license.
struct Scene {
    t: TestNode,
    applicant: SigningKey,
    box_ref: BoxRef,
    grant: GrantId,
    document: DocumentRef,
    license: LicenseId,
}

fn matter() -> MatterCode {
    MatterCode::parse(MATTER).unwrap()
}

impl Scene {
    fn new() -> Self {
        let t = TestNode::new();
        let applicant = SigningKey::from_bytes(&[77; 32]);
        let opened = t.node.open_box("370102199001011234", Some(keys::public_key(&applicant))).unwrap();
        let document = DocumentRef([5; 16]);
        let grant = GrantId([6; 16]);
        let given = Payload::GrantGiven(GrantGiven {
            grant,
            box_ref: opened.box_ref,
            agency: t.agency.clone(),
            documents: vec![document],
            matter: matter(),
            purpose: Purpose::parse("审查").unwrap(),
            expires: in_ms(3_600_000),
        });
        t.node
            .ledger
            .append(Entry::new(ChainId::Service, &keys::public_key(&applicant), given).sign(&applicant))
            .unwrap();
        let issued = t.issuance("APP-1");
        let license = match &issued.entry.payload {
            Payload::LicenseIssued(l) => l.license.clone(),
            _ => unreachable!(),
        };
        t.node.ledger.append(issued).unwrap();
        Scene { t, applicant, box_ref: opened.box_ref, grant, document, license }
    }

    fn opened(&self, id: u8, materials: Vec<MaterialProvided>) -> ApplicationOpened {
        ApplicationOpened {
            application: ApplicationId([id; 16]),
            box_ref: self.box_ref,
            matter: matter(),
            agency: self.t.agency.clone(),
            grant: Some(self.grant),
            materials,
        }
    }

    fn by_applicant(&self, opened: ApplicationOpened) -> SignedEntry {
        Entry::new(ChainId::Service, &keys::public_key(&self.applicant), Payload::ApplicationOpened(opened))
            .sign(&self.applicant)
    }

    fn decided(&self, id: u8, decision: Decision, license: Option<LicenseId>) -> ApplicationDecided {
        ApplicationDecided {
            application: ApplicationId([id; 16]),
            decision,
            reason: "checked".into(),
            license,
            license_size: self.t.node.ledger.head(ChainId::License).unwrap().size,
        }
    }

    fn by(&self, key: &SigningKey, decided: ApplicationDecided) -> SignedEntry {
        Entry::new(ChainId::Service, &keys::public_key(key), Payload::ApplicationDecided(decided)).sign(key)
    }

    fn refused(&self, entry: SignedEntry, check: impl Fn(&Refusal) -> bool) {
        let before = snapshot(&self.t);
        match self.t.node.ledger.append(entry) {
            Err(AppendError::Refused(r)) if check(&r) => {}
            other => panic!("unexpected answer: {other:?}"),
        }
        assert_eq!(snapshot(&self.t), before, "a refusal wrote something");
    }

    fn materials(&self) -> Vec<MaterialProvided> {
        vec![
            MaterialProvided::License { license: self.license.clone() },
            MaterialProvided::StoredDocument { document: self.document },
        ]
    }
}

#[test]
fn an_application_is_opened_only_by_the_applicant_with_what_the_chain_knows() {
    let s = Scene::new();
    // Signed by the agency instead of the applicant.
    let by_agency = Entry::new(
        ChainId::Service,
        &keys::public_key(&s.t.agency_key),
        Payload::ApplicationOpened(s.opened(1, s.materials())),
    )
    .sign(&s.t.agency_key);
    s.refused(by_agency, |r| matches!(r, Refusal::NotTheApplicant { .. }));
    // A license the chain never recorded.
    let unknown = vec![MaterialProvided::License { license: LicenseId::parse("NOT-ISSUED").unwrap() }];
    s.refused(s.by_applicant(s.opened(1, unknown)), |r| matches!(r, Refusal::UnknownLicense(_)));
    // A document the grant does not cover.
    let other = vec![MaterialProvided::SubmittedDocument { document: DocumentRef([9; 16]) }];
    s.refused(s.by_applicant(s.opened(1, other)), |r| matches!(r, Refusal::DocumentNotGranted { .. }));
    // Documents but no grant.
    let mut no_grant = s.opened(1, s.materials());
    no_grant.grant = None;
    s.refused(s.by_applicant(no_grant), |r| matches!(r, Refusal::MissingGrant));
    // A grant for another matter.
    let mut other_matter = s.opened(1, s.materials());
    other_matter.matter = MatterCode::parse("370100-GA-002").unwrap();
    s.refused(s.by_applicant(other_matter), |r| matches!(r, Refusal::OtherMatter { .. }));
    // Accepted, then refused as a duplicate.
    s.t.node.ledger.append(s.by_applicant(s.opened(1, s.materials()))).expect("open");
    s.refused(s.by_applicant(s.opened(1, s.materials())), |r| matches!(r, Refusal::ApplicationExists(_)));
    let totals = safebox_chain::application_state::totals(&s.t.node.ledger.store().state()).unwrap();
    assert_eq!((totals.applications, totals.required, totals.reused, totals.submitted), (1, 2, 2, 0));
}

#[test]
fn only_the_applications_agency_decides_once_naming_its_own_license() {
    let s = Scene::new();
    s.t.node.ledger.append(s.by_applicant(s.opened(1, s.materials()))).unwrap();
    let (other, other_key) = s.t.register_agency("11370100MB2855921", 41);
    s.refused(s.by(&other_key, s.decided(1, Decision::Approved, None)), |r| matches!(r, Refusal::NotTheAgency { .. }));
    s.refused(s.by(&s.t.agency_key, s.decided(2, Decision::Approved, None)), |r| {
        matches!(r, Refusal::UnknownApplication(_))
    });
    s.refused(s.by(&s.t.agency_key, s.decided(1, Decision::Rejected, Some(s.license.clone()))), |r| {
        matches!(r, Refusal::RejectionWithLicense)
    });
    let mut silent = s.decided(1, Decision::Rejected, None);
    silent.reason = " ".into();
    s.refused(s.by(&s.t.agency_key, silent), |r| matches!(r, Refusal::Empty("reason")));
    // A license of another agency.
    let foreign = {
        let mut issued = s.t.issuance("FOREIGN");
        if let Payload::LicenseIssued(l) = &mut issued.entry.payload {
            l.agency = other.clone();
        }
        let entry = Entry::new(ChainId::License, &keys::public_key(&other_key), issued.entry.payload).sign(&other_key);
        s.t.node.ledger.append(entry).unwrap();
        LicenseId::parse("TEST-FOREIGN").unwrap()
    };
    s.refused(s.by(&s.t.agency_key, s.decided(1, Decision::Approved, Some(foreign))), |r| {
        matches!(r, Refusal::LicenseOfOtherAgency { .. })
    });
    // A license that stands at or above the license index the decision names.
    let mut early = s.decided(1, Decision::Approved, Some(s.license.clone()));
    early.license_size = 2;
    s.refused(s.by(&s.t.agency_key, early), |r| matches!(r, Refusal::LicenseNotBelow { .. }));
    let mut beyond = s.decided(1, Decision::Approved, None);
    beyond.license_size += 1;
    s.refused(s.by(&s.t.agency_key, beyond), |r| matches!(r, Refusal::LicenseSizeOutOfRange { .. }));
    s.t.node.ledger.append(s.by(&s.t.agency_key, s.decided(1, Decision::Approved, Some(s.license.clone())))).unwrap();
    s.refused(s.by(&s.t.agency_key, s.decided(1, Decision::Rejected, None)), |r| {
        matches!(r, Refusal::AlreadyDecided { decision: Decision::Approved, .. })
    });
    safebox_chain::replay::replay(s.t.node.ledger.store(), &mut |_, _| {}).expect("replay accepts what was accepted");
}
