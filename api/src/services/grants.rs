//! Grants: the applicant's consent, given and withdrawn. The node signs
//! with the applicant key the vault holds for the box (the embedded
//! default), or accepts an entry the applicant signed on their own device;
//! either way the chain checks that the box's applicant key signed.

use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::payload::{GrantGiven, GrantWithdrawn, Payload};
use safebox_chain::{AgencyCode, Appended, ChainId, DocumentRef, Entry, GrantId, MatterCode, Purpose};
use safebox_chain::{Signature, SignedEntry, Timestamp};
use safebox_vault::BoxId;

/// What an applicant consents to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantTerms {
    pub agency: AgencyCode,
    /// Every version of each of these documents (see [`Node::document_ref`]).
    pub documents: Vec<DocumentRef>,
    pub matter: MatterCode,
    pub purpose: Purpose,
    pub expires: Timestamp,
}

/// A grant given and recorded.
#[derive(Clone, Debug)]
pub struct GivenGrant {
    pub grant: GrantId,
    pub appended: Appended,
}

impl Node {
    /// The unsigned `grant.given` entry for `terms`, with a fresh grant id,
    /// authored by the box's applicant key: what a device signs. Refused
    /// now, with the chain's reason, if it could not stand.
    pub fn prepare_grant(&self, box_id: BoxId, terms: GrantTerms) -> Result<Entry, ServiceError> {
        Ok(self.grant_entry(box_id, terms)?.1)
    }

    /// Gives a grant, signed with the applicant key the vault holds.
    pub fn give_grant(&self, box_id: BoxId, terms: GrantTerms) -> Result<GivenGrant, ServiceError> {
        let (grant, entry) = self.grant_entry(box_id, terms)?;
        let appended = self.append_signed_in_vault(box_id, entry)?;
        Ok(GivenGrant { grant, appended })
    }

    /// The unsigned `grant.withdrawn` entry: what a device signs.
    pub fn prepare_withdrawal(&self, box_id: BoxId, grant: GrantId) -> Result<Entry, ServiceError> {
        self.applicant_entry(box_id, Payload::GrantWithdrawn(GrantWithdrawn { grant }))
    }

    /// Withdraws a grant, signed with the applicant key the vault holds.
    pub fn withdraw_grant(&self, box_id: BoxId, grant: GrantId) -> Result<Appended, ServiceError> {
        let entry = self.prepare_withdrawal(box_id, grant)?;
        self.append_signed_in_vault(box_id, entry)
    }

    /// Appends a `grant.given` or `grant.withdrawn` the applicant signed on
    /// their own device.
    pub fn submit_applicant_entry(&self, signed: SignedEntry) -> Result<Appended, ServiceError> {
        self.check_kind(&signed.entry, "grant.given or grant.withdrawn", |kind| {
            matches!(kind, "grant.given" | "grant.withdrawn")
        })?;
        self.submit(signed)
    }

    fn grant_entry(&self, box_id: BoxId, terms: GrantTerms) -> Result<(GrantId, Entry), ServiceError> {
        let (box_ref, _) = self.live_box(box_id)?;
        let grant = GrantId::random();
        let given = GrantGiven {
            grant,
            box_ref,
            agency: terms.agency,
            documents: terms.documents,
            matter: terms.matter,
            purpose: terms.purpose,
            expires: terms.expires,
        };
        Ok((grant, self.applicant_entry(box_id, Payload::GrantGiven(given))?))
    }

    /// An entry authored by the box's applicant key, dated now, checked
    /// against the chain's rules.
    pub(crate) fn applicant_entry(&self, box_id: BoxId, payload: Payload) -> Result<Entry, ServiceError> {
        let (_, record) = self.live_box(box_id)?;
        let entry = Entry { chain: ChainId::Service, time: Timestamp::now(), author: record.applicant_key, payload };
        self.dry_run(&entry)?;
        Ok(entry)
    }

    /// Signs with the vault's applicant key and appends.
    pub(crate) fn append_signed_in_vault(&self, box_id: BoxId, entry: Entry) -> Result<Appended, ServiceError> {
        let vault_key = crate::services::convert::public_key(self.vault.applicant_public_key(box_id)?);
        if vault_key.id() != entry.author {
            return Err(ServiceError::SignsOnDevice(box_id));
        }
        let signature = Signature(self.vault.sign_as_applicant(box_id, &entry.signing_bytes())?);
        Ok(self.ledger.append(SignedEntry { entry, signature })?)
    }
}
