//! Why a service refused or failed, with the reason spelled out. A refusal
//! by the chain's rules keeps the rule's own reason (`Refused`); the rest
//! are the node's policy, bad input, or storage.

use crate::datadir::DataDirError;
use safebox_chain::entry::EntryError;
use safebox_chain::ledger::{AppendError, ReadError};
use safebox_chain::state::{ApplyError, Refusal};
use safebox_chain::{AgencyCode, BoxRef, ChainId, Commitment, DocumentRef, KeyId, MatterCode};
use safebox_vault::{BoxId, VaultError};

/// Every way a service call can end without doing what was asked. Unless a
/// variant says otherwise, nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The chain's rules refused the entry.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The entry is malformed or its signature does not verify.
    #[error("entry: {0}")]
    Entry(#[from] EntryError),
    #[error("the entry is dated {time} ms, the node's clock says {now} ms: more than {max} ms apart")]
    ClockSkew { time: u64, now: u64, max: u64 },
    #[error("expected {expected} on the service chain, got {found} on the {chain} chain")]
    WrongKind { expected: &'static str, found: &'static str, chain: ChainId },
    #[error("no box {0} on this node")]
    NoSuchBox(BoxId),
    /// The vault holds the box but its opening never reached the chain (the
    /// node stopped in between); such a box is not usable.
    #[error("box {0} was never recorded on the service chain")]
    NotOpened(BoxId),
    #[error("box {0} is not kept on this node")]
    UnknownBoxRef(BoxRef),
    #[error("the applicant of box {0} signs on their own device: submit the entry they signed")]
    SignsOnDevice(BoxId),
    /// Node policy: an agency signs with its current key, not one that a
    /// rotation or retirement has ended.
    #[error("agency key {key} was ended at license index {until}; sign with the agency's current key")]
    StaleAgencyKey { key: KeyId, until: u64 },
    #[error("document {document} has no stored version with commitment {version}")]
    NoSuchVersion { document: DocumentRef, version: Commitment },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// The node holds no signing key for this agency (it signs elsewhere).
    #[error("this node holds no signing key for agency {0}")]
    NoAgencyKey(AgencyCode),
    #[error("keys: {0}")]
    Keys(#[from] DataDirError),
    #[error("no matter {0} in the catalog")]
    UnknownMatter(MatterCode),
    /// A required material is neither in the box nor submitted.
    #[error("material {material:?} is missing: {reason}")]
    MissingMaterial { material: String, reason: String },
    #[error("the credential could not be made: {0}")]
    Credential(#[from] safebox_chain::credential::CredentialError),
    /// Reading or writing the node's storage failed.
    #[error("storage: {0}")]
    Storage(String),
}

impl ServiceError {
    pub(crate) fn storage(reason: impl ToString) -> Self {
        ServiceError::Storage(reason.to_string())
    }
}

impl From<AppendError> for ServiceError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Refused(r) => ServiceError::Refused(r),
            AppendError::Entry(e) => ServiceError::Entry(e),
            other => ServiceError::storage(other),
        }
    }
}

impl From<ApplyError> for ServiceError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Refused(r) => ServiceError::Refused(r),
            ApplyError::State(s) => ServiceError::storage(s),
        }
    }
}

impl From<ReadError> for ServiceError {
    fn from(e: ReadError) -> Self {
        ServiceError::storage(e)
    }
}

impl From<safebox_chain::storage::StorageError> for ServiceError {
    fn from(e: safebox_chain::storage::StorageError) -> Self {
        ServiceError::storage(e)
    }
}

impl From<safebox_chain::state::StateError> for ServiceError {
    fn from(e: safebox_chain::state::StateError) -> Self {
        ServiceError::storage(e)
    }
}
