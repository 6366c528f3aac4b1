//! Document metadata: what the caller says about an upload, what the vault
//! knows about a stored version, and how that is sealed in
//! `vault.documents`.
//!
//! A version's row is `1 ‖ nonce ‖ sealed JSON` under the box's data key,
//! with the box, document and version as associated data, so names, types
//! and sizes are as unreadable as the content and a row cannot be moved to
//! another place. A deleted version leaves `2 ‖ deleted at (u64 BE)`, which
//! keeps its number from being handed out again.

use crate::error::VaultError;
use crate::ids::{check_text, BoxId, ContentHash, DocumentId, DocumentType, Version};
use crate::keys::{open, seal, BoxKeys};
use crate::storage::document_key;
use crate::stream::CHUNK_SIZE;
use serde::{Deserialize, Serialize};

/// What the uploader says about a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDocument {
    pub document_type: DocumentType,
    /// The file name shown to people: 1 to 255 bytes, no control characters.
    pub name: String,
    /// The media type (`application/pdf`, `image/jpeg`...).
    pub media_type: String,
}

impl NewDocument {
    pub const MAX_NAME_LEN: usize = 255;
    pub const MAX_MEDIA_TYPE_LEN: usize = 255;

    pub(crate) fn check(&self) -> Result<(), VaultError> {
        check_text("document name", &self.name, Self::MAX_NAME_LEN)?;
        check_text("media type", &self.media_type, Self::MAX_MEDIA_TYPE_LEN)?;
        // type "/" subtype, then optional parameters after ";" (RFC 6838).
        let media = &self.media_type;
        let essence = media.split(';').next().unwrap_or_default();
        let well_formed = media.is_ascii()
            && !essence.contains(char::is_whitespace)
            && matches!(essence.split_once('/'), Some((t, s)) if !t.is_empty() && !s.is_empty());
        if !well_formed {
            return Err(VaultError::Invalid { what: "media type", reason: format!("{media:?} is not type/subtype") });
        }
        Ok(())
    }
}

/// One stored version of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub box_id: BoxId,
    pub document: DocumentId,
    pub version: Version,
    pub document_type: DocumentType,
    pub name: String,
    pub media_type: String,
    /// Plaintext bytes.
    pub size: u64,
    /// When the upload finished, ms since the Unix epoch.
    pub uploaded_ms: u64,
    /// BLAKE3 of the plaintext.
    pub content_hash: ContentHash,
}

impl DocumentMeta {
    /// How many chunks the ciphertext has: at least one, since even an empty
    /// document ends with a (empty) last chunk.
    pub fn chunks(&self) -> u64 {
        self.size.div_ceil(CHUNK_SIZE as u64).max(1)
    }
}

/// The sealed part of a live version's row: the metadata and the stream's
/// parameters.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredMeta {
    #[serde(flatten)]
    pub meta: DocumentMeta,
    /// Hex of the 16 random bytes that start every chunk nonce of this
    /// version.
    pub nonce_prefix: String,
    /// Plaintext bytes per chunk (all but the last chunk are this long).
    pub chunk_size: u64,
}

/// A row of `vault.documents`, before the live kind is opened.
pub(crate) enum DocumentRow<'a> {
    Live(&'a [u8]),
    Deleted,
}

const KIND_LIVE: u8 = 1;
const KIND_DELETED: u8 = 2;
const META_TAG: &[u8] = b"safebox vault metadata v1";

fn meta_aad(box_id: BoxId, document: DocumentId, version: Version) -> Vec<u8> {
    [META_TAG, &document_key(box_id, document, version)].concat()
}

impl StoredMeta {
    pub fn nonce_prefix(&self) -> Result<[u8; 16], VaultError> {
        let mut prefix = [0u8; 16];
        hex::decode_to_slice(&self.nonce_prefix, &mut prefix)
            .map_err(|e| self.corrupt(format!("nonce prefix: {e}")))?;
        Ok(prefix)
    }

    fn corrupt(&self, reason: String) -> VaultError {
        let m = &self.meta;
        VaultError::corrupt(format!("metadata of {}/{}/{}", m.box_id, m.document, m.version), reason)
    }

    /// The row that makes this version visible.
    pub fn seal(&self, keys: &BoxKeys) -> Vec<u8> {
        let m = &self.meta;
        let json = serde_json::to_vec(self).expect("metadata serialises");
        let sealed = seal(&keys.cipher(), &meta_aad(m.box_id, m.document, m.version), &json);
        [&[KIND_LIVE][..], &sealed].concat()
    }

    /// Opens a live row stored at (box, document, version).
    pub fn open(
        keys: &BoxKeys,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
        sealed: &[u8],
    ) -> Result<StoredMeta, VaultError> {
        let what = format!("metadata of {box_id}/{document}/{version}");
        let json = open(&keys.cipher(), &meta_aad(box_id, document, version), sealed)
            .ok_or_else(|| VaultError::Tampered { what: what.clone() })?;
        let stored: StoredMeta =
            serde_json::from_slice(&json).map_err(|e| VaultError::corrupt(&what, e.to_string()))?;
        let m = &stored.meta;
        if (m.box_id, m.document, m.version) != (box_id, document, version) {
            return Err(VaultError::corrupt(what, "names another version"));
        }
        if stored.chunk_size != CHUNK_SIZE as u64 {
            return Err(stored.corrupt(format!("chunk size {}, this vault writes {CHUNK_SIZE}", stored.chunk_size)));
        }
        stored.nonce_prefix()?;
        Ok(stored)
    }
}

impl<'a> DocumentRow<'a> {
    pub fn decode(bytes: &'a [u8], what: impl FnOnce() -> String) -> Result<DocumentRow<'a>, VaultError> {
        match bytes.split_first() {
            Some((&KIND_LIVE, sealed)) => Ok(DocumentRow::Live(sealed)),
            Some((&KIND_DELETED, at)) if at.len() == 8 => Ok(DocumentRow::Deleted),
            _ => Err(VaultError::corrupt(what(), "unknown row kind or length")),
        }
    }

    /// The row a deleted version leaves.
    pub fn deleted(at_ms: u64) -> Vec<u8> {
        [&[KIND_DELETED][..], &at_ms.to_be_bytes()].concat()
    }
}
