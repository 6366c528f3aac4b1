//! The Safebox e-license: GB/T 36903 metadata in a W3C Verifiable
//! Credential 2.0, signed by the issuing agency with eddsa-jcs-2022.
//!
//! The JSON form (`wire.rs` has it member for member):
//!
//! ```text
//! { "@context": ["https://www.w3.org/ns/credentials/v2", "https://safebox.dev/ns/e-license/v1"],
//!   "id": "urn:gbt36904:<identifier>",
//!   "type": ["VerifiableCredential", "ElectronicLicense"],
//!   "issuer": { "id": "urn:uscc:<agency code>", "name": "<颁发机构>" },
//!   "validFrom": "…Z", "validUntil": "…Z",
//!   "credentialSubject": { "licenseName": …, "licenseTypeCode": …, … },
//!   "proof": { "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", … } }
//! ```
//!
//! Nothing is stated twice independently: the type code and the issuer's
//! code come from the identifier, `validFrom` / `validUntil` from the
//! validity dates, `issuer` from the issuing agency. A document read back is
//! refused unless every such pair agrees, so a verifier never has to choose
//! between two answers.

use super::codes::{AreaCode, CodeError, HolderCode};
use super::data_integrity::{self, DataIntegrityProof, ProofOptions, CRYPTOSUITE, PROOF_PURPOSE, PROOF_TYPE};
use super::datetime::{CivilDate, UtcTime};
use super::identifier::{IdentifierError, LicenseIdentifier};
use super::strict_json;
use super::verification_method::VerificationMethod;
use super::wire::{LicenseWire, SignedLicenseWire};
use super::CredentialError;
use crate::canonical;
use crate::hash::CredentialDigest;
use crate::keys::PublicKey;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longest free text (names, license number), in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// Why license fields or a license document are not a Safebox e-license.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    #[error("{0} must not be empty")]
    EmptyText(&'static str),
    #[error("{0} contains a control character")]
    ControlCharacter(&'static str),
    #[error("{0} is longer than {MAX_TEXT_CHARS} characters")]
    TooLong(&'static str),
    #[error("validity ends on {end}, before it starts on {start}")]
    ValidityOrder { start: CivilDate, end: CivilDate },
    #[error("validity cannot start on {0}: that day began before 1970-01-01T00:00:00Z")]
    StartBeforeEpoch(CivilDate),
    #[error("validity cannot end on {0}: the day after has no four-digit year")]
    EndTooLate(CivilDate),
    #[error("a license cannot name itself as its previous identifier (关联证照标识)")]
    PreviousIsSelf,
    #[error("@context must be {expected:?}, found {found:?}")]
    Context { expected: [&'static str; 2], found: Vec<String> },
    #[error("type must be {expected:?}, found {found:?}")]
    Type { expected: [&'static str; 2], found: Vec<String> },
    #[error("id must be {prefix:?} followed by the license identifier, found {found:?}")]
    Id { prefix: &'static str, found: String },
    #[error("id: {0}")]
    Identifier(IdentifierError),
    #[error("{field} is {found:?}, but {source_field} gives {expected:?}")]
    Disagreement { field: &'static str, source_field: &'static str, found: String, expected: String },
    #[error("holder code: {0}")]
    HolderCode(CodeError),
}

/// What an agency fills in to issue a license: the GB/T 36903 metadata.
/// Each field says its Chinese name and the JSON member it becomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseFields {
    /// 电子证照标识 → `id` (`urn:gbt36904:…`). It also gives 证照类型代码
    /// (`licenseTypeCode`) and 颁发机构代码 (`issuingAgencyCode`,
    /// `issuer.id`).
    pub identifier: LicenseIdentifier,
    /// 证照名称 → `licenseName`.
    pub license_name: String,
    /// 证照编号 → `licenseNumber`: the number printed on the license.
    pub license_number: String,
    /// 持证主体 → `holderName`.
    pub holder_name: String,
    /// 持证主体代码 and 持证主体代码类型 → `holderCode`, `holderCodeType`.
    pub holder_code: HolderCode,
    /// 颁发机构 → `issuingAgency` and `issuer.name`.
    pub issuing_agency: String,
    /// 颁发日期 → `issueDate`.
    pub issue_date: CivilDate,
    /// 有效期起始日期 → `validityStart`; `validFrom` is 00:00 China time
    /// (UTC+8) that day.
    pub validity_start: CivilDate,
    /// 有效期截止日期 → `validityEnd`, the last valid day; `validUntil` is
    /// 00:00 China time the day after. `None` for a license without end
    /// (长期).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_end: Option<CivilDate>,
    /// 管辖属地编码 → `jurisdictionCode`.
    pub jurisdiction_code: AreaCode,
    /// 关联证照标识 → `previousIdentifier`: on a renewal, the identifier of
    /// the license this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_identifier: Option<LicenseIdentifier>,
}

/// An unsigned Safebox e-license: checked fields and the instants they
/// imply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectronicLicense {
    fields: LicenseFields,
    valid_from: UtcTime,
    valid_until: Option<UtcTime>,
}

/// A Safebox e-license with its issuing agency's proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedLicense {
    license: ElectronicLicense,
    proof: DataIntegrityProof,
}

impl ElectronicLicense {
    /// Checks the fields (texts present and printable, validity in order,
    /// a renewal naming another license) and derives the VC instants.
    pub fn new(fields: LicenseFields) -> Result<Self, LicenseError> {
        for (name, text) in [
            ("licenseName", &fields.license_name),
            ("licenseNumber", &fields.license_number),
            ("holderName", &fields.holder_name),
            ("issuingAgency", &fields.issuing_agency),
        ] {
            check_text(name, text)?;
        }
        let start = fields.validity_start;
        let valid_from = start.start_in_china().ok_or(LicenseError::StartBeforeEpoch(start))?;
        let valid_until = match fields.validity_end {
            None => None,
            Some(end) if end < start => return Err(LicenseError::ValidityOrder { start, end }),
            Some(end) => {
                Some(end.next_day().and_then(|day| day.start_in_china()).ok_or(LicenseError::EndTooLate(end))?)
            }
        };
        if fields.previous_identifier.as_ref() == Some(&fields.identifier) {
            return Err(LicenseError::PreviousIsSelf);
        }
        Ok(ElectronicLicense { fields, valid_from, valid_until })
    }

    /// The fields as given.
    pub fn fields(&self) -> &LicenseFields {
        &self.fields
    }

    /// 电子证照标识.
    pub fn identifier(&self) -> &LicenseIdentifier {
        &self.fields.identifier
    }

    /// `validFrom`: the start of the first valid day, China time.
    pub fn valid_from(&self) -> UtcTime {
        self.valid_from
    }

    /// `validUntil`: the end of the last valid day, China time; `None`
    /// for 长期.
    pub fn valid_until(&self) -> Option<UtcTime> {
        self.valid_until
    }

    /// The unsigned VC document.
    pub fn to_json(&self) -> Value {
        own_json(&LicenseWire::from(self))
    }
}

impl SignedLicense {
    /// The license.
    pub fn license(&self) -> &ElectronicLicense {
        &self.license
    }

    /// The proof.
    pub fn proof(&self) -> &DataIntegrityProof {
        &self.proof
    }

    /// The signed VC document.
    pub fn to_json(&self) -> Value {
        let mut document = self.license.to_json();
        if let Value::Object(members) = &mut document {
            members.insert("proof".into(), own_json(&self.proof));
        }
        document
    }

    /// The canonical (RFC 8785) bytes of the signed document: what is
    /// stored, sent and digested.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Our own types hold only strings, arrays and objects, which always
        // canonicalise.
        canonical::to_vec(&self.to_json()).expect("a signed license always canonicalises")
    }

    /// Reads a signed license document without verifying its signature:
    /// its shape, its proof's fixed members and the agreement of every
    /// derived member.
    pub fn from_json(document: &Value) -> Result<Self, CredentialError> {
        Self::from_value(document.clone())
    }

    /// As [`Self::from_json`], taking the document by value, for a reader
    /// that has no further use for it (no copy of every member).
    pub fn from_value(document: Value) -> Result<Self, CredentialError> {
        let Value::Object(mut members) = document else {
            return Err(CredentialError::NotAnObject);
        };
        let proof = members.remove("proof").ok_or(CredentialError::MissingProof)?;
        let proof: DataIntegrityProof =
            serde_json::from_value(proof).map_err(|e| CredentialError::Shape(format!("proof: {e}")))?;
        // Judged now, while the members are at hand, and reported last, as
        // before.
        let context_agrees = members.get("@context") == Some(&own_json(&proof.context));
        let wire: LicenseWire =
            serde_json::from_value(Value::Object(members)).map_err(|e| CredentialError::Shape(e.to_string()))?;
        let license = wire.into_license()?;
        for (field, found, expected) in [
            ("proof.type", proof.proof_type.as_str(), PROOF_TYPE),
            ("proof.cryptosuite", proof.cryptosuite.as_str(), CRYPTOSUITE),
            ("proof.proofPurpose", proof.proof_purpose.as_str(), PROOF_PURPOSE),
        ] {
            if found != expected {
                return Err(CredentialError::Shape(format!("{field} must be {expected:?}, found {found:?}")));
            }
        }
        if !context_agrees {
            return Err(CredentialError::ContextMismatch);
        }
        Ok(SignedLicense { license, proof })
    }

    /// Reads the text of a signed license that is already known to be in
    /// canonical (RFC 8785) form. Gives the same license as
    /// [`Self::from_json_bytes`], or `None` where that refuses (and,
    /// conservatively, wherever this reader is not sure), without building a
    /// JSON value or writing the license back.
    ///
    /// Why it refuses all that `from_json_bytes` refuses:
    /// - duplicate keys: canonical text has none at any depth, so the
    ///   strict and the plain parser read it alike;
    /// - the typed reading: the same member types, none unknown, every
    ///   required one present; then the same checks (`into_license`, the
    ///   proof's fixed members, `@context` agreeing: two arrays of strings
    ///   are equal JSON exactly when they are equal `Vec`s);
    /// - Safebox form, that writing the typed value back gives the same
    ///   canonical bytes. Both texts are canonical, so it is enough that
    ///   they are the same JSON value, and the typed reading makes them so:
    ///   * the members: none unknown, all required ones present, and no
    ///     `null` anywhere in the text (refused below, since a typed reading
    ///     takes a `null` optional member as absent, and writing omits it),
    ///     so an optional member is in the text exactly when it is `Some`;
    ///   * free texts (names, numbers) are written as read;
    ///   * every typed member has one spelling, so it is written as read:
    ///     the codes (`AgencyCode`, `AreaCode`, `LicenseTypeCode`,
    ///     `CitizenId`) and the verification method keep the text they
    ///     checked; a `LicenseIdentifier` is rebuilt from its segments, each
    ///     of fixed form (the version exactly three digits, the check
    ///     character compared as read); dates and instants are fixed-width
    ///     digits in range (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`); base58btc
    ///     of 64 bytes is one string (base58 is positional, and its leading
    ///     zero bytes are exactly its leading `1`s); the holder code type is
    ///     written from the literal it matched;
    ///   * members derived from another (`id`'s type code and issuer,
    ///     `issuer`, `validFrom`, `validUntil`) are written from their
    ///     source, and `into_license` refused the text unless each was equal
    ///     to it (the instants by value, which is by text, one spelling);
    ///     `@context` and `type` are constants it compared.
    ///
    /// `verify::credential` holds a property test of this against the
    /// general path (same license, same digest, never more accepted).
    pub(crate) fn from_canonical_text(text: &str) -> Option<Self> {
        // `null` as text, even inside a string, only sends the license to
        // the general path.
        if text.contains("null") {
            return None;
        }
        let (wire, proof) = serde_json::from_str::<SignedLicenseWire>(text).ok()?.split();
        let context_agrees = wire.context() == proof.context.as_slice();
        let license = wire.into_license().ok()?;
        let fixed = [
            (proof.proof_type.as_str(), PROOF_TYPE),
            (proof.cryptosuite.as_str(), CRYPTOSUITE),
            (proof.proof_purpose.as_str(), PROOF_PURPOSE),
        ];
        if !context_agrees || fixed.iter().any(|(found, expected)| found != expected) {
            return None;
        }
        Some(SignedLicense { license, proof })
    }

    /// Reads JSON text strictly (duplicate keys refused) as a signed
    /// license, without verifying its signature. The text must be exactly
    /// what this type writes, up to canonical form.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, CredentialError> {
        let document = strict_json::parse(bytes).map_err(|e| CredentialError::Json(e.to_string()))?;
        Self::from_document(&document)
    }

    /// `from_json`, then insists that writing the license back gives the
    /// same canonical bytes, so that the typed value is all that was
    /// signed (no member dropped, no `null` read as absent).
    fn from_document(document: &Value) -> Result<Self, CredentialError> {
        let signed = Self::from_json(document)?;
        if signed.canonical_bytes() != canonical::to_vec(document)? {
            return Err(CredentialError::NotSafeboxForm);
        }
        Ok(signed)
    }
}

/// Builds and signs an e-license with the issuing agency's key.
/// `method` must be the `did:key` of that key.
pub fn sign_license(
    fields: LicenseFields,
    agency_key: &SigningKey,
    method: &VerificationMethod,
    created: UtcTime,
) -> Result<SignedLicense, CredentialError> {
    let license = ElectronicLicense::new(fields)?;
    let options = ProofOptions { verification_method: method.clone(), created: Some(created) };
    let secured = data_integrity::sign_document(&license.to_json(), &options, agency_key)?;
    SignedLicense::from_json(&secured)
}

/// Verifies the agency's signature on a signed license with `agency_key`,
/// the key the caller trusts for the issuing agency.
pub fn verify_license_signature(license: &SignedLicense, agency_key: &PublicKey) -> Result<(), CredentialError> {
    data_integrity::verify_document(&license.to_json(), agency_key)
}

/// Verifies the signature on license JSON as received, then reads it as a
/// Safebox e-license. The signature is checked over the text as it is, so
/// its verdict does not depend on Safebox's reading of the document.
pub fn verify_license_bytes(bytes: &[u8], agency_key: &PublicKey) -> Result<SignedLicense, CredentialError> {
    let document = data_integrity::verify_document_bytes(bytes, agency_key)?;
    SignedLicense::from_document(&document)
}

/// SHA-256 of the signed license's canonical bytes: what the license
/// chain records for it.
pub fn credential_digest(license: &SignedLicense) -> CredentialDigest {
    CredentialDigest(Sha256::digest(license.canonical_bytes()).into())
}

fn check_text(field: &'static str, text: &str) -> Result<(), LicenseError> {
    if text.trim().is_empty() {
        Err(LicenseError::EmptyText(field))
    } else if text.chars().any(char::is_control) {
        Err(LicenseError::ControlCharacter(field))
    } else if text.chars().count() > MAX_TEXT_CHARS {
        Err(LicenseError::TooLong(field))
    } else {
        Ok(())
    }
}

/// JSON of our own types, which serialise without fail (string keys, no
/// floats).
fn own_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("credential types always serialise")
}

impl Serialize for ElectronicLicense {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LicenseWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for ElectronicLicense {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = LicenseWire::deserialize(d)?;
        wire.into_license().map_err(serde::de::Error::custom)
    }
}

impl Serialize for SignedLicense {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for SignedLicense {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let document = Value::deserialize(d)?;
        SignedLicense::from_json(&document).map_err(serde::de::Error::custom)
    }
}
