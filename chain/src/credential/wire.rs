//! The JSON form of an unsigned Safebox e-license, member for member, and
//! its conversion to and from the checked `ElectronicLicense`.
//!
//! Writing derives every repeated member from one source; reading insists
//! that each repeated member agrees with its source and names the first that
//! does not.

use super::codes::{AreaCode, HolderCode};
use super::data_integrity::DataIntegrityProof;
use super::datetime::{CivilDate, UtcTime};
use super::identifier::{LicenseIdentifier, LicenseTypeCode};
use super::license::{ElectronicLicense, LicenseError, LicenseFields};
use crate::ids::AgencyCode;
use serde::{Deserialize, Serialize};

/// The VC 2.0 base context.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Safebox's e-license context.
pub const SAFEBOX_LICENSE_CONTEXT: &str = "https://safebox.dev/ns/e-license/v1";
/// The credential's `@context`.
pub const LICENSE_CONTEXT: [&str; 2] = [CREDENTIALS_V2_CONTEXT, SAFEBOX_LICENSE_CONTEXT];
/// The credential's `type`.
pub const LICENSE_TYPE: [&str; 2] = ["VerifiableCredential", "ElectronicLicense"];
/// The credential `id` is this followed by the GB/T 36904 identifier (a
/// URN namespace of Safebox's choosing: VC ids must be URLs, and the
/// identifier's segments are not all numeric, so `urn:oid:` cannot hold it).
pub const LICENSE_ID_PREFIX: &str = "urn:gbt36904:";
/// The `issuer.id` is this followed by the agency's unified social credit
/// code: agencies rotate keys, so their id is their code, not a key.
pub const ISSUER_ID_PREFIX: &str = "urn:uscc:";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct LicenseWire {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    issuer: IssuerWire,
    valid_from: UtcTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<UtcTime>,
    credential_subject: SubjectWire,
}

/// A signed license read in one pass from its text: `LicenseWire`'s members
/// and `proof`, none unknown. Only for text already known to be canonical
/// (so without duplicate keys); whatever it reads is then held to exactly
/// the checks of the general reader (`SignedLicense::from_value`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SignedLicenseWire {
    #[serde(rename = "@context")]
    context: Vec<String>,
    credential_subject: SubjectWire,
    id: String,
    issuer: IssuerWire,
    proof: DataIntegrityProof,
    #[serde(rename = "type")]
    types: Vec<String>,
    valid_from: UtcTime,
    #[serde(default)]
    valid_until: Option<UtcTime>,
}

impl SignedLicenseWire {
    /// The license's members and the proof, apart.
    pub(super) fn split(self) -> (LicenseWire, DataIntegrityProof) {
        let SignedLicenseWire { context, credential_subject, id, issuer, proof, types, valid_from, valid_until } = self;
        (LicenseWire { context, credential_subject, id, issuer, types, valid_from, valid_until }, proof)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerWire {
    id: String,
    name: String,
}

/// `credentialSubject`: the GB/T 36903 metadata.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubjectWire {
    /// 证照名称
    license_name: String,
    /// 证照类型代码
    license_type_code: LicenseTypeCode,
    /// 证照编号
    license_number: String,
    /// 持证主体
    holder_name: String,
    /// 持证主体代码
    holder_code: String,
    /// 持证主体代码类型: 111 citizen identity number, 001 unified social
    /// credit code
    holder_code_type: String,
    /// 颁发机构
    issuing_agency: String,
    /// 颁发机构代码
    issuing_agency_code: AgencyCode,
    /// 颁发日期
    issue_date: CivilDate,
    /// 有效期起始日期
    validity_start: CivilDate,
    /// 有效期截止日期 (absent: 长期)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    validity_end: Option<CivilDate>,
    /// 管辖属地编码
    jurisdiction_code: AreaCode,
    /// 关联证照标识
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_identifier: Option<LicenseIdentifier>,
}

impl From<&ElectronicLicense> for LicenseWire {
    fn from(license: &ElectronicLicense) -> Self {
        let f = license.fields();
        LicenseWire {
            context: LICENSE_CONTEXT.map(String::from).to_vec(),
            id: format!("{LICENSE_ID_PREFIX}{}", f.identifier),
            types: LICENSE_TYPE.map(String::from).to_vec(),
            issuer: IssuerWire {
                id: format!("{ISSUER_ID_PREFIX}{}", f.identifier.issuer()),
                name: f.issuing_agency.clone(),
            },
            valid_from: license.valid_from(),
            valid_until: license.valid_until(),
            credential_subject: SubjectWire {
                license_name: f.license_name.clone(),
                license_type_code: f.identifier.type_code().clone(),
                license_number: f.license_number.clone(),
                holder_name: f.holder_name.clone(),
                holder_code: f.holder_code.as_str().to_owned(),
                holder_code_type: f.holder_code.code_type().to_owned(),
                issuing_agency: f.issuing_agency.clone(),
                issuing_agency_code: f.identifier.issuer().clone(),
                issue_date: f.issue_date,
                validity_start: f.validity_start,
                validity_end: f.validity_end,
                jurisdiction_code: f.jurisdiction_code.clone(),
                previous_identifier: f.previous_identifier.clone(),
            },
        }
    }
}

impl LicenseWire {
    /// `@context` as read.
    pub(super) fn context(&self) -> &[String] {
        &self.context
    }

