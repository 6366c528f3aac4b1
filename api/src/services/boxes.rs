//! Opening and erasing boxes, and finding a box from either of its names.
//!
//! Order matters for a crash at any point. Opening writes the vault first,
//! then the index, then `box.opened`: a box whose entry never made it is
//! invisible (every service asks the chain's state) and can be erased. Erasure
//! destroys the box's keys first, then appends `box.erased`, then forgets
//! the index; each step is skipped when already done, so calling it again
//! after a crash completes and records the erasure.

use crate::services::convert;
use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::payload::{BoxErased, BoxOpened, Payload};
use safebox_chain::service_state::{self, BoxRecord};
use safebox_chain::state::Refusal;
use safebox_chain::{keys, Appended, BoxRef, ChainId, Entry, PublicKey};
use safebox_vault::{BoxId, VaultError};

/// The longest applicant code accepted (citizen ID numbers and unified
/// social credit codes have 18 characters).
const MAX_APPLICANT_CODE: usize = 64;

/// A box just opened and recorded.
#[derive(Clone, Debug)]
pub struct OpenedBox {
    pub box_id: BoxId,
    /// How the service chain names it.
    pub box_ref: BoxRef,
    /// The key that signs the applicant's grants.
    pub applicant_key: PublicKey,
    pub appended: Appended,
}

impl Node {
    /// Opens a box for the applicant with `applicant_code` (citizen ID
    /// number or unified social credit code; used only for the box's keyed
    /// commitment, stored nowhere). The applicant signs with the key the
    /// vault holds for the box, or, given `device_key`, on their own device.
    pub fn open_box(&self, applicant_code: &str, device_key: Option<PublicKey>) -> Result<OpenedBox, ServiceError> {
        if applicant_code.is_empty()
            || applicant_code.len() > MAX_APPLICANT_CODE
            || !applicant_code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ServiceError::Invalid {
                what: "applicant code",
                reason: format!("1 to {MAX_APPLICANT_CODE} ASCII letters and digits expected"),
            });
        }
        let box_id = self.vault.create_box()?;
        let box_ref = convert::box_ref(self.vault.applicant_commitment(box_id, applicant_code)?);
        let applicant_key = match device_key {
            Some(key) => key,
            None => convert::public_key(self.vault.applicant_public_key(box_id)?),
        };
        self.boxes.put(box_id, &box_ref)?;
        match self.append_as_node(Payload::BoxOpened(BoxOpened { box_ref, applicant_key })) {
            Ok(appended) => Ok(OpenedBox { box_id, box_ref, applicant_key, appended }),
            Err(ServiceError::Refused(refusal)) => {
                // Definitely not recorded: leave no orphan behind.
                let _ = self.vault.erase_box(box_id);
                let _ = self.boxes.remove(box_id, &box_ref);
                Err(ServiceError::Refused(refusal))
            }
            Err(e) => Err(e),
        }
    }

    /// Erases a box: its keys are destroyed (nothing of it can be decrypted
    /// or linked from then on), `box.erased` is recorded, and the node
    /// forgets the box. Idempotent: returns the entry this call appended,
    /// or `None` when the erasure was already recorded (or the box never
    /// reached the chain).
    pub fn erase_box(&self, box_id: BoxId) -> Result<Option<Appended>, ServiceError> {
        let Some(box_ref) = self.boxes.box_ref(box_id)? else {
            return match self.vault.applicant_public_key(box_id) {
                Err(VaultError::Erased(_)) => Ok(None),
                Err(VaultError::NoSuchBox(_)) => Err(ServiceError::NoSuchBox(box_id)),
                Err(e) => Err(e.into()),
                // Created, never indexed nor recorded: only the vault has it.
                Ok(_) => self.vault.erase_box(box_id).map(|()| None).map_err(Into::into),
            };
        };
        match self.vault.erase_box(box_id) {
            Ok(()) | Err(VaultError::Erased(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let recorded = match service_state::box_record(&self.ledger.store().state(), &box_ref)? {
            Some(record) if record.erased_at.is_none() => {
                match self.append_as_node(Payload::BoxErased(BoxErased { box_ref })) {
                    Ok(appended) => Some(appended),
                    // Another call recorded it first.
                    Err(ServiceError::Refused(Refusal::BoxErased(_))) => None,
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        self.boxes.remove(box_id, &box_ref)?;
        Ok(recorded)
    }

    /// How the service chain names a box of this node.
    pub fn box_ref(&self, box_id: BoxId) -> Result<BoxRef, ServiceError> {
        if let Some(box_ref) = self.boxes.box_ref(box_id)? {
            return Ok(box_ref);
        }
        match self.vault.applicant_public_key(box_id) {
            Ok(_) => Err(ServiceError::NotOpened(box_id)),
            Err(VaultError::NoSuchBox(_)) => Err(ServiceError::NoSuchBox(box_id)),
            Err(e) => Err(e.into()),
        }
    }

    /// A box that is open on the chain and not erased, with its record.
    pub(crate) fn live_box(&self, box_id: BoxId) -> Result<(BoxRef, BoxRecord), ServiceError> {
        let box_ref = self.box_ref(box_id)?;
        let record = service_state::box_record(&self.ledger.store().state(), &box_ref)?
            .ok_or(ServiceError::NotOpened(box_id))?;
        if record.erased_at.is_some() {
            return Err(Refusal::BoxErased(box_ref).into());
        }
        Ok((box_ref, record))
    }

    /// The box a chain reference names; the chain's reason when it names
    /// no live box.
    pub(crate) fn box_id_of(&self, box_ref: &BoxRef) -> Result<BoxId, ServiceError> {
        if let Some(box_id) = self.boxes.box_id(box_ref)? {
            return Ok(box_id);
        }
        match service_state::box_record(&self.ledger.store().state(), box_ref)? {
            Some(record) if record.erased_at.is_some() => Err(Refusal::BoxErased(*box_ref).into()),
            Some(_) => Err(ServiceError::UnknownBoxRef(*box_ref)),
            None => Err(Refusal::UnknownBox(*box_ref).into()),
        }
    }

    /// Appends an entry the node itself signs.
    fn append_as_node(&self, payload: Payload) -> Result<Appended, ServiceError> {
        let entry = Entry::new(ChainId::Service, &keys::public_key(&self.node_key), payload);
        Ok(self.ledger.append(entry.sign(&self.node_key))?)
    }
}
