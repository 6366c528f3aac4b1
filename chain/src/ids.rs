//! Identifiers that entries name: agencies (统一社会信用代码) and licenses.

use serde::{de, Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("unified social credit code must be 18 characters, got {0}")]
    CodeLength(usize),
    #[error("unified social credit code has a character outside GB 32100's alphabet at position {0}")]
    CodeCharacter(usize),
    #[error("unified social credit code check character is {found:?}, expected {expected:?}")]
    CodeCheck { found: char, expected: char },
    #[error("license identifier must be 1 to 128 printable ASCII characters")]
    LicenseIdFormat,
}

/// GB 32100 unified social credit code (统一社会信用代码) of an agency or
/// enterprise: 18 characters, the last a MOD 31 check character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AgencyCode(String);

/// The GB 32100 alphabet: digits and capitals without I, O, S, V and Z.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Each ASCII byte's value in [`USCC_ALPHABET`], 255 for none: a code is
/// read on every verification, and a table beats searching the alphabet.
const USCC_VALUES: [u8; 128] = {
    let mut table = [255u8; 128];
    let mut i = 0;
    while i < USCC_ALPHABET.len() {
        table[USCC_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

impl AgencyCode {
    /// Checks length, alphabet and check character.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let bytes = text.as_bytes();
        if bytes.len() != 18 || text.chars().count() != 18 {
            return Err(IdError::CodeLength(text.chars().count()));
        }
        let mut values = [0u32; 18];
        for (i, b) in bytes.iter().enumerate() {
            values[i] = match USCC_VALUES.get(*b as usize) {
                Some(&v) if v != 255 => u32::from(v),
                _ => return Err(IdError::CodeCharacter(i + 1)),
            };
        }
        let sum: u32 = values[..17].iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
        let expected = USCC_ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        let found = bytes[17] as char;
        if found != expected {
            return Err(IdError::CodeCheck { found, expected });
        }
        Ok(AgencyCode(text.to_owned()))
    }

    /// Completes 17 characters with their check character (for tests, demos
    /// and catalog tooling).
    pub fn with_check_character(first17: &str) -> Result<Self, IdError> {
        let mut text = first17.to_owned();
        text.push('0');
        match Self::parse(&text) {
            Ok(code) => Ok(code),
            Err(IdError::CodeCheck { expected, .. }) => {
                text.pop();
                text.push(expected);
                Self::parse(&text)
            }
            Err(e) => Err(e),
        }
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-license identifier as the license chain records it.
///
/// The full GB/T 36904 structure is checked by the credential layer; the
/// chain only needs a stable, printable key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LicenseId(String);

impl LicenseId {
    /// Checks that the identifier is printable ASCII of a sane length.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.is_empty() || text.len() > 128 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdError::LicenseIdFormat);
        }
        Ok(LicenseId(text.to_owned()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! id_boilerplate {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(de::Error::custom)
            }
        }
    };
}
id_boilerplate!(AgencyCode);
id_boilerplate!(LicenseId);
pub(crate) use id_boilerplate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_unified_social_credit_code_passes_its_check() {
        // A widely published example code (GB 32100 annex style).
        assert!(AgencyCode::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn a_changed_character_fails_the_check_with_the_expected_character() {
        let err = AgencyCode::parse("91350100M000100Y44").unwrap_err();
        assert!(matches!(err, IdError::CodeCheck { found: '4', expected: '3' }));
    }

    #[test]
    fn codes_of_the_wrong_length_or_alphabet_are_refused() {
        assert_eq!(AgencyCode::parse("123"), Err(IdError::CodeLength(3)));
        assert_eq!(AgencyCode::parse("91350100M000100I43"), Err(IdError::CodeCharacter(16)));
    }

    #[test]
    fn check_character_completion_round_trips() {
        let code = AgencyCode::with_check_character("11370100MB285591").unwrap_err();
        assert_eq!(code, IdError::CodeLength(17));
        let code = AgencyCode::with_check_character("11370100MB2855910").unwrap();
        assert!(AgencyCode::parse(code.as_str()).is_ok());
    }
}
