//! GB/T 36904 e-license identifiers: published identifiers pass, built
//! ones round-trip, every malformed one is refused with its own reason, and
//! any single changed character is caught.

use proptest::prelude::*;
use safebox_chain::credential::{IdentifierError, LicenseIdentifier, LicenseTypeCode, MAX_SERIAL_LEN};
use safebox_chain::ids::IdError;
use safebox_chain::{AgencyCode, LicenseId};
use safebox_tests::test_agency_code;

const TYPE_CODE: &str = "11100000000013338W011";

fn sample() -> LicenseIdentifier {
    LicenseIdentifier::new(&LicenseTypeCode::parse(TYPE_CODE).unwrap(), &test_agency_code(), "2024000001", 1).unwrap()
}

/// `sample()`'s text with `from` replaced by `to` (once).
fn variant(from: &str, to: &str) -> String {
    let text = sample().to_string();
    assert!(text.contains(from), "{text} has no {from}");
    text.replacen(from, to, 1)
}

#[test]
fn identifiers_issued_in_production_pass_their_check() {
    // Published by provincial e-license systems; the check covers type code,
    // issuer code, serial and version without the dots or the root.
    for text in [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    ] {
        let id = LicenseIdentifier::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(id.as_str(), text);
    }
}

#[test]
fn a_built_identifier_round_trips_through_text_and_json() {
    let id = sample();
    let agency = test_agency_code();
    assert!(id.as_str().starts_with("1.2.156.3005.2.11100000000013338W011."));
    assert_eq!(id.to_string(), format!("1.2.156.3005.2.{TYPE_CODE}.{agency}.2024000001.001.{}", id.check_character()));
    assert_eq!(LicenseIdentifier::parse(id.as_str()), Ok(id.clone()));
    assert_eq!(
        (id.type_code().as_str(), id.issuer(), id.serial(), id.version()),
        (TYPE_CODE, &agency, "2024000001", 1)
    );
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(serde_json::from_str::<LicenseIdentifier>(&json).unwrap(), id);
    assert_eq!(id.license_id(), LicenseId::parse(id.as_str()).unwrap());
}

#[test]
fn the_next_version_keeps_the_license_and_recomputes_the_check() {
    let first = sample();
    let second = first.next_version().unwrap();
    assert_eq!(second.version(), 2);
    assert_eq!(
        (second.type_code(), second.issuer(), second.serial()),
        (first.type_code(), first.issuer(), first.serial())
    );
    assert!(second.as_str().contains(".2024000001.002."));
    assert_eq!(LicenseIdentifier::parse(second.as_str()), Ok(second.clone()));
    let last = LicenseIdentifier::new(first.type_code(), first.issuer(), first.serial(), 999).unwrap();
    assert_eq!(last.next_version(), Err(IdentifierError::VersionExhausted));
}

#[test]
fn every_malformed_identifier_is_refused_with_its_reason() {
    let agency = test_agency_code().to_string();
    let cases: Vec<(String, IdentifierError)> = vec![
        (variant("1.2.156.3005.2.", "1.2.156.3005.3."), IdentifierError::Prefix),
        (String::new(), IdentifierError::Prefix),
        (variant(".001.", ".001.X.Y."), IdentifierError::SegmentCount(7)),
        (variant(".2024000001.", "."), IdentifierError::SegmentCount(4)),
        (variant(TYPE_CODE, "11100000000013338W01"), IdentifierError::TypeCodeLength(20)),
        (variant(TYPE_CODE, "11100000000013338w011"), IdentifierError::TypeCodeCharacter { position: 18, found: 'w' }),
        (variant(&agency, "123"), IdentifierError::Issuer(IdError::CodeLength(3))),
        (variant(".2024000001.", ".."), IdentifierError::SerialLength(0)),
        (
            variant(".2024000001.", &format!(".{}.", "9".repeat(MAX_SERIAL_LEN + 1))),
            IdentifierError::SerialLength(MAX_SERIAL_LEN + 1),
        ),
        (variant(".2024000001.", ".2024-00001."), IdentifierError::SerialCharacter { position: 5, found: '-' }),
        (variant(".001.", ".01."), IdentifierError::Version("01".into())),
        (variant(".001.", ".000."), IdentifierError::Version("000".into())),
        (variant(".001.", ".1a1."), IdentifierError::Version("1a1".into())),
    ];
    for (text, expected) in cases {
        assert_eq!(LicenseIdentifier::parse(&text), Err(expected), "{text}");
    }
    let id = sample();
    let body = id.as_str().trim_end_matches(id.check_character());
    for bad in ["", "*", "a", "AB"] {
        assert_eq!(
            LicenseIdentifier::parse(&format!("{body}{bad}")),
            Err(IdentifierError::CheckCharacterFormat(bad.into())),
            "check {bad:?}"
        );
    }
}

