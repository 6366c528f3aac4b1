//! E-licenses issued by agencies whose keys the node holds: issue, renew,
//! change status, and the licenses a box holds.
//!
//! An issued credential goes into the holder's box first and onto the
//! license chain second: the reverse order could leave a license on the
//! chain that its holder never received. If the chain refuses, the stored
//! version is deleted again. A node killed in between used to keep the
//! credential in the box although its issuance never reached the chain
//! (found by the crash-under-load test: the box then shows, and an
//! application reuses, a license that does not exist, and may hide the
//! holder's real one of the same type). So each issuance is noted in the
//! node's index before the credential is stored and the note is removed
//! once the chain has answered; `Node::open` settles every note a crash
//! left: a credential whose issuance is on the chain stays, any other is
//! deleted. Both outcomes are whole: in the box and on the chain, or in
//! neither.

use crate::services::box_index::PendingIssuance;
use crate::services::convert;
use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::credential::{
    credential_digest, sign_license, AreaCode, CivilDate, HolderCode, LicenseFields, LicenseIdentifier,
    LicenseTypeCode, SignedLicense, UtcTime, VerificationMethod,
};
use safebox_chain::ledger::AppendError;
use safebox_chain::payload::{LicenseIssued, LicenseStatusChange, Payload};
use safebox_chain::state::{self, Refusal};
use safebox_chain::verify::{self, BundleError, ProofBundle};
use safebox_chain::{keys, AgencyCode, Appended, ChainId, Entry, LicenseId, Timestamp};
use safebox_vault::{BoxId, DocumentMeta, DocumentType, NewDocument, VaultError};
use std::collections::BTreeMap;

/// Document types of e-licenses in a box start with this, followed by the
/// license type code: a box holds the current version of each type.
pub const LICENSE_DOCUMENT_PREFIX: &str = "e-license:";

/// The media type of a Verifiable Credential (VC Data Model 2.0, §C.1).
pub const CREDENTIAL_MEDIA_TYPE: &str = "application/vc";

/// What an agency fills in to issue a license; the node derives the rest
/// (identifier, issuing agency, issue date, signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseRequest {
    pub license_type: LicenseTypeCode,
    pub license_name: String,
    pub holder_name: String,
    pub holder_code: HolderCode,
    pub validity_start: CivilDate,
    /// `None` for a license without end (长期).
    pub validity_end: Option<CivilDate>,
    pub jurisdiction_code: AreaCode,
}

/// A license issued, put into the holder's box and recorded.
#[derive(Clone, Debug)]
pub struct IssuedLicense {
    pub license: SignedLicense,
    /// Where the credential is stored in the box.
    pub stored: DocumentMeta,
    /// Where `license.issued` (or `license.renewed`) stands.
    pub appended: Appended,
}

/// A status change an agency may make.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Suspend,
    Resume,
    Revoke,
    Cancel,
}

/// A credential held in a box.
#[derive(Clone, Debug)]
pub struct HeldLicense {
    pub license: SignedLicense,
    pub stored: DocumentMeta,
}

impl Node {
    /// Issues a license into box `box_id`, signed by `agency`'s key held by
    /// this node.
    pub fn issue_license(
        &self,
        agency: &AgencyCode,
        box_id: BoxId,
        request: LicenseRequest,
    ) -> Result<IssuedLicense, ServiceError> {
        let serial = format!("{:012}", rand::random::<u64>() % 1_000_000_000_000);
        let identifier = LicenseIdentifier::new(&request.license_type, agency, &serial, 1)
            .map_err(|e| ServiceError::Invalid { what: "license identifier", reason: e.to_string() })?;
        self.sign_and_record(agency, box_id, identifier, request, None)
    }

