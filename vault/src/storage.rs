//! The vault's column families in the node's RocksDB and their key layout.
//!
//! | column family     | key                                        | value                                  |
//! |-------------------|--------------------------------------------|----------------------------------------|
//! | `vault.boxes`     | box id (16)                                | box record (wrapped keys / erased)     |
//! | `vault.documents` | box id, document id (16), version (u32 BE) | sealed metadata / deleted marker       |
//! | `vault.chunks`    | box id, document id, version, chunk (u64 BE)| one sealed chunk (≤ 64 KiB + 16)      |
//! | `vault.pending`   | `U`, box id, document id, version          | upload started (ms, u64 BE)            |
//! |                   | `E`, box id                                | erasure started (ms, u64 BE)           |
//!
//! Every key starts with the box id (after the pending kind), so one box's
//! rows are one contiguous range per family: erasure deletes and compacts
//! ranges, and listing a box is one seek. Big-endian numbers keep versions
//! and chunks in order. Nothing in a key or a plaintext value names an
//! applicant or a document type.
//!
//! `vault.pending` holds work that must be finished or undone after a crash.
//! A document of up to 1 MiB is written in one synced batch with its
//! metadata and needs no row. A larger one is sealed into a table file
//! (see `staging`); a synced pending row goes first, then the file is
//! ingested, and the synced batch that writes the metadata (making the
//! version visible) deletes the row. Opening the vault deletes staged files,
//! the chunks of every upload still pending, and finishes every erasure
//! still pending.

use crate::ids::{BoxId, DocumentId, Version};

pub const CF_BOXES: &str = "vault.boxes";
pub const CF_DOCUMENTS: &str = "vault.documents";
pub const CF_CHUNKS: &str = "vault.chunks";
pub const CF_PENDING: &str = "vault.pending";

/// Every column family the vault owns; the node opens its database with
/// these beside the chain's.
pub const COLUMN_FAMILIES: [&str; 4] = [CF_BOXES, CF_DOCUMENTS, CF_CHUNKS, CF_PENDING];

/// Length of a key in `vault.documents`.
pub const DOCUMENT_KEY_LEN: usize = 16 + 16 + 4;
/// Length of a key in `vault.chunks`.
pub const CHUNK_KEY_LEN: usize = DOCUMENT_KEY_LEN + 8;

pub(crate) const PENDING_UPLOAD: u8 = b'U';
pub(crate) const PENDING_ERASURE: u8 = b'E';

/// Key of a box in `vault.boxes`.
pub fn box_key(box_id: BoxId) -> [u8; 16] {
    box_id.0
}

/// Key of the prefix shared by every version of one document.
pub fn document_prefix(box_id: BoxId, document: DocumentId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&box_id.0);
    key[16..].copy_from_slice(&document.0);
    key
}

/// Key of one version's metadata in `vault.documents`; also the prefix of
/// its chunks in `vault.chunks`.
pub fn document_key(box_id: BoxId, document: DocumentId, version: Version) -> [u8; DOCUMENT_KEY_LEN] {
    let mut key = [0u8; DOCUMENT_KEY_LEN];
    key[..32].copy_from_slice(&document_prefix(box_id, document));
    key[32..].copy_from_slice(&version.0.to_be_bytes());
    key
}

/// Key of chunk `chunk` of one version in `vault.chunks`.
pub fn chunk_key(box_id: BoxId, document: DocumentId, version: Version, chunk: u64) -> [u8; CHUNK_KEY_LEN] {
    let mut key = [0u8; CHUNK_KEY_LEN];
    key[..DOCUMENT_KEY_LEN].copy_from_slice(&document_key(box_id, document, version));
    key[DOCUMENT_KEY_LEN..].copy_from_slice(&chunk.to_be_bytes());
    key
}

/// Key of a pending upload in `vault.pending`.
pub(crate) fn upload_key(box_id: BoxId, document: DocumentId, version: Version) -> Vec<u8> {
    [&[PENDING_UPLOAD][..], &document_key(box_id, document, version)].concat()
}

/// Key of a pending erasure in `vault.pending`.
pub(crate) fn erasure_key(box_id: BoxId) -> Vec<u8> {
    [&[PENDING_ERASURE][..], &box_id.0].concat()
}

/// The range `[from, to)` that holds every key of `key_len` bytes starting
/// with `prefix`: `to` is the prefix followed by more 0xFF bytes than any
/// such key has, so it sorts after all of them.
pub(crate) fn prefix_range(prefix: &[u8], key_len: usize) -> (Vec<u8>, Vec<u8>) {
    let tail = key_len.saturating_sub(prefix.len()) + 1;
    let mut to = prefix.to_vec();
    to.resize(prefix.len() + tail, 0xFF);
    (prefix.to_vec(), to)
}

/// Reads the box, document and version back from a `vault.documents` key.
pub(crate) fn parse_document_key(key: &[u8]) -> Option<(BoxId, DocumentId, Version)> {
    let key: &[u8; DOCUMENT_KEY_LEN] = key.try_into().ok()?;
    let mut box_id = [0u8; 16];
    let mut document = [0u8; 16];
    let mut version = [0u8; 4];
    box_id.copy_from_slice(&key[..16]);
    document.copy_from_slice(&key[16..32]);
    version.copy_from_slice(&key[32..]);
    Some((BoxId(box_id), DocumentId(document), Version(u32::from_be_bytes(version))))
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_holds_every_key_with_the_prefix_and_no_other() {
        let (b, d) = (BoxId([0xFF; 16]), DocumentId([0xFF; 16]));
        let (from, to) = prefix_range(&document_key(b, d, Version(u32::MAX)), CHUNK_KEY_LEN);
        for chunk in [0, 1, u64::MAX] {
            let key = chunk_key(b, d, Version(u32::MAX), chunk);
            assert!(from.as_slice() <= &key[..] && &key[..] < to.as_slice());
        }
        let (from, to) = prefix_range(&box_key(BoxId([1; 16])), CHUNK_KEY_LEN);
        let outside = chunk_key(BoxId([2; 16]), DocumentId([0; 16]), Version(0), 0);
        assert!(!(from.as_slice() <= &outside[..] && &outside[..] < to.as_slice()));
        assert_eq!(parse_document_key(&document_key(b, d, Version(9))), Some((b, d, Version(9))));
        assert_eq!(parse_document_key(&[0; 35]), None);
    }
}
