//! The Safebox e-license credential: its JSON form, signing and verifying
//! with the issuing agency's key, the digest the chain records, refusal of
//! inconsistent documents with their reason, and a property: changing,
//! dropping or adding any member of a signed license makes it fail.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use safebox_chain::credential::{
    credential_digest, iso7064, sign_document, sign_license, verify_license_bytes, verify_license_signature, AreaCode,
    CitizenId, CivilDate, CredentialError, HolderCode, LicenseError, LicenseFields, LicenseIdentifier, LicenseTypeCode,
    ProofOptions, SignedLicense, UtcTime, VerificationMethod, MAX_TEXT_CHARS,
};
use safebox_chain::{keys, AgencyCode};
use safebox_tests::test_agency_code;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn agency_key() -> SigningKey {
    SigningKey::from_bytes(&[3; 32])
}

fn method() -> VerificationMethod {
    VerificationMethod::did_key(&keys::public_key(&agency_key()))
}

fn created() -> UtcTime {
    UtcTime::parse("2024-01-02T03:04:05Z").unwrap()
}

fn date(text: &str) -> CivilDate {
    CivilDate::parse(text).unwrap()
}

fn identifier(serial: &str, version: u16) -> LicenseIdentifier {
    let type_code = LicenseTypeCode::parse("11100000000013338W011").unwrap();
    LicenseIdentifier::new(&type_code, &test_agency_code(), serial, version).unwrap()
}

