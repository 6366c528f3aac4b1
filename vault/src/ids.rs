//! The vault's names and digests: box and document ids, version numbers,
//! document types, content hashes and the commitments the chains record.
//!
//! Each meaning has its own type, so a document id is never passed where a
//! box id is expected and a content hash is never recorded as a commitment.
//! All fixed-size values print as lowercase hex.

use crate::error::VaultError;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! fixed_bytes {
    ($(#[$doc:meta])* $name:ident, $len:literal) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Reads the hex form (as printed by `Display`).
            pub fn parse(text: &str) -> Result<Self, $crate::error::VaultError> {
                let mut bytes = [0u8; $len];
                ::hex::decode_to_slice(text, &mut bytes).map_err(|e| $crate::error::VaultError::Invalid {
                    what: stringify!($name),
                    reason: format!("expected {} hex digits: {e}", 2 * $len),
                })?;
                Ok(Self(bytes))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&::hex::encode(self.0))
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::VaultError;
            fn from_str(text: &str) -> Result<Self, $crate::error::VaultError> {
                Self::parse(text)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use fixed_bytes;

fixed_bytes!(
    /// One applicant's box: 128 random bits, meaningless outside the vault.
    BoxId,
    16
);
fixed_bytes!(
    /// A document within a box: derived from its document type with the
    /// box's secret, so the stored keys name no type and every upload of
    /// one type lands on the same document.
    DocumentId,
    16
);
fixed_bytes!(
    /// BLAKE3 of a document version's plaintext.
    ContentHash,
    32
);
fixed_bytes!(
    /// Keyed BLAKE3 commitment to an applicant's code (citizen ID number or
    /// unified social credit code) under the box's secret. Recorded on the
    /// service chain in place of the code; unlinkable once the box is erased.
    ApplicantCommitment,
    32
);
fixed_bytes!(
    /// Keyed BLAKE3 commitment to one document version (its id, version and
    /// content hash) under the box's secret.
    DocumentCommitment,
    32
);

/// A document's version number: 1 for the first upload of a document type,
/// one more for each later upload. Numbers are never reused, even after a
/// version is deleted.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(pub u32);

impl Version {
    pub const FIRST: Version = Version(1);

    /// The version after this one, if there is one.
    pub fn next(self) -> Option<Version> {
        self.0.checked_add(1).map(Version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a document is (`id-card`, `lease`, `articles-of-association`...):
/// 1 to 128 bytes of text without control characters. A box holds one
/// document per type, with versions.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentType(String);

impl DocumentType {
    pub const MAX_LEN: usize = 128;

    pub fn new(text: impl Into<String>) -> Result<Self, VaultError> {
        let text = text.into();
        check_text("document type", &text, Self::MAX_LEN)?;
        Ok(DocumentType(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DocumentType {
    type Error = VaultError;
    fn try_from(text: String) -> Result<Self, VaultError> {
        DocumentType::new(text)
    }
}

impl From<DocumentType> for String {
    fn from(t: DocumentType) -> String {
        t.0
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuses empty, over-long or control-character text (a file name with a
/// newline in it is a header injection waiting for an HTTP layer).
pub(crate) fn check_text(what: &'static str, text: &str, max_len: usize) -> Result<(), VaultError> {
    let reason = if text.is_empty() {
        "empty".to_owned()
    } else if text.len() > max_len {
        format!("{} bytes, at most {max_len}", text.len())
    } else if text.chars().any(char::is_control) {
        "contains a control character".to_owned()
    } else {
        return Ok(());
    };
    Err(VaultError::Invalid { what, reason })
}
