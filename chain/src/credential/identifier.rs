//! GB/T 36904 e-license identifiers (电子证照标识) and the license type codes
//! (证照类型代码) inside them.
//!
//! Form: `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`
//! where `1.2.156.3005.2` is the national e-license root (国家电子证照根代码),
//! the type code has 21 characters, the issuer code is the issuing agency's
//! 18-character GB 32100 unified social credit code, the serial (顺序号) is
//! the agency's own, the version (版本号) is three digits from `001`, and the
//! check character (校验位) is ISO/IEC 7064 MOD 37,36.
//!
//! Which characters the check covers: the type code, issuer code, serial and
//! version, concatenated without the dots; the root is left out. This is what
//! issuing systems in production compute, and it reproduces the check
//! characters of published identifiers (the tests hold two of them). Leaving
//! the constant root out loses nothing: it is checked literally.

use super::iso7064::{alphanumeric_value, mod37_36};
use super::text::text_form;
use crate::ids::{AgencyCode, IdError, LicenseId};
use std::fmt;

/// The national e-license root code, followed by its separating dot.
pub const ROOT_PREFIX: &str = "1.2.156.3005.2.";

/// Longest serial accepted. With it the whole identifier stays within the
/// 128 characters of the chain's `LicenseId` (62 characters besides the
/// serial).
pub const MAX_SERIAL_LEN: usize = 64;

/// Why a license identifier or type code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("license identifier must begin with the e-license root {ROOT_PREFIX:?}")]
    Prefix,
    #[error("license identifier must have 5 dot-separated parts after the root (type code, issuer code, serial, version, check character), found {0}")]
    SegmentCount(usize),
    #[error("license type code must be 21 characters, got {0}")]
    TypeCodeLength(usize),
    #[error("license type code has {found:?} at position {position}; only digits and capital letters are allowed")]
    TypeCodeCharacter { position: usize, found: char },
    #[error("issuer code: {0}")]
    Issuer(IdError),
    #[error("serial must be 1 to {MAX_SERIAL_LEN} characters, got {0}")]
    SerialLength(usize),
    #[error("serial has {found:?} at position {position}; only digits and capital letters are allowed")]
    SerialCharacter { position: usize, found: char },
    #[error("version must be three digits from 001 to 999, got {0:?}")]
    Version(String),
    #[error("version 999 is the last; a renewal needs a new serial")]
    VersionExhausted,
    #[error("check character must be one digit or capital letter, got {0:?}")]
    CheckCharacterFormat(String),
    #[error("check character is {found:?}, expected {expected:?} (ISO/IEC 7064 MOD 37,36)")]
    CheckCharacter { found: char, expected: char },
}

/// A GB/T 36904 license type code (证照类型代码): 21 digits or capital
/// letters (in practice the defining department's unified social credit
/// code followed by a three-digit number).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseTypeCode(String);

impl LicenseTypeCode {
    /// Checks length and alphabet.
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        let count = text.chars().count();
        if count != 21 {
            return Err(IdentifierError::TypeCodeLength(count));
        }
        if let Some((position, found)) = first_outside_alphabet(text) {
            return Err(IdentifierError::TypeCodeCharacter { position, found });
        }
        Ok(LicenseTypeCode(text.to_owned()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A checked GB/T 36904 e-license identifier.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseIdentifier {
    text: String,
    type_code: LicenseTypeCode,
    issuer: AgencyCode,
    serial: String,
    version: u16,
    check: char,
}

impl LicenseIdentifier {
    /// Builds an identifier from its parts, computing the check character.
    pub fn new(
        type_code: &LicenseTypeCode,
        issuer: &AgencyCode,
        serial: &str,
        version: u16,
    ) -> Result<Self, IdentifierError> {
        check_serial(serial)?;
        if !(1..=999).contains(&version) {
            return Err(IdentifierError::Version(version.to_string()));
        }
        let body = format!("{}.{}.{serial}.{version:03}", type_code.as_str(), issuer.as_str());
        let check = check_character(&body);
        Ok(LicenseIdentifier {
            text: format!("{ROOT_PREFIX}{body}.{check}"),
            type_code: type_code.clone(),
            issuer: issuer.clone(),
            serial: serial.to_owned(),
            version,
            check,
        })
    }

    /// Reads and checks the text form; every refusal names its reason.
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        let rest = text.strip_prefix(ROOT_PREFIX).ok_or(IdentifierError::Prefix)?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, serial, version, check] = parts[..] else {
            return Err(IdentifierError::SegmentCount(parts.len()));
        };
        let type_code = LicenseTypeCode::parse(type_code)?;
        let issuer = AgencyCode::parse(issuer).map_err(IdentifierError::Issuer)?;
        check_serial(serial)?;
        let version = parse_version(version)?;
        let built = Self::new(&type_code, &issuer, serial, version)?;
        let mut found = check.chars();
        let found = match (found.next(), found.next()) {
            (Some(c), None) if alphanumeric_value(c).is_some() => c,
            _ => return Err(IdentifierError::CheckCharacterFormat(check.to_owned())),
        };
        let expected = built.check;
        if found != expected {
            return Err(IdentifierError::CheckCharacter { found, expected });
        }
        Ok(built)
    }

    /// The next version of this license (for a renewal, 换证/延续): same
    /// type, issuer and serial, version plus one, new check character.
    pub fn next_version(&self) -> Result<Self, IdentifierError> {
        if self.version >= 999 {
            return Err(IdentifierError::VersionExhausted);
        }
        Self::new(&self.type_code, &self.issuer, &self.serial, self.version + 1)
    }

    /// The key under which the license chain records this license.
    pub fn license_id(&self) -> LicenseId {
        // The text is at most 62 + MAX_SERIAL_LEN = 126 characters of digits,
        // capitals and dots, which `LicenseId` always accepts.
        LicenseId::parse(&self.text).expect("a GB/T 36904 identifier is a valid license id")
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// 证照类型代码.
    pub fn type_code(&self) -> &LicenseTypeCode {
        &self.type_code
    }

    /// 颁发机构代码: the issuing agency's unified social credit code.
    pub fn issuer(&self) -> &AgencyCode {
        &self.issuer
    }

    /// 顺序号.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// 版本号, 1 to 999.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// 校验位.
    pub fn check_character(&self) -> char {
        self.check
    }
}

/// The check character over the dotted body `type.issuer.serial.version`
/// (see the module comment for why the dots and the root are left out).
fn check_character(body: &str) -> char {
    let significant: String = body.chars().filter(|&c| c != '.').collect();
    // Callers have checked every part against the alphabet.
    mod37_36(&significant).expect("identifier parts are digits and capitals")
}

fn check_serial(serial: &str) -> Result<(), IdentifierError> {
    let count = serial.chars().count();
    if count == 0 || count > MAX_SERIAL_LEN {
        return Err(IdentifierError::SerialLength(count));
    }
    if let Some((position, found)) = first_outside_alphabet(serial) {
        return Err(IdentifierError::SerialCharacter { position, found });
    }
    Ok(())
}

fn parse_version(text: &str) -> Result<u16, IdentifierError> {
    let bad = || IdentifierError::Version(text.to_owned());
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u16>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(bad()),
    }
}

/// The first character (1-based position) outside digits and capitals.
fn first_outside_alphabet(text: &str) -> Option<(usize, char)> {
    text.chars().enumerate().find(|&(_, c)| alphanumeric_value(c).is_none()).map(|(i, c)| (i + 1, c))
}

impl fmt::Display for LicenseTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for LicenseIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_form!(LicenseTypeCode);
text_form!(LicenseIdentifier);
