//! The codes a license names besides its own identifier: the holder's code
//! (持证主体代码) with its type, and the jurisdiction's area code (管辖属地编码).

use super::iso7064::mod11_2;
use super::text::text_form;
use crate::ids::{AgencyCode, IdError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a holder or area code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("citizen identity number must be 18 characters, got {0}")]
    CitizenIdLength(usize),
    #[error("citizen identity number has {found:?} at position {position}; the first 17 must be digits and the last a digit or X")]
    CitizenIdCharacter { position: usize, found: char },
    #[error("citizen identity number check character is {found:?}, expected {expected:?} (ISO/IEC 7064 MOD 11-2)")]
    CitizenIdCheck { found: char, expected: char },
    #[error("holder unified social credit code: {0}")]
    HolderCreditCode(IdError),
    #[error("holder code type must be 111 (citizen identity number) or 001 (unified social credit code), got {0:?}")]
    HolderCodeType(String),
    #[error("jurisdiction area code must be six digits (GB/T 2260), got {0:?}")]
    AreaCode(String),
}

/// A GB 11643 citizen identity number (公民身份号码): 17 digits and a MOD 11-2
/// check character (a digit or `X`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId(String);

impl CitizenId {
    /// Checks length, characters and check character.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != 18 {
            return Err(CodeError::CitizenIdLength(chars.len()));
        }
        let bad_position = chars.iter().enumerate().position(|(i, &c)| !(c.is_ascii_digit() || (i == 17 && c == 'X')));
        if let Some(i) = bad_position {
            return Err(CodeError::CitizenIdCharacter { position: i + 1, found: chars[i] });
        }
        // The first 17 are digits, so the check always exists.
        let expected = mod11_2(&text[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(CodeError::CitizenIdCheck { found: chars[17], expected });
        }
        Ok(CitizenId(text.to_owned()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 持证主体代码 with its code type (持证主体代码类型); on its own in JSON as
/// `{"type": "111", "code": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "code")]
pub enum HolderCode {
    /// Type 111: a citizen's identity number.
    #[serde(rename = "111")]
    CitizenId(CitizenId),
    /// Type 001: an organisation's unified social credit code.
    #[serde(rename = "001")]
    UnifiedSocialCreditCode(AgencyCode),
}

impl HolderCode {
    /// Reads a code given with its type code.
    pub fn from_parts(code_type: &str, code: &str) -> Result<Self, CodeError> {
        match code_type {
            "111" => CitizenId::parse(code).map(HolderCode::CitizenId),
            "001" => {
                AgencyCode::parse(code).map(HolderCode::UnifiedSocialCreditCode).map_err(CodeError::HolderCreditCode)
            }
            other => Err(CodeError::HolderCodeType(other.to_owned())),
        }
    }

    /// The code type: `111` or `001`.
    pub fn code_type(&self) -> &'static str {
        match self {
            HolderCode::CitizenId(_) => "111",
            HolderCode::UnifiedSocialCreditCode(_) => "001",
        }
    }

    /// The code itself.
    pub fn as_str(&self) -> &str {
        match self {
            HolderCode::CitizenId(id) => id.as_str(),
            HolderCode::UnifiedSocialCreditCode(code) => code.as_str(),
        }
    }
}

/// A GB/T 2260 administrative division code (行政区划代码), six digits, such
/// as 370100 for Jinan.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaCode(String);

impl AreaCode {
    /// Checks the form: six digits, the first two a province (11 to 82).
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let province = text.get(..2).and_then(|p| p.parse::<u8>().ok());
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) || !matches!(province, Some(11..=82)) {
            return Err(CodeError::AreaCode(text.to_owned()));
        }
        Ok(AreaCode(text.to_owned()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_form!(CitizenId);
text_form!(AreaCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gb_11643_example_number_passes() {
        assert!(CitizenId::parse("11010519491231002X").is_ok());
        assert_eq!(
            CitizenId::parse("110105194912310021"),
            Err(CodeError::CitizenIdCheck { found: '1', expected: 'X' })
        );
        assert_eq!(
            CitizenId::parse("1101051949123100X2"),
            Err(CodeError::CitizenIdCharacter { position: 17, found: 'X' })
        );
    }

    #[test]
    fn holder_codes_need_a_known_type() {
        let code = HolderCode::from_parts("111", "11010519491231002X").unwrap();
        assert_eq!((code.code_type(), code.as_str()), ("111", "11010519491231002X"));
        assert_eq!(HolderCode::from_parts("999", "x"), Err(CodeError::HolderCodeType("999".into())));
        assert!(matches!(HolderCode::from_parts("001", "123"), Err(CodeError::HolderCreditCode(_))));
    }

    #[test]
    fn area_codes_are_six_digits_of_a_province() {
        assert!(AreaCode::parse("370100").is_ok());
        for bad in ["37010", "3701000", "09ABCD", "990000", "３７0100"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }
}
