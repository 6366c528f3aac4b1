//! An agency reads a document under a grant. The read is recorded first:
//! the `document.used` entry is appended, and only once the ledger has
//! acknowledged it (durable) is the first byte written out. Every refusal
//! comes before the vault is touched, so an agency without a grant learns
//! nothing of what a box holds.

use crate::services::convert;
use crate::services::error::ServiceError;
use crate::Node;
use ed25519_dalek::SigningKey;
use safebox_chain::payload::{DocumentUsed, Payload};
use safebox_chain::state;
use safebox_chain::{keys, AgencyCode, Appended, BoxRef, ChainId, Commitment, DocumentRef, Entry, GrantId, KeyId};
use safebox_chain::{MatterCode, PublicKey, Purpose, SignedEntry};
use safebox_vault::{BoxId, DocumentMeta};
use std::io::Write;

/// What an agency asks to read, as the grant on the chain names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseRequest {
    pub box_ref: BoxRef,
    pub grant: GrantId,
    pub document: DocumentRef,
    pub agency: AgencyCode,
    pub matter: MatterCode,
    pub purpose: Purpose,
}

/// A read that was recorded and served.
#[derive(Clone, Debug)]
pub struct UseReceipt {
    /// Where the `document.used` entry stands.
    pub appended: Appended,
    /// The version that was written out.
    pub document: DocumentMeta,
}

impl Node {
    /// The unsigned `document.used` entry for the newest version of the
    /// document, authored by `agency_key` and naming the license chain's
    /// current size: what the agency signs. Refused now, with the chain's
    /// reason, if it could not stand.
    pub fn prepare_use(&self, request: &UseRequest, agency_key: &PublicKey) -> Result<Entry, ServiceError> {
        self.check_current_agency_key(&agency_key.id())?;
        let mut used = DocumentUsed {
            grant: request.grant,
            box_ref: request.box_ref,
            agency: request.agency.clone(),
            document: request.document,
            // The rules do not read the version; it is filled in once they
            // have passed, so that the vault is asked nothing before.
            version: Commitment::default(),
            matter: request.matter.clone(),
            purpose: request.purpose.clone(),
            license_size: self.ledger.head(ChainId::License)?.size,
        };
        self.dry_run(&Entry::new(ChainId::Service, agency_key, Payload::DocumentUsed(used.clone())))?;
        let box_id = self.box_id_of(&request.box_ref)?;
        let document = convert::document_id(request.document);
        let latest = self.vault.latest(box_id, document)?;
        used.version = convert::version(self.vault.document_commitment(box_id, document, latest.version)?);
        Ok(Entry::new(ChainId::Service, agency_key, Payload::DocumentUsed(used)))
    }

    /// Records the use the agency signed, then writes the version it names
    /// to `out`. Nothing is written to `out` unless the use is on the chain.
    pub fn read_document_as_agency(
        &self,
        signed: SignedEntry,
        out: &mut impl Write,
    ) -> Result<UseReceipt, ServiceError> {
        let used = match (&signed.entry.payload, signed.entry.chain) {
            (Payload::DocumentUsed(used), ChainId::Service) => used,
            (other, chain) => {
                return Err(ServiceError::WrongKind { expected: "document.used", found: other.kind(), chain })
            }
        };
        self.check_time(&signed.entry)?;
        self.check_signature(&signed)?;
        self.check_current_agency_key(&signed.entry.author)?;
        self.dry_run(&signed.entry)?;
        let box_id = self.box_id_of(&used.box_ref)?;
        let meta = self.version_named(box_id, used)?;
        let appended = self.ledger.append(signed)?;
        let document = self.vault.read_document(box_id, meta.document, meta.version, out)?;
        Ok(UseReceipt { appended, document })
    }

    /// Prepares, signs with `agency_key` and reads, for an agency whose key
    /// is at hand.
    pub fn read_with_agency_key(
        &self,
        request: &UseRequest,
        agency_key: &SigningKey,
        out: &mut impl Write,
    ) -> Result<UseReceipt, ServiceError> {
        let entry = self.prepare_use(request, &keys::public_key(agency_key))?;
        self.read_document_as_agency(entry.sign(agency_key), out)
    }

    /// Node policy: agencies sign with their current key. The chain accepts
    /// a key at the license index the use names, which an ended key could
    /// still claim; the node does not let it.
    fn check_current_agency_key(&self, key: &KeyId) -> Result<(), ServiceError> {
        match state::key_record(&self.ledger.store().state(), key)? {
            Some(record) => match record.active_until {
                Some(until) => Err(ServiceError::StaleAgencyKey { key: key.clone(), until }),
                None => Ok(()),
            },
            // The rules give the reason (an unknown key).
            None => Ok(()),
        }
    }

    /// The stored version whose commitment the use names.
    fn version_named(&self, box_id: BoxId, used: &DocumentUsed) -> Result<DocumentMeta, ServiceError> {
        let document = convert::document_id(used.document);
        // Newest first, opened one by one: agencies mostly use a recent
        // version, and a document may have thousands.
        for meta in self.vault.versions_newest_first(box_id, document)? {
            let meta = meta?;
            if convert::version(self.vault.document_commitment(box_id, document, meta.version)?) == used.version {
                return Ok(meta);
            }
        }
        Err(ServiceError::NoSuchVersion { document: used.document, version: used.version })
    }
}
