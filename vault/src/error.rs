//! Why a vault operation failed, with the reason spelled out.

use crate::ids::{BoxId, DocumentId, Version};
use crate::keys::MasterKeyId;

/// Every way a vault operation can fail. Stored bytes that do not decode
/// or authenticate are reported here, never as a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("no box {0}")]
    NoSuchBox(BoxId),
    /// The box was crypto-shredded: its keys are gone, and with them every
    /// way to read or link what it held.
    #[error("box {0} has been erased")]
    Erased(BoxId),
    #[error("box {box_id} has no document {document}")]
    NoSuchDocument { box_id: BoxId, document: DocumentId },
    #[error("box {box_id} has no version {version} of document {document}")]
    NoSuchVersion { box_id: BoxId, document: DocumentId, version: Version },
    /// A chunk of a document is missing, altered, out of place (another
    /// position, version, document or box) or is the wrong end of the
    /// stream. Earlier chunks may already have been handed out; this one and
    /// what follows never are.
    #[error("chunk {chunk} does not decrypt: the ciphertext was altered, truncated, reordered or moved")]
    Decryption { chunk: u64 },
    /// A box's keys are wrapped by another master key than the one given.
    #[error("box {box_id} is wrapped by master key {found}, not by {expected}")]
    WrongMasterKey { box_id: BoxId, found: MasterKeyId, expected: MasterKeyId },
    /// A stored record that is authenticated (box keys, document metadata)
    /// does not authenticate: it was altered or moved.
    #[error("stored {what} does not authenticate: it was altered or moved")]
    Tampered { what: String },
    /// Stored bytes that do not have the layout this version writes.
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    /// Input refused before anything was written.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    /// The reader an upload came from failed; nothing of the upload is kept.
    #[error("reading the document to store failed: {0}")]
    Source(String),
    /// The writer a download went to failed.
    #[error("writing the document out failed: {0}")]
    Sink(String),
    #[error("storage: {0}")]
    Storage(String),
}

impl From<rocksdb::Error> for VaultError {
    fn from(e: rocksdb::Error) -> Self {
        VaultError::Storage(e.to_string())
    }
}

impl VaultError {
    /// The vault error inside an I/O error from a [`crate::DocumentReader`],
    /// if that is what it carries.
    pub fn from_io(error: &std::io::Error) -> Option<&VaultError> {
        error.get_ref().and_then(|inner| inner.downcast_ref::<VaultError>())
    }

    pub(crate) fn corrupt(what: impl Into<String>, reason: impl Into<String>) -> Self {
        VaultError::Corrupt { what: what.into(), reason: reason.into() }
    }
}
