//! Online e-license verification against a real node: each check answered
//! with its detail or its reason, the first failure naming what is wrong,
//! and the checks that rest on a failed one marked as not checked.

use crate::license_support::*;
use safebox_chain::credential::LicenseFields;
use safebox_chain::payload::{LicenseIssued, Payload};
use safebox_chain::verify::{verify_online, Basis, CheckName, Outcome};

#[test]
fn a_valid_license_passes_every_check_with_what_was_established() {
    let s = Scenarios::new();
    let verdict = verify_online(&s.t.node.ledger, &s.valid.canonical_bytes(), now());
    assert_valid(&verdict);
    assert_eq!(verdict.basis, Basis::Node);
    assert_eq!(verdict.license.as_ref(), Some(s.valid.license().identifier()));
    let names: Vec<CheckName> = verdict.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, CheckName::ALL);
    let text = |name| verdict.check(name).unwrap().text().to_owned();
    assert!(text(CheckName::Signature).contains("eddsa-jcs-2022"));
    assert!(text(CheckName::IssuerKey).contains(s.t.agency.as_str()));
    assert!(text(CheckName::OnChain).contains("license.issued at license-chain index"));
    assert!(text(CheckName::OnChain).contains("signed checkpoint"));
    assert!(text(CheckName::Status).starts_with("valid"));
    assert!(text(CheckName::Validity).contains("until 2044-01-01T16:00:00Z"));

    // The verdict's JSON names checks and outcomes in snake case.
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["checks"][1]["name"], "issuer_key");
    assert_eq!(json["checks"][1]["outcome"], "passed");
    assert!(json["checks"][1]["detail"].is_string());
}

#[test]
fn each_wrong_license_fails_the_check_that_is_wrong_with_its_reason() {
    let s = Scenarios::new();
    for (what, credential, failure, words) in s.on_chain_cases() {
        let verdict = verify_online(&s.t.node.ledger, &credential.canonical_bytes(), now());
        match failure {
            None => assert_valid(&verdict),
            Some(name) => {
                let reason = assert_fails(&verdict, name, &words);
                eprintln!("{what}: {name}: {reason}");
            }
        }
    }
}

#[test]
fn a_suspended_license_shows_the_agency_reason_and_where_it_changed() {
    let s = Scenarios::new();
    let verdict = verify_online(&s.t.node.ledger, &s.suspended.canonical_bytes(), now());
    let reason =
        assert_fails(&verdict, CheckName::Status, &["suspended (暂扣) at license-chain index", SUSPENSION_REASON]);
    assert!(reason.contains("license-chain size"));
    // Only the status is wrong.
    assert_eq!(verdict.checks.iter().filter(|c| !c.passed()).count(), 1);
}

#[test]
fn a_key_rotated_out_before_the_issuance_fails_issuer_key() {
    let s = Scenarios::new();
    let verdict = verify_online(&s.t.node.ledger, &s.rotated_key.canonical_bytes(), now());
    assert_fails(&verdict, CheckName::IssuerKey, &["until", "when it was not"]);
    // And the chain's issuance is not by the credential's key.
    let on_chain = verdict.check(CheckName::OnChain).unwrap();
    assert!(on_chain.failed() && on_chain.text().contains("not by the credential's key"), "{on_chain:?}");
}

#[test]
fn an_unregistered_agency_fails_issuer_key_and_is_not_on_the_chain() {
    let s = Scenarios::new();
    let verdict = verify_online(&s.t.node.ledger, &s.unknown_issuer.canonical_bytes(), now());
    assert_fails(&verdict, CheckName::IssuerKey, &["is not registered on the license chain"]);
    let on_chain = verdict.check(CheckName::OnChain).unwrap();
    assert!(on_chain.failed() && on_chain.text().contains("is not on the license chain"));
    assert_not_checked(&verdict, CheckName::Status, CheckName::OnChain);
}