    /// Renews a license the box holds: a new version of its identifier with
    /// a new validity, linking the one it replaces.
    pub fn renew_license(
        &self,
        agency: &AgencyCode,
        box_id: BoxId,
        previous: &LicenseId,
        validity_start: CivilDate,
        validity_end: Option<CivilDate>,
    ) -> Result<IssuedLicense, ServiceError> {
        let held = self
            .box_licenses(box_id)?
            .into_iter()
            .find(|held| &held.license.license().identifier().license_id() == previous)
            .ok_or_else(|| ServiceError::Invalid {
                what: "renewal",
                reason: format!("the box holds no current license {previous}"),
            })?;
        let old = held.license.license().fields().clone();
        let identifier = old
            .identifier
            .next_version()
            .map_err(|e| ServiceError::Invalid { what: "renewal", reason: e.to_string() })?;
        let request = LicenseRequest {
            license_type: old.identifier.type_code().clone(),
            license_name: old.license_name,
            holder_name: old.holder_name,
            holder_code: old.holder_code,
            validity_start,
            validity_end,
            jurisdiction_code: old.jurisdiction_code,
        };
        self.sign_and_record(agency, box_id, identifier, request, Some(old.identifier))
    }

    /// Suspends, resumes, revokes or cancels a license, signed by the
    /// issuing agency's key held by this node.
    pub fn change_license_status(
        &self,
        license: &LicenseId,
        change: StatusChange,
        reason: &str,
    ) -> Result<Appended, ServiceError> {
        let record = state::license(&self.ledger.store().state(), license)?
            .ok_or_else(|| Refusal::UnknownLicense(license.clone()))?;
        let key = self.agency_signing_key(&record.issued.agency)?;
        let body = LicenseStatusChange { license: license.clone(), reason: reason.to_owned() };
        let payload = match change {
            StatusChange::Suspend => Payload::LicenseSuspended(body),
            StatusChange::Resume => Payload::LicenseResumed(body),
            StatusChange::Revoke => Payload::LicenseRevoked(body),
            StatusChange::Cancel => Payload::LicenseCancelled(body),
        };
        Ok(self.ledger.append(Entry::new(ChainId::License, &keys::public_key(&key), payload).sign(&key))?)
    }

    /// The current version of every e-license the box holds, by type.
    pub fn box_licenses(&self, box_id: BoxId) -> Result<Vec<HeldLicense>, ServiceError> {
        self.live_box(box_id)?;
        // One document per type, so its newest version is the type's; only
        // those are decrypted, however long the box's history.
        let latest: BTreeMap<DocumentType, DocumentMeta> = self
            .vault
            .latest_documents(box_id)?
            .into_iter()
            .filter(|meta| meta.document_type.as_str().starts_with(LICENSE_DOCUMENT_PREFIX))
            .map(|meta| (meta.document_type.clone(), meta))
            .collect();
        latest
            .into_values()
            .map(|stored| {
                let mut bytes = Vec::new();
                self.vault.read_document(box_id, stored.document, stored.version, &mut bytes)?;
                let license = SignedLicense::from_json_bytes(&bytes)?;
                Ok(HeldLicense { license, stored })
            })
            .collect()
    }

    /// Offline proof bundles for `licenses`, sharing one checkpoint and one
    /// status snapshot signed by this node.
    pub fn proof_bundles(&self, licenses: &[SignedLicense]) -> Result<Vec<ProofBundle>, ServiceError> {
        verify::build_bundles(&self.ledger, &self.node_key, licenses).map_err(|e| match e {
            BundleError::NotOnChain(id) => Refusal::UnknownLicense(id).into(),
            other => ServiceError::storage(other),
        })
    }

    /// The document type under which a box keeps licenses of `license_type`.
    pub fn license_document_type(license_type: &LicenseTypeCode) -> DocumentType {
        DocumentType::new(format!("{LICENSE_DOCUMENT_PREFIX}{}", license_type.as_str()))
            .expect("a license type code makes a valid document type")
    }

