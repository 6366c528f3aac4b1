//! Agencies whose keys the node holds (the embedded default): registering
//! one on the license chain, and finding the key that signs for it now.
//!
//! The key file is written before the root authority's `agency.registered`
//! entry, so a crash in between leaves a key that the next registration of
//! the same code picks up, never an agency on the chain whose key is lost.

use crate::services::error::ServiceError;
use crate::Node;
use ed25519_dalek::SigningKey;
use safebox_chain::payload::{AgencyKeyRotated, AgencyRegistered, AgencyRetired, Payload};
use safebox_chain::state::{self, Refusal};
use safebox_chain::{keys, AgencyCode, Appended, ChainId, Entry};

impl Node {
    /// Registers `agency` with a new key that this node keeps, signed by
    /// the root authority key of the data folder.
    pub fn register_agency(&self, agency: &AgencyCode, name: &str) -> Result<Appended, ServiceError> {
        let root = self.dir.root_key()?;
        let root_public = keys::public_key(&root);
        // Refused before a key file is made for an agency that exists; the
        // rest of the rules are the ledger's, when it appends.
        if state::agency(&self.ledger.store().state(), agency)?.is_some() {
            return Err(Refusal::AgencyExists(agency.clone()).into());
        }
        if name.trim().is_empty() {
            return Err(Refusal::Empty("agency name").into());
        }
        let key = match self.dir.agency_key(agency)? {
            Some(key) => key,
            None => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                self.dir.write_agency_key(agency, &key)?;
                key
            }
        };
        let register = Payload::AgencyRegistered(AgencyRegistered {
            agency: agency.clone(),
            name: name.into(),
            key: keys::public_key(&key),
        });
        Ok(self.ledger.append(Entry::new(ChainId::License, &root_public, register).sign(&root))?)
    }

    /// Rotates the key of `agency` (whose key this node holds): the new key
    /// is written to `<code>.key.new`, the root authority appends
    /// `agency.key_rotated`, and only then does the new key replace the
    /// old file. Licenses signed before stay valid; the old key signs
    /// nothing from the rotation's index on. A rotation interrupted after
    /// its entry is finished by the next use of the agency's key.
    pub fn rotate_agency_key(&self, agency: &AgencyCode) -> Result<Appended, ServiceError> {
        self.agency_signing_key(agency)?;
        let key = match self.dir.pending_agency_key(agency)? {
            Some(key) => key,
            None => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                self.dir.write_pending_agency_key(agency, &key)?;
                key
            }
        };
        let root = self.dir.root_key()?;
        let rotate =
            Payload::AgencyKeyRotated(AgencyKeyRotated { agency: agency.clone(), key: keys::public_key(&key) });
        let appended =
            self.ledger.append(Entry::new(ChainId::License, &keys::public_key(&root), rotate).sign(&root))?;
        self.dir.commit_pending_agency_key(agency)?;
        Ok(appended)
    }

    /// Retires `agency`: the root authority appends `agency.retired`; its
    /// key signs nothing from then on, and what it signed before stays
    /// valid.
    pub fn retire_agency(&self, agency: &AgencyCode) -> Result<Appended, ServiceError> {
        let root = self.dir.root_key()?;
        let retire = Payload::AgencyRetired(AgencyRetired { agency: agency.clone() });
        Ok(self.ledger.append(Entry::new(ChainId::License, &keys::public_key(&root), retire).sign(&root))?)
    }

    /// The key this node holds for `agency`, if it is the agency's current
    /// key on the license chain.
    pub(crate) fn agency_signing_key(&self, agency: &AgencyCode) -> Result<SigningKey, ServiceError> {
        let record = state::agency(&self.ledger.store().state(), agency)?
            .ok_or_else(|| Refusal::UnknownAgency(agency.clone()))?;
        if record.retired_at.is_some() {
            return Err(Refusal::AgencyRetired(agency.clone()).into());
        }
        let current = |key: &SigningKey| keys::public_key(key).id() == record.current_key;
        match self.dir.agency_key(agency)? {
            Some(key) if current(&key) => Ok(key),
            Some(_) => match self.dir.pending_agency_key(agency)? {
                // The rotation reached the chain; the rename did not.
                Some(next) if current(&next) => {
                    self.dir.commit_pending_agency_key(agency)?;
                    Ok(next)
                }
                _ => Err(ServiceError::NoAgencyKey(agency.clone())),
            },
            None => Err(ServiceError::NoAgencyKey(agency.clone())),
        }
    }
}
