//! Shared pieces of the license verification tests: real credentials signed
//! with `sign_license`, issued on a real node with a `license.issued` entry
//! recording their `credential_digest`, and the lifecycle entries that
//! change them.

use ed25519_dalek::SigningKey;
use safebox_chain::credential::{
    credential_digest, sign_license, AreaCode, CivilDate, HolderCode, LicenseFields, LicenseIdentifier,
    LicenseTypeCode, SignedLicense, UtcTime, VerificationMethod,
};
use safebox_chain::payload::{AgencyKeyRotated, LicenseIssued, LicenseStatusChange, Payload};
use safebox_chain::verify::{CheckName, Outcome, Verdict};
use safebox_chain::{keys, AgencyCode, Appended, ChainId, Commitment, Entry, Timestamp};
use safebox_tests::TestNode;

pub const TYPE_CODE: &str = "11100000000013338W011";

/// 2024-06-01T00:00:00Z: inside every window the tests give, unless they
/// say otherwise.
pub fn now() -> Timestamp {
    UtcTime::parse("2024-06-01T00:00:00Z").unwrap().timestamp()
}

pub fn at(text: &str) -> Timestamp {
    UtcTime::parse(text).unwrap().timestamp()
}

pub fn date(text: &str) -> CivilDate {
    CivilDate::parse(text).unwrap()
}

/// A business license of `agency` with serial `serial`, valid
/// 2024-01-02 to 2044-01-01 (China days).
pub fn fields(agency: &AgencyCode, serial: &str) -> LicenseFields {
    let type_code = LicenseTypeCode::parse(TYPE_CODE).unwrap();
    LicenseFields {
        identifier: LicenseIdentifier::new(&type_code, agency, serial, 1).unwrap(),
        license_name: "营业执照".into(),
        license_number: format!("91370100MA3C{serial}"),
        holder_name: "济南示例科技有限公司".into(),
        holder_code: HolderCode::UnifiedSocialCreditCode(
            AgencyCode::with_check_character("91370100MA3C00000").unwrap(),
        ),
        issuing_agency: "济南高新区行政审批服务局".into(),
        issue_date: date("2024-01-02"),
        validity_start: date("2024-01-02"),
        validity_end: Some(date("2044-01-01")),
        jurisdiction_code: AreaCode::parse("370171").unwrap(),
        previous_identifier: None,
    }
}

/// Signs `fields` with `key` (its did:key as verification method).
pub fn sign(fields: LicenseFields, key: &SigningKey) -> SignedLicense {
    let method = VerificationMethod::did_key(&keys::public_key(key));
    sign_license(fields, key, &method, UtcTime::parse("2024-01-02T03:04:05Z").unwrap()).unwrap()
}

/// The `license.issued` entry of `credential`, signed by `author`,
/// recording `digest`.
pub fn issuance_of(credential: &SignedLicense, author: &SigningKey, digest: safebox_chain::CredentialDigest) -> Entry {
    let license = credential.license();
    let issued = LicenseIssued {
        license: license.identifier().license_id(),
        agency: license.identifier().issuer().clone(),
        license_type: license.identifier().type_code().as_str().to_owned(),
        holder: Commitment([7; 32]),
        credential: digest,
        valid_from: license.valid_from().timestamp(),
        valid_until: license.valid_until().map(|t| t.timestamp()),
        previous: None,
    };
    Entry::new(ChainId::License, &keys::public_key(author), Payload::LicenseIssued(issued))
}

/// Issues `credential` on the node, signed by `author`, with its digest.
pub fn issue(t: &TestNode, credential: &SignedLicense, author: &SigningKey) -> Appended {
    let entry = issuance_of(credential, author, credential_digest(credential));
    t.node.ledger.append(entry.sign(author)).expect("issue")
}

/// A credential of the test agency, signed with its key and issued.
pub fn issued(t: &TestNode, serial: &str) -> SignedLicense {
    let credential = sign(fields(&t.agency, serial), &t.agency_key);
    issue(t, &credential, &t.agency_key);
    credential
}

/// A status change by the test agency: `kind` is one of
/// suspended/resumed/revoked/cancelled.
pub fn change(t: &TestNode, credential: &SignedLicense, kind: &str, reason: &str) -> Appended {
    let change = LicenseStatusChange { license: credential.license().identifier().license_id(), reason: reason.into() };
    let payload = match kind {
        "suspended" => Payload::LicenseSuspended(change),
        "resumed" => Payload::LicenseResumed(change),
        "revoked" => Payload::LicenseRevoked(change),
        "cancelled" => Payload::LicenseCancelled(change),
        other => panic!("no status change {other}"),
    };
    let entry = Entry::new(ChainId::License, &keys::public_key(&t.agency_key), payload).sign(&t.agency_key);
    t.node.ledger.append(entry).expect("status change")
}

/// Rotates the test agency's key to one made from `seed` (root-signed);
/// returns the new key.
pub fn rotate(t: &TestNode, seed: u8) -> SigningKey {
    let new = SigningKey::from_bytes(&[seed; 32]);
    let rotated = Payload::AgencyKeyRotated(AgencyKeyRotated { agency: t.agency.clone(), key: keys::public_key(&new) });
    let entry = Entry::new(ChainId::License, &keys::public_key(&t.root), rotated).sign(&t.root);
    t.node.ledger.append(entry).expect("rotate");
    new
}

/// Asserts that the verdict is valid, showing it otherwise.
pub fn assert_valid(verdict: &Verdict) {
    assert!(verdict.is_valid(), "expected a valid verdict, got {verdict:#?}");
}