    fn sign_and_record(
        &self,
        agency: &AgencyCode,
        box_id: BoxId,
        identifier: LicenseIdentifier,
        request: LicenseRequest,
        previous: Option<LicenseIdentifier>,
    ) -> Result<IssuedLicense, ServiceError> {
        self.live_box(box_id)?;
        let key = self.agency_signing_key(agency)?;
        let agency_name = state::agency(&self.ledger.store().state(), agency)?
            .ok_or_else(|| Refusal::UnknownAgency(agency.clone()))?
            .name;
        let now = UtcTime::from_timestamp(Timestamp::now())
            .map_err(|e| ServiceError::Invalid { what: "clock", reason: e.to_string() })?;
        let issue_date = CivilDate::in_china(now)
            .ok_or_else(|| ServiceError::Invalid { what: "clock", reason: "beyond year 9999".into() })?;
        let fields = LicenseFields {
            license_number: identifier.serial().to_owned(),
            identifier,
            license_name: request.license_name,
            holder_name: request.holder_name,
            holder_code: request.holder_code,
            issuing_agency: agency_name,
            issue_date,
            validity_start: request.validity_start,
            validity_end: request.validity_end,
            jurisdiction_code: request.jurisdiction_code,
            previous_identifier: previous.clone(),
        };
        let public = keys::public_key(&key);
        let license = sign_license(fields, &key, &VerificationMethod::did_key(&public), now)?;
        let holder = self.vault.applicant_commitment(box_id, license.license().fields().holder_code.as_str())?;
        let issued = LicenseIssued {
            license: license.license().identifier().license_id(),
            agency: agency.clone(),
            license_type: license.license().identifier().type_code().as_str().to_owned(),
            holder: convert::commitment(holder),
            credential: credential_digest(&license),
            valid_from: license.license().valid_from().timestamp(),
            valid_until: license.license().valid_until().map(|t| t.timestamp()),
            previous: previous.map(|p| p.license_id()),
        };
        let payload = match issued.previous {
            Some(_) => Payload::LicenseRenewed(issued),
            None => Payload::LicenseIssued(issued),
        };
        let entry = Entry::new(ChainId::License, &public, payload);
        self.dry_run(&entry)?;
        let new = NewDocument {
            document_type: Self::license_document_type(license.license().identifier().type_code()),
            name: format!("{}.json", license.license().identifier()),
            media_type: CREDENTIAL_MEDIA_TYPE.into(),
        };
        let pending = PendingIssuance {
            box_id,
            document: self.vault.document_id(box_id, &new.document_type)?,
            license: license.license().identifier().license_id(),
        };
        self.boxes.begin_issuance(&pending)?;
        let stored = match self.vault.put_document(box_id, &new, license.canonical_bytes().as_slice()) {
            Ok(stored) => stored,
            Err(e) => {
                // Nothing of the upload is visible; the note goes too (if
                // this fails, the next open finds nothing to take out).
                let _ = self.boxes.end_issuance(&pending);
                return Err(e.into());
            }
        };
        match self.ledger.append(entry.sign(&key)) {
            Ok(appended) => {
                // Settled. Should this fail, the next open finds the
                // issuance on the chain and only drops the note.
                let _ = self.boxes.end_issuance(&pending);
                Ok(IssuedLicense { license, stored, appended })
            }
            // Definitely not recorded: take the credential out of the box.
            Err(e @ (AppendError::Refused(_) | AppendError::Entry(_))) => {
                if self.vault.delete_version(box_id, stored.document, stored.version).is_ok() {
                    let _ = self.boxes.end_issuance(&pending);
                }
                Err(e.into())
            }
            // Not known whether it was recorded: the note stays for the
            // next open to settle against what the chain then holds.
            Err(e) => Err(e.into()),
        }
    }

    /// Settles every issuance a crash interrupted (run by `Node::open`,
    /// before any request): each version of the noted document whose
    /// credential is the noted license is kept only if the license chain
    /// records exactly that credential's issuance. Returns how many
    /// credentials were taken out of boxes.
    pub(crate) fn settle_pending_issuances(&self) -> Result<usize, ServiceError> {
        let mut removed = 0;
        for pending in self.boxes.pending_issuances()? {
            let record = state::license(&self.ledger.store().state(), &pending.license)?;
            let versions = match self.vault.versions(pending.box_id, pending.document) {
                Ok(versions) => versions,
                // The box was erased since (or never had keys): nothing of
                // it is readable, so nothing to take out.
                Err(VaultError::Erased(_) | VaultError::NoSuchBox(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            for meta in versions {
                let mut bytes = Vec::new();
                self.vault.read_document(pending.box_id, meta.document, meta.version, &mut bytes)?;
                let Ok(held) = SignedLicense::from_json_bytes(&bytes) else { continue };
                if held.license().identifier().license_id() != pending.license {
                    continue;
                }
                let recorded = record.as_ref().is_some_and(|r| r.issued.credential == credential_digest(&held));
                if !recorded {
                    self.vault.delete_version(pending.box_id, meta.document, meta.version)?;
                    removed += 1;
                }
            }
            self.boxes.end_issuance(&pending)?;
        }
        Ok(removed)
    }
}