#[test]
fn a_signed_license_never_issued_fails_on_chain_and_leaves_the_key_span_unjudged() {
    let s = Scenarios::new();
    let credential = sign(fields(&s.t.agency, "9999"), &s.current_key);
    let verdict = verify_online(&s.t.node.ledger, &credential.canonical_bytes(), now());
    assert_fails(&verdict, CheckName::OnChain, &["is not on the license chain"]);
    assert_not_checked(&verdict, CheckName::IssuerKey, CheckName::OnChain);
    assert_not_checked(&verdict, CheckName::Status, CheckName::OnChain);
    assert!(verdict.check(CheckName::Validity).unwrap().passed());
}

#[test]
fn a_license_issued_by_another_agency_key_on_the_chain_fails_issuer_key() {
    // A second registered agency signs a license in the first agency's name.
    let s = Scenarios::new();
    let (_, other_key) = s.t.register_agency("11370100MB2855930", 0x31);
    let credential = sign(fields(&s.t.agency, "7777"), &other_key);
    let verdict = verify_online(&s.t.node.ledger, &credential.canonical_bytes(), now());
    assert_fails(&verdict, CheckName::IssuerKey, &["not a key of agency", s.t.agency.as_str()]);
}

#[test]
fn a_renewal_verifies_and_its_predecessor_says_it_was_renewed() {
    let s = Scenarios::new();
    let first = s.valid.license().identifier().clone();
    let renewal = sign(
        LicenseFields {
            identifier: first.next_version().unwrap(),
            previous_identifier: Some(first.clone()),
            ..fields(&s.t.agency, "0001")
        },
        &s.current_key,
    );
    let mut entry = issuance_of(&renewal, &s.current_key, safebox_chain::credential::credential_digest(&renewal));
    let Payload::LicenseIssued(issued) = entry.payload else { unreachable!() };
    entry.payload = Payload::LicenseRenewed(LicenseIssued { previous: Some(first.license_id()), ..issued });
    s.t.node.ledger.append(entry.sign(&s.current_key)).expect("renew");
    let verdict = verify_online(&s.t.node.ledger, &renewal.canonical_bytes(), now());
    assert_valid(&verdict);
    assert!(verdict.check(CheckName::OnChain).unwrap().text().starts_with("license.renewed"));
    let old = verify_online(&s.t.node.ledger, &s.valid.canonical_bytes(), now());
    assert!(old
        .check(CheckName::Status)
        .unwrap()
        .text()
        .contains(&format!("renewed by {}", renewal.license().identifier())));
}

#[test]
fn a_changed_or_unreadable_credential_fails_its_signature_and_nothing_else_is_judged() {
    let s = Scenarios::new();
    let text = String::from_utf8(s.valid.canonical_bytes()).unwrap();
    let changed = text.replace("济南示例科技有限公司", "济南另一家科技有限公司");
    for (bytes, words) in [
        (changed.as_bytes(), vec!["signature does not verify"]),
        (b"not json".as_slice(), vec!["not a readable Safebox e-license"]),
        (b"{}".as_slice(), vec!["not a readable Safebox e-license"]),
    ] {
        let verdict = verify_online(&s.t.node.ledger, bytes, now());
        assert_fails(&verdict, CheckName::Signature, &words);
        for name in [CheckName::IssuerKey, CheckName::OnChain, CheckName::Status, CheckName::Validity] {
            assert_not_checked(&verdict, name, CheckName::Signature);
        }
    }
    let verdict = verify_online(&s.t.node.ledger, b"not json", now());
    assert_eq!(verdict.license, None);
}

#[test]
fn an_issuance_recording_a_digest_the_credential_does_not_have_fails_on_chain() {
    // The chain records a digest for the identifier, made of other bytes.
    let s = Scenarios::new();
    let credential = sign(fields(&s.t.agency, "5555"), &s.current_key);
    let entry = issuance_of(&credential, &s.current_key, safebox_chain::CredentialDigest([1; 32]));
    s.t.node.ledger.append(entry.sign(&s.current_key)).unwrap();
    let verdict = verify_online(&s.t.node.ledger, &credential.canonical_bytes(), now());
    assert_fails(&verdict, CheckName::OnChain, &["records credential digest"]);
    assert!(verdict.check(CheckName::IssuerKey).unwrap().passed());
    assert_not_checked(&verdict, CheckName::Status, CheckName::OnChain);
    assert!(matches!(verdict.check(CheckName::Validity).unwrap().outcome, Outcome::Passed { .. }));
}