#[test]
fn an_issuer_code_failing_its_own_check_is_refused_as_the_issuer() {
    let agency = test_agency_code().to_string();
    let mut wrong = agency.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let err = LicenseIdentifier::parse(&variant(&agency, &wrong)).unwrap_err();
    assert!(matches!(err, IdentifierError::Issuer(IdError::CodeCheck { .. })), "{err}");
}

#[test]
fn a_wrong_check_character_is_refused_naming_the_expected_one() {
    let id = sample();
    let expected = id.check_character();
    let found = if expected == 'Q' { 'R' } else { 'Q' };
    let text = format!("{}{found}", id.as_str().trim_end_matches(expected));
    assert_eq!(LicenseIdentifier::parse(&text), Err(IdentifierError::CheckCharacter { found, expected }));
    assert!(LicenseIdentifier::parse(&text).unwrap_err().to_string().contains(&format!("expected {expected:?}")));
}

const ALPHANUMERIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn agency_code() -> impl Strategy<Value = AgencyCode> {
    "[0-9A-HJ-NP-RTUW-Y]{17}".prop_map(|first17| AgencyCode::with_check_character(&first17).unwrap())
}

proptest! {
    #[test]
    fn built_identifiers_round_trip(
        type_code in "[0-9A-Z]{21}",
        agency in agency_code(),
        serial in "[0-9A-Z]{1,64}",
        version in 1u16..=999,
    ) {
        let type_code = LicenseTypeCode::parse(&type_code).unwrap();
        let id = LicenseIdentifier::new(&type_code, &agency, &serial, version).unwrap();
        prop_assert_eq!(LicenseIdentifier::parse(id.as_str()), Ok(id.clone()));
        prop_assert!(LicenseId::parse(id.as_str()).is_ok());
    }

    /// MOD 37,36 catches every single substitution; a changed issuer code
    /// may be caught by its own GB 32100 check first.
    #[test]
    fn any_single_changed_character_is_refused(
        serial in "[0-9A-Z]{1,20}",
        version in 1u16..=999,
        position in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let type_code = LicenseTypeCode::parse(TYPE_CODE).unwrap();
        let id = LicenseIdentifier::new(&type_code, &test_agency_code(), &serial, version).unwrap();
        let text = id.as_str();
        // Only characters after the root, and not the dots.
        let candidates: Vec<usize> = text
            .char_indices()
            .filter(|&(i, c)| i >= "1.2.156.3005.2.".len() && c != '.')
            .map(|(i, _)| i)
            .collect();
        let at = candidates[position.index(candidates.len())];
        let old = text.as_bytes()[at] as char;
        let others: Vec<char> = ALPHANUMERIC.chars().filter(|&c| c != old).collect();
        let new = others[replacement.index(others.len())];
        let changed = format!("{}{new}{}", &text[..at], &text[at + 1..]);
        prop_assert!(LicenseIdentifier::parse(&changed).is_err(), "{} accepted", changed);
    }
}
