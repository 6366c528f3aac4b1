//! Fuzzes the identifiers read from outside: GB/T 36904 e-license
//! identifiers (`LicenseIdentifier`), the chain's `LicenseId`, GB 32100
//! agency codes, license type codes, holder and area codes.
//!
//! Properties: each has one spelling (what parses is written back as read,
//! and survives a JSON round trip); a parsed identifier is rebuilt equal
//! from its parts; its renewal parses back; and the ISO/IEC 7064 MOD 37,36
//! check catches every single-character substitution, so no identifier
//! one character away from an accepted one is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safebox_chain::credential::{AreaCode, CitizenId, HolderCode, LicenseIdentifier, LicenseTypeCode};
use safebox_chain::{AgencyCode, LicenseId};

/// The MOD 37,36 alphabet.
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    if let Ok(id) = LicenseId::parse(text) {
        assert_eq!(id.as_str(), text);
        let json = serde_json::to_string(&id).expect("a license id serialises");
        assert_eq!(serde_json::from_str::<LicenseId>(&json).expect("its JSON reads back"), id);
    }

    if let Ok(code) = AgencyCode::parse(text) {
        assert_eq!(code.as_str(), text);
        // The first 17 characters determine the 18th.
        let first17: String = text.chars().take(17).collect();
        assert_eq!(AgencyCode::with_check_character(&first17).expect("completes"), code);
    }
    if let Ok(code) = LicenseTypeCode::parse(text) {
        assert_eq!(code.as_str(), text);
    }
    if let Ok(code) = CitizenId::parse(text) {
        assert_eq!(code.as_str(), text);
    }
    if let Ok(code) = AreaCode::parse(text) {
        assert_eq!(code.as_str(), text);
    }
    for code_type in ["111", "001"] {
        if let Ok(code) = HolderCode::from_parts(code_type, text) {
            assert_eq!((code.code_type(), code.as_str()), (code_type, text));
        }
    }

    let Ok(identifier) = LicenseIdentifier::parse(text) else { return };
    assert_eq!(identifier.as_str(), text, "one spelling");
    let rebuilt =
        LicenseIdentifier::new(identifier.type_code(), identifier.issuer(), identifier.serial(), identifier.version())
            .expect("an accepted identifier's parts build it again");
    assert_eq!(rebuilt, identifier);
    assert_eq!(identifier.license_id(), LicenseId::parse(text).expect("a GB/T 36904 identifier is a license id"));
    if let Ok(next) = identifier.next_version() {
        assert_eq!(next.version(), identifier.version() + 1);
        assert_eq!(LicenseIdentifier::parse(next.as_str()).expect("a renewal's identifier parses"), next);
    }

    // Every single substitution of a character by another of the alphabet
    // is refused: by the check character (MOD 37,36 detects all of them),
    // or earlier by the part's own form or the issuer code's own check.
    for (at, original) in text.bytes().enumerate() {
        let replacement = ALPHABET[(usize::from(original) + at) % ALPHABET.len()];
        let replacement =
            if replacement == original { ALPHABET[(usize::from(original) + at + 1) % 36] } else { replacement };
        let mut changed = text.as_bytes().to_vec();
        changed[at] = replacement;
        let changed = String::from_utf8(changed).expect("ASCII replaced by ASCII");
        assert!(
            LicenseIdentifier::parse(&changed).is_err(),
            "{changed} is one substitution from {text} and was accepted too"
        );
    }
});