    /// Reads the members as a license, naming the first that disagrees
    /// with its source.
    pub(super) fn into_license(self) -> Result<ElectronicLicense, LicenseError> {
        if self.context != LICENSE_CONTEXT {
            return Err(LicenseError::Context { expected: LICENSE_CONTEXT, found: self.context });
        }
        if self.types != LICENSE_TYPE {
            return Err(LicenseError::Type { expected: LICENSE_TYPE, found: self.types });
        }
        let identifier = self
            .id
            .strip_prefix(LICENSE_ID_PREFIX)
            .ok_or_else(|| LicenseError::Id { prefix: LICENSE_ID_PREFIX, found: self.id.clone() })
            .and_then(|text| LicenseIdentifier::parse(text).map_err(LicenseError::Identifier))?;
        let s = self.credential_subject;
        let holder_code =
            HolderCode::from_parts(&s.holder_code_type, &s.holder_code).map_err(LicenseError::HolderCode)?;
        let issuer_id = format!("{ISSUER_ID_PREFIX}{}", identifier.issuer());
        for (field, found, source_field, expected) in [
            ("credentialSubject.licenseTypeCode", s.license_type_code.as_str(), "id", identifier.type_code().as_str()),
            ("credentialSubject.issuingAgencyCode", s.issuing_agency_code.as_str(), "id", identifier.issuer().as_str()),
            ("issuer.id", &self.issuer.id, "id", &issuer_id),
            ("issuer.name", &self.issuer.name, "credentialSubject.issuingAgency", &s.issuing_agency),
        ] {
            agree(field, found, source_field, expected)?;
        }
        let license = ElectronicLicense::new(LicenseFields {
            identifier,
            license_name: s.license_name,
            license_number: s.license_number,
            holder_name: s.holder_name,
            holder_code,
            issuing_agency: s.issuing_agency,
            issue_date: s.issue_date,
            validity_start: s.validity_start,
            validity_end: s.validity_end,
            jurisdiction_code: s.jurisdiction_code,
            previous_identifier: s.previous_identifier,
        })?;
        for (field, found, source_field, expected) in [
            ("validFrom", Some(self.valid_from), "credentialSubject.validityStart", Some(license.valid_from())),
            ("validUntil", self.valid_until, "credentialSubject.validityEnd", license.valid_until()),
        ] {
            // Equal instants are equal texts (one spelling each), so the
            // texts are written only to name a disagreement.
            if found != expected {
                agree(field, &optional_text(found), source_field, &optional_text(expected))?;
            }
        }
        Ok(license)
    }
}

fn agree(field: &'static str, found: &str, source_field: &'static str, expected: &str) -> Result<(), LicenseError> {
    if found == expected {
        return Ok(());
    }
    Err(LicenseError::Disagreement { field, source_field, found: found.to_owned(), expected: expected.to_owned() })
}

fn optional_text(time: Option<UtcTime>) -> String {
    time.map_or_else(|| "(absent)".to_owned(), |t| t.to_string())
}