/// A business license (营业执照) for an enterprise holder.
fn fields() -> LicenseFields {
    LicenseFields {
        identifier: identifier("2024000001", 1),
        license_name: "营业执照".into(),
        license_number: "91370100MA3C000001".into(),
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

fn signed(fields: LicenseFields) -> SignedLicense {
    sign_license(fields, &agency_key(), &method(), created()).unwrap()
}

#[test]
fn a_signed_license_has_the_vc_form_and_verifies() {
    let license = signed(fields());
    let id = identifier("2024000001", 1);
    let document = license.to_json();
    assert_eq!(
        document["@context"],
        json!(["https://www.w3.org/ns/credentials/v2", "https://safebox.dev/ns/e-license/v1"])
    );
    assert_eq!(document["type"], json!(["VerifiableCredential", "ElectronicLicense"]));
    assert_eq!(document["id"], format!("urn:gbt36904:{id}"));
    assert_eq!(
        document["issuer"],
        json!({"id": format!("urn:uscc:{}", test_agency_code()), "name": "济南高新区行政审批服务局"})
    );
    // Validity days are China days: 2024-01-02 00:00 UTC+8 to the end of 2044-01-01.
    assert_eq!(document["validFrom"], "2024-01-01T16:00:00Z");
    assert_eq!(document["validUntil"], "2044-01-01T16:00:00Z");
    let subject = &document["credentialSubject"];
    assert_eq!(subject["licenseName"], "营业执照");
    assert_eq!(subject["licenseTypeCode"], "11100000000013338W011");
    assert_eq!(subject["holderCodeType"], "001");
    assert_eq!(subject["issuingAgencyCode"], test_agency_code().as_str());
    assert_eq!(subject["validityEnd"], "2044-01-01");
    assert_eq!(subject["jurisdictionCode"], "370171");
    assert!(subject.get("previousIdentifier").is_none());
    let proof = &document["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["created"], "2024-01-02T03:04:05Z");
    assert_eq!(proof["verificationMethod"], method().as_str());
    assert_eq!(proof["@context"], document["@context"]);

    let key = keys::public_key(&agency_key());
    assert_eq!(verify_license_signature(&license, &key), Ok(()));
    let bytes = license.canonical_bytes();
    assert_eq!(verify_license_bytes(&bytes, &key), Ok(license.clone()));
    assert_eq!(credential_digest(&license).0, <[u8; 32]>::from(Sha256::digest(&bytes)));
    assert_eq!(license.license().valid_from().timestamp().0, 1_704_124_800_000);

    // serde goes through the same checks.
    let text = serde_json::to_string(&license).unwrap();
    assert_eq!(serde_json::from_str::<SignedLicense>(&text).unwrap(), license);
    assert_eq!(SignedLicense::from_json_bytes(text.as_bytes()), Ok(license));
}

#[test]
fn a_renewal_names_the_license_it_replaces_and_a_citizen_holder_has_type_111() {
    let first = identifier("2024000001", 1);
    let renewal = LicenseFields {
        identifier: first.next_version().unwrap(),
        previous_identifier: Some(first.clone()),
        holder_code: HolderCode::CitizenId(CitizenId::parse("11010519491231002X").unwrap()),
        validity_end: None,
        ..fields()
    };
    let license = signed(renewal);
    let document = license.to_json();
    assert_eq!(document["credentialSubject"]["previousIdentifier"], first.as_str());
    assert_eq!(document["credentialSubject"]["holderCodeType"], "111");
    assert!(document.get("validUntil").is_none(), "a 长期 license has no validUntil");
    assert_eq!(license.license().identifier().version(), 2);
    assert_eq!(verify_license_signature(&license, &keys::public_key(&agency_key())), Ok(()));
}

#[test]
fn fields_that_cannot_make_a_license_are_refused_with_their_reason() {
    let (start, day_before) = (date("2024-01-02"), date("2024-01-01"));
    let cases = [
        (
            LicenseFields { validity_end: Some(day_before), ..fields() },
            LicenseError::ValidityOrder { start, end: day_before },
        ),
        (LicenseFields { holder_name: "  ".into(), ..fields() }, LicenseError::EmptyText("holderName")),
        (
            LicenseFields { license_name: "营业\u{0}执照".into(), ..fields() },
            LicenseError::ControlCharacter("licenseName"),
        ),
        (
            LicenseFields { license_number: "9".repeat(MAX_TEXT_CHARS + 1), ..fields() },
            LicenseError::TooLong("licenseNumber"),
        ),
        (
            LicenseFields { previous_identifier: Some(identifier("2024000001", 1)), ..fields() },
            LicenseError::PreviousIsSelf,
        ),
        (
            LicenseFields { validity_start: date("1970-01-01"), ..fields() },
            LicenseError::StartBeforeEpoch(date("1970-01-01")),
        ),
        (
            LicenseFields { validity_end: Some(date("9999-12-31")), ..fields() },
            LicenseError::EndTooLate(date("9999-12-31")),
        ),
    ];
    for (fields, reason) in cases {
        let refused = sign_license(fields, &agency_key(), &method(), created());
        assert_eq!(refused, Err(reason.into()));
    }

    let other = VerificationMethod::did_key(&keys::public_key(&SigningKey::from_bytes(&[4; 32])));
    let mismatch = sign_license(fields(), &agency_key(), &other, created());
    assert!(matches!(mismatch, Err(CredentialError::KeyMismatch { .. })));
}

#[test]
fn another_agency_key_is_refused_as_a_key_mismatch() {
    let license = signed(fields());
    let other = keys::public_key(&SigningKey::from_bytes(&[4; 32]));
    assert!(matches!(verify_license_signature(&license, &other), Err(CredentialError::KeyMismatch { .. })));
    assert!(matches!(
        verify_license_bytes(&license.canonical_bytes(), &other),
        Err(CredentialError::KeyMismatch { .. })
    ));
}

/// Re-signs an edited unsigned license with the right key, so that only
/// Safebox's reading of the document can refuse it.
fn resigned(edit: impl FnOnce(&mut Value)) -> Result<SignedLicense, CredentialError> {
    let mut document = signed(fields()).license().to_json();
    edit(&mut document);
    let options = ProofOptions { verification_method: method(), created: Some(created()) };
    let secured = sign_document(&document, &options, &agency_key()).unwrap();
    verify_license_bytes(&serde_json::to_vec(&secured).unwrap(), &keys::public_key(&agency_key()))
}

fn disagreement(result: Result<SignedLicense, CredentialError>) -> &'static str {
    match result {
        Err(CredentialError::License(LicenseError::Disagreement { field, .. })) => field,
        other => panic!("expected a disagreement, got {other:?}"),
    }
}

#[test]
fn signed_documents_that_contradict_themselves_are_refused_naming_the_member() {
    let type_code = resigned(|d| d["credentialSubject"]["licenseTypeCode"] = "11100000000013338W012".into());
    assert_eq!(disagreement(type_code), "credentialSubject.licenseTypeCode");
    let agency = AgencyCode::with_check_character("11370100MB2855920").unwrap();
    let agency_code = resigned(|d| d["credentialSubject"]["issuingAgencyCode"] = agency.as_str().into());
    assert_eq!(disagreement(agency_code), "credentialSubject.issuingAgencyCode");
    let issuer_name = resigned(|d| d["issuer"]["name"] = "另一个机构".into());
    assert_eq!(disagreement(issuer_name), "issuer.name");
    let valid_from = resigned(|d| d["validFrom"] = "2024-01-02T00:00:00Z".into());
    assert_eq!(disagreement(valid_from), "validFrom");
    let valid_until = resigned(|d| {
        d.as_object_mut().unwrap().remove("validUntil");
    });
    assert_eq!(disagreement(valid_until), "validUntil");

    let unknown = resigned(|d| d["credentialSubject"]["nickname"] = "x".into());
    assert!(matches!(unknown, Err(CredentialError::Shape(ref reason)) if reason.contains("nickname")), "{unknown:?}");
    let holder = resigned(|d| d["credentialSubject"]["holderCodeType"] = "999".into());
    assert!(matches!(holder, Err(CredentialError::License(LicenseError::HolderCode(_)))), "{holder:?}");
    let id = resigned(|d| d["id"] = "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33".into());
    assert!(matches!(id, Err(CredentialError::License(LicenseError::Id { .. }))), "{id:?}");
    let typed = resigned(|d| d["type"] = json!(["VerifiableCredential"]));
    assert!(matches!(typed, Err(CredentialError::License(LicenseError::Type { .. }))), "{typed:?}");
    // A member the typed form drops on writing (null read as absent).
    let null = resigned(|d| d["credentialSubject"]["previousIdentifier"] = Value::Null);
    assert_eq!(null, Err(CredentialError::NotSafeboxForm));
}

// ---- The property: any change to a signed license is caught. ----

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Paths to every leaf (string, number, bool, null), every object member,
/// and every object, in document order.
#[derive(Default)]
struct Paths {
    leaves: Vec<Vec<Step>>,
    members: Vec<Vec<Step>>,
    objects: Vec<Vec<Step>>,
}

fn collect(value: &Value, path: &mut Vec<Step>, paths: &mut Paths) {
    match value {
        Value::Object(members) => {
            paths.objects.push(path.clone());
            for (key, member) in members {
                path.push(Step::Key(key.clone()));
                paths.members.push(path.clone());
                collect(member, path, paths);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect(item, path, paths);
                path.pop();
            }
        }
        _ => paths.leaves.push(path.clone()),
    }
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(key) => &mut v[key.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    ChangeLeaf { which: prop::sample::Index, text: String },
    DropMember { which: prop::sample::Index },
    AddMember { which: prop::sample::Index, key: String, text: String },
}

/// Applies the mutation; returns the path it touched.
fn mutate(document: &mut Value, mutation: &Mutation) -> Vec<Step> {
    let mut paths = Paths::default();
    collect(document, &mut Vec::new(), &mut paths);
    match mutation {
        Mutation::ChangeLeaf { which, text } => {
            let path = which.get(&paths.leaves).clone();
            let leaf = at(document, &path);
            *leaf = match leaf.take() {
                Value::String(old) if old == *text => Value::String(format!("{old}x")),
                Value::String(_) => Value::String(text.clone()),
                Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + 1.0),
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::String(text.clone()),
            };
            path
        }
        Mutation::DropMember { which } => {
            let mut path = which.get(&paths.members).clone();
            let Some(Step::Key(key)) = path.pop() else { unreachable!("members end in a key") };
            at(document, &path).as_object_mut().unwrap().remove(&key);
            path.push(Step::Key(key));
            path
        }
        Mutation::AddMember { which, key, text } => {
            let mut path = which.get(&paths.objects).clone();
            let object = at(document, &path).as_object_mut().unwrap();
            // A fresh name: the generated one, prefixed until unused.
            let mut name = key.clone();
            while object.contains_key(&name) {
                name.insert(0, '_');
            }
            object.insert(name.clone(), Value::String(text.clone()));
            path.push(Step::Key(name));
            path
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), "\\PC{0,12}").prop_map(|(which, text)| Mutation::ChangeLeaf { which, text }),
        any::<prop::sample::Index>().prop_map(|which| Mutation::DropMember { which }),
        (any::<prop::sample::Index>(), "[a-zA-Z@]{1,12}", "\\PC{0,12}")
            .prop_map(|(which, key, text)| Mutation::AddMember { which, key, text }),
    ]
}

fn text_field() -> impl Strategy<Value = String> {
    "[\\p{Han}A-Za-z0-9][\\p{Han}A-Za-z0-9 ()（）]{0,30}"
}

fn holder_code() -> impl Strategy<Value = HolderCode> {
    prop_oneof![
        "[0-9]{17}".prop_map(|digits| {
            let check = iso7064::mod11_2(&digits).unwrap();
            HolderCode::CitizenId(CitizenId::parse(&format!("{digits}{check}")).unwrap())
        }),
        "[0-9A-HJ-NP-RTUW-Y]{17}"
            .prop_map(|first| HolderCode::UnifiedSocialCreditCode(AgencyCode::with_check_character(&first).unwrap())),
    ]
}

fn any_fields() -> impl Strategy<Value = LicenseFields> {
    let dates = (0u32..20_000, 0u32..20_000, any::<bool>(), 0u32..20_000);
    (
        ("[0-9A-Z]{1,32}", 1u16..=999, any::<bool>()),
        (text_field(), text_field(), text_field(), text_field()),
        holder_code(),
        dates,
        "(11|37|44|65)[0-9]{4}",
    )
        .prop_map(|((serial, version, renewal), (name, number, holder, agency), holder_code, dates, area)| {
            let day = |n: u32| (0..n).fold(date("1990-01-01"), |d, _| d.next_day().unwrap());
            let (issue, start, ends, length) = dates;
            let start = day(start);
            let first = identifier(&serial, version);
            let previous = (renewal && version < 999).then(|| first.clone());
            LicenseFields {
                identifier: match &previous {
                    Some(previous) => previous.next_version().unwrap(),
                    None => first,
                },
                license_name: name,
                license_number: number,
                holder_name: holder,
                holder_code,
                issuing_agency: agency,
                issue_date: day(issue),
                validity_start: start,
                validity_end: ends.then(|| (0..length).fold(start, |d, _| d.next_day().unwrap())),
                jurisdiction_code: AreaCode::parse(&area).unwrap(),
                previous_identifier: previous,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_changed_dropped_or_added_member_fails_verification(fields in any_fields(), mutation in mutation()) {
        let key = keys::public_key(&agency_key());
        let license = sign_license(fields, &agency_key(), &method(), created()).unwrap();
        prop_assert_eq!(verify_license_bytes(&license.canonical_bytes(), &key), Ok(license.clone()));

        let mut document = license.to_json();
        let path = mutate(&mut document, &mutation);
        let bytes = serde_json::to_vec(&document).unwrap();
        let verdict = verify_license_bytes(&bytes, &key);
        prop_assert!(verdict.is_err(), "{:?} at {:?} verified", mutation, path);
        // Outside the proof and the @context, the signature itself is what
        // fails (a changed @context no longer matches the proof's copy).
        let in_proof_or_context = matches!(path.first(), Some(Step::Key(k)) if k == "proof" || k == "@context");
        if !in_proof_or_context {
            prop_assert_eq!(verdict, Err(CredentialError::SignatureInvalid), "at {:?}", path);
        }
        // The typed path agrees: if the document still reads as a license,
        // its signature fails.
        if let Ok(read) = SignedLicense::from_json(&document) {
            prop_assert!(verify_license_signature(&read, &key).is_err(), "typed {:?} at {:?}", mutation, path);
        }
    }
}