/// Asserts that the first failure is `name` and its reason contains every
/// one of `words`; returns the reason.
pub fn assert_fails(verdict: &Verdict, name: CheckName, words: &[&str]) -> String {
    assert!(!verdict.is_valid());
    let failure = verdict.first_failure().unwrap_or_else(|| panic!("no failure in {verdict:#?}"));
    assert_eq!(failure.name, name, "first failure in {verdict:#?}");
    let Outcome::Failed { reason } = &failure.outcome else { unreachable!() };
    for word in words {
        assert!(reason.contains(word), "{name} reason {reason:?} lacks {word:?}");
    }
    reason.clone()
}

/// Asserts that `name` was not checked, naming `after`.
pub fn assert_not_checked(verdict: &Verdict, name: CheckName, after: CheckName) {
    let check = verdict.check(name).unwrap();
    match &check.outcome {
        Outcome::NotChecked { why } => assert!(why.starts_with(after.as_str()), "{why:?} should name {after}"),
        other => panic!("{name} should not be checked, got {other:?}"),
    }
}

/// One node holding a license in each state the verifiers must tell apart.
pub struct Scenarios {
    pub t: TestNode,
    pub valid: SignedLicense,
    /// Suspended, then resumed: valid again.
    pub resumed: SignedLicense,
    pub suspended: SignedLicense,
    pub revoked: SignedLicense,
    pub expired: SignedLicense,
    pub not_yet_valid: SignedLicense,
    /// Same identifier as a license on the chain, other content: its
    /// digest is not the one the chain records.
    pub other_digest: SignedLicense,
    /// Signed with the agency's first key after that key was rotated out,
    /// and recorded by the new key.
    pub rotated_key: SignedLicense,
    /// Of an agency that is not registered, signed with its own key, on no
    /// chain.
    pub unknown_issuer: SignedLicense,
    /// The test agency's key after the rotation (`t.agency_key` is retired).
    pub current_key: SigningKey,
}

pub const SUSPENSION_REASON: &str = "未按规定报送年度报告";
pub const REVOCATION_REASON: &str = "以欺骗手段取得登记";

impl Scenarios {
    pub fn new() -> Self {
        let t = TestNode::new();
        let valid = issued(&t, "0001");
        let resumed = issued(&t, "0002");
        change(&t, &resumed, "suspended", SUSPENSION_REASON);
        change(&t, &resumed, "resumed", "已补报年度报告");
        let suspended = issued(&t, "0003");
        change(&t, &suspended, "suspended", SUSPENSION_REASON);
        let revoked = issued(&t, "0004");
        change(&t, &revoked, "revoked", REVOCATION_REASON);
        let expired = sign(
            LicenseFields {
                validity_start: date("2023-01-01"),
                validity_end: Some(date("2024-02-29")),
                ..fields(&t.agency, "0005")
            },
            &t.agency_key,
        );
        issue(&t, &expired, &t.agency_key);
        let not_yet_valid =
            sign(LicenseFields { validity_start: date("2024-09-01"), ..fields(&t.agency, "0006") }, &t.agency_key);
        issue(&t, &not_yet_valid, &t.agency_key);
        issued(&t, "0007");
        let other_digest =
            sign(LicenseFields { holder_name: "另一家公司".into(), ..fields(&t.agency, "0007") }, &t.agency_key);

        // Last, since the first key signs nothing on the chain after this.
        let old_key = t.agency_key.clone();
        let rotated_key = sign(fields(&t.agency, "0008"), &old_key);
        let new_key = rotate(&t, 0x42);
        let entry = issuance_of(&rotated_key, &new_key, credential_digest(&rotated_key));
        t.node.ledger.append(entry.sign(&new_key)).expect("issue with the new key");

        let stranger = AgencyCode::with_check_character("11370100MB2855920").unwrap();
        let unknown_issuer = sign(fields(&stranger, "0009"), &SigningKey::from_bytes(&[0x77; 32]));
        Scenarios {
            t,
            valid,
            resumed,
            suspended,
            revoked,
            expired,
            not_yet_valid,
            other_digest,
            rotated_key,
            unknown_issuer,
            current_key: new_key,
        }
    }

    /// Every credential that is on the chain, with the check that must fail
    /// first (None: valid) and words its reason must contain.
    pub fn on_chain_cases(&self) -> Vec<(&'static str, &SignedLicense, Option<CheckName>, Vec<&'static str>)> {
        vec![
            ("valid", &self.valid, None, vec![]),
            ("resumed", &self.resumed, None, vec![]),
            ("suspended", &self.suspended, Some(CheckName::Status), vec!["suspended", SUSPENSION_REASON]),
            ("revoked", &self.revoked, Some(CheckName::Status), vec!["revoked", REVOCATION_REASON]),
            ("expired", &self.expired, Some(CheckName::Validity), vec!["expired since 2024-02-29T16:00:00Z"]),
            (
                "not yet valid",
                &self.not_yet_valid,
                Some(CheckName::Validity),
                vec!["not yet valid", "2024-08-31T16:00:00Z"],
            ),
            (
                "other digest",
                &self.other_digest,
                Some(CheckName::OnChain),
                vec!["digest", "not the credential that was issued"],
            ),
            ("rotated key", &self.rotated_key, Some(CheckName::IssuerKey), vec![]),
        ]
    }
}

impl Default for Scenarios {
    fn default() -> Self {
        Self::new()
    }
}
