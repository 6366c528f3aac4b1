//! What service-chain entries name: a box, a grant, a document, a matter and
//! a purpose. Boxes and documents appear only as the vault's keyed values
//! (the chain cannot tell whose they are); matters and purposes are short
//! checked text, so an entry never carries more than its kind needs.

use crate::hash::Commitment;
use crate::ids::id_boilerplate;
use serde::{de, Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a service identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceIdError {
    #[error("{what} must be {digits} lowercase hex digits")]
    Hex { what: &'static str, digits: usize },
    #[error("matter code must be 1 to {max} printable ASCII characters without spaces", max = MatterCode::MAX_LEN)]
    MatterCode,
    #[error("purpose must be 1 to {max} bytes of text, not blank, without control characters", max = Purpose::MAX_LEN)]
    Purpose,
}

/// A box as the service chain names it: the vault's keyed commitment to
/// the applicant (never the applicant's code). Once the box is erased its
/// secret is gone, and nothing links this value to anyone.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoxRef(pub Commitment);

impl BoxRef {
    /// The hex form, used in state keys (base64 would put `/` in them).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0 .0)
    }
}

impl fmt::Display for BoxRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Reads the lowercase hex form.
            pub fn parse(text: &str) -> Result<Self, ServiceIdError> {
                let bad = ServiceIdError::Hex { what: stringify!($name), digits: 2 * $len };
                if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(bad);
                }
                let mut bytes = [0u8; $len];
                hex::decode_to_slice(text, &mut bytes).map_err(|_| bad)?;
                Ok($name(bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        crate::text_serde::serde_via_text!($name, $name::parse);
    };
}

hex_id!(
    /// A grant, named by 128 random bits its author chooses. Random rather
    /// than the index of its `grant.given` entry: an applicant signing on
    /// their own device knows the id before the node answers, and a
    /// resubmitted grant is refused as a duplicate instead of becoming a
    /// second grant.
    GrantId,
    16
);

hex_id!(
    /// A document as the service chain names it: the vault's document id,
    /// keyed with the box's secret from the document type. It names every
    /// version of that type in that box, and nothing outside it.
    DocumentRef,
    16
);

hex_id!(
    /// An application (申请), named by 128 random bits like a grant, for the
    /// same reason: whoever signs it knows its name before the node answers.
    ApplicationId,
    16
);

impl GrantId {
    /// A fresh random grant id.
    pub fn random() -> Self {
        GrantId(rand::random())
    }
}

impl ApplicationId {
    /// A fresh random application id.
    pub fn random() -> Self {
        ApplicationId(rand::random())
    }
}

/// A matter's code (事项编码), as the catalog will define it: 1 to 64
/// printable ASCII characters without spaces.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MatterCode(String);

impl MatterCode {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Self, ServiceIdError> {
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceIdError::MatterCode);
        }
        Ok(MatterCode(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why documents are read, in the words of the grant (设立登记审查...). Short
/// and single-line: it is recorded publicly, so it says what the matter
/// needs, never who the applicant is.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Purpose(String);

impl Purpose {
    pub const MAX_LEN: usize = 256;

    pub fn parse(text: &str) -> Result<Self, ServiceIdError> {
        if text.trim().is_empty() || text.len() > Self::MAX_LEN || text.chars().any(char::is_control) {
            return Err(ServiceIdError::Purpose);
        }
        Ok(Purpose(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

id_boilerplate!(MatterCode);
id_boilerplate!(Purpose);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_round_trip_and_refuse_other_forms() {
        let id = GrantId([0xab; 16]);
        assert_eq!(GrantId::parse(&id.to_string()), Ok(id));
        assert!(GrantId::parse(&id.to_string().to_uppercase()).is_err());
        assert!(DocumentRef::parse("abcd").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<GrantId>(&json).unwrap(), id);
    }

    #[test]
    fn matter_codes_and_purposes_refuse_what_does_not_belong_on_a_chain() {
        assert!(MatterCode::parse("370100-XK-001").is_ok());
        for bad in ["", "has space", "换行", &"x".repeat(65)] {
            assert_eq!(MatterCode::parse(bad), Err(ServiceIdError::MatterCode), "{bad:?}");
        }
        assert!(Purpose::parse("设立登记审查").is_ok());
        for bad in ["", "   ", "two\nlines", &"x".repeat(257)] {
            assert_eq!(Purpose::parse(bad), Err(ServiceIdError::Purpose), "{bad:?}");
        }
        assert!(serde_json::from_str::<Purpose>("\"a\\u0000b\"").is_err());
    }
}
