//! Document content as a STREAM of sealed chunks, as in the age format.
//!
//! The plaintext is cut into 64 KiB chunks (the last one shorter, and empty
//! only when the whole document is). Chunk `i` is sealed with
//! XChaCha20-Poly1305 under the box's data key with the nonce
//!
//! ```text
//! 16 random bytes of this version ‖ i as 7 bytes big-endian ‖ 1 if last else 0
//! ```
//!
//! and the box, document and version as associated data. So a flipped
//! byte, a chunk from another position (reordering), a stream cut after any
//! chunk (the last-chunk flag is missing), or a chunk from another version,
//! document or box each fail to authenticate. The version's metadata, itself
//! authenticated, says how many chunks there are, and nothing may follow
//! the last one. Only two chunk buffers are ever held, whatever the size.

use crate::document::DocumentMeta;
use crate::error::VaultError;
use crate::ids::{BoxId, ContentHash, DocumentId, Version};
use crate::keys::{BoxRecord, TAG_LEN};
use crate::storage::{box_key, chunk_key, document_key, CF_BOXES, CF_CHUNKS};
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rocksdb::{ReadOptions, DB};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// The 7-byte counter allows this many chunks (2^56 × 64 KiB: 4 ZiB).
const MAX_CHUNKS: u64 = 1 << 56;

const CHUNK_TAG: &[u8] = b"safebox vault chunk v1";

/// Associated data of every chunk of one version.
pub(crate) fn chunk_aad(box_id: BoxId, document: DocumentId, version: Version) -> Vec<u8> {
    [CHUNK_TAG, &document_key(box_id, document, version)].concat()
}

/// The nonce of chunk `chunk`, `None` past the counter's range.
pub(crate) fn chunk_nonce(prefix: &[u8; 16], chunk: u64, last: bool) -> Option<XNonce> {
    if chunk >= MAX_CHUNKS {
        return None;
    }
    let mut nonce = [0u8; 24];
    nonce[..16].copy_from_slice(prefix);
    nonce[16..23].copy_from_slice(&chunk.to_be_bytes()[1..]);
    nonce[23] = u8::from(last);
    Some(nonce.into())
}

/// Seals one version's plaintext from `source` to its end, handing each
/// sealed chunk to `store` with its index; returns the plaintext size and
/// BLAKE3 hash.
pub(crate) fn seal_stream(
    source: &mut impl Read,
    cipher: &XChaCha20Poly1305,
    prefix: &[u8; 16],
    aad: &[u8],
    mut store: impl FnMut(u64, &[u8]) -> Result<(), VaultError>,
) -> Result<(u64, ContentHash), VaultError> {
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut current = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
    let mut next = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
    fill_chunk(source, &mut current)?;
    for index in 0u64.. {
        // A chunk is the last one when the source ends inside it or right
        // after it; reading one chunk ahead tells which.
        let last = current.len() < CHUNK_SIZE || {
            fill_chunk(source, &mut next)?;
            next.is_empty()
        };
        hasher.update(&current);
        size += current.len() as u64;
        let nonce = chunk_nonce(prefix, index, last)
            .ok_or_else(|| VaultError::Invalid { what: "document", reason: "too many chunks".into() })?;
        cipher
            .encrypt_in_place(&nonce, aad, &mut current)
            .map_err(|_| VaultError::Invalid { what: "document", reason: "chunk too large to seal".into() })?;
        store(index, &current)?;
        if last {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        next.clear();
    }
    Ok((size, ContentHash(*hasher.finalize().as_bytes())))
}

/// Reads up to one chunk of plaintext into the empty `buf`.
fn fill_chunk(source: &mut impl Read, buf: &mut Vec<u8>) -> Result<(), VaultError> {
    source.take(CHUNK_SIZE as u64).read_to_end(buf).map_err(|e| VaultError::Source(e.to_string()))?;
    Ok(())
}

/// A stored document version, decrypted chunk by chunk as it is read.
///
/// Every chunk is authenticated before any of its bytes are returned. A
/// failure is an [`io::Error`] of kind `InvalidData` carrying the
/// [`VaultError`] (see [`VaultError::from_io`]); the reader then keeps
/// failing. Bytes of earlier, verified chunks may already have been read by
/// then, as with age: a caller that must not act on a partial document
/// reads to the end before acting.
pub struct DocumentReader {
    db: Arc<DB>,
    cipher: XChaCha20Poly1305,
    meta: DocumentMeta,
    prefix: [u8; 16],
    aad: Vec<u8>,
    /// Index of the chunk to load next.
    next_chunk: u64,
    /// The current chunk's plaintext and how much of it was read.
    buf: Vec<u8>,
    pos: usize,
    hasher: blake3::Hasher,
    failed: Option<VaultError>,
}

impl DocumentReader {
    pub(crate) fn new(db: Arc<DB>, cipher: XChaCha20Poly1305, meta: DocumentMeta, prefix: [u8; 16]) -> Self {
        let aad = chunk_aad(meta.box_id, meta.document, meta.version);
        DocumentReader {
            db,
            cipher,
            meta,
            prefix,
            aad,
            next_chunk: 0,
            buf: Vec::with_capacity(CHUNK_SIZE + TAG_LEN),
            pos: 0,
            hasher: blake3::Hasher::new(),
            failed: None,
        }
    }

    /// The version being read.
    pub fn meta(&self) -> &DocumentMeta {
        &self.meta
    }

    /// Writes the whole plaintext to `out`; the error is the first chunk
    /// that failed, or the writer's.
    pub fn copy_to(mut self, out: &mut impl Write) -> Result<DocumentMeta, VaultError> {
        loop {
            // Whatever a caller already read through `Read` is not repeated.
            out.write_all(&self.buf[self.pos..]).map_err(|e| VaultError::Sink(e.to_string()))?;
            self.pos = self.buf.len();
            if !self.next()? {
                break;
            }
        }
        out.flush().map_err(|e| VaultError::Sink(e.to_string()))?;
        Ok(self.meta)
    }

    /// Loads the next chunk into `buf`; `false` once the last chunk was
    /// loaded and the whole stream checked.
    fn next(&mut self) -> Result<bool, VaultError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.next_chunk == self.meta.chunks() {
            return Ok(false);
        }
        match self.load(self.next_chunk) {
            Ok(()) => {
                self.next_chunk += 1;
                self.pos = 0;
                Ok(true)
            }
            Err(e) => {
                self.buf.clear();
                self.pos = 0;
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn load(&mut self, chunk: u64) -> Result<(), VaultError> {
        let m = &self.meta;
        let chunks = m.chunks();
        let last = chunk + 1 == chunks;
        let failed = VaultError::Decryption { chunk };
        let Some(stored) = stored_chunk(&self.db, m, chunk)? else {
            return Err(self.why_missing(failed));
        };
        self.buf.clear();
        self.buf.extend_from_slice(&stored);
        let nonce = chunk_nonce(&self.prefix, chunk, last).ok_or_else(|| failed.clone())?;
        self.cipher.decrypt_in_place(&nonce, &self.aad, &mut self.buf).map_err(|_| failed.clone())?;
        // Authenticated chunks of the right lengths can only differ from
        // the metadata if the data key sealed something else: a bug, or a
        // key in the wrong hands. Checked all the same.
        let expected = if last { m.size - (chunks - 1) * CHUNK_SIZE as u64 } else { CHUNK_SIZE as u64 };
        if self.buf.len() as u64 != expected {
            return Err(failed);
        }
        self.hasher.update(&self.buf);
        if last {
            if stored_chunk(&self.db, m, chunk + 1)?.is_some() {
                return Err(VaultError::Decryption { chunk: chunk + 1 });
            }
            if self.hasher.finalize().as_bytes() != m.content_hash.as_bytes() {
                return Err(VaultError::Tampered {
                    what: format!("content of {}/{}/{}", m.box_id, m.document, m.version),
                });
            }
        }
        Ok(())
    }

    /// A chunk is missing: because the box was erased while it was being
    /// read, or because the stream was cut.
    fn why_missing(&self, failed: VaultError) -> VaultError {
        let box_id = self.meta.box_id;
        let record = self
            .db
            .cf_handle(CF_BOXES)
            .and_then(|cf| self.db.get_pinned_cf(&cf, box_key(box_id)).ok().flatten())
            .map(|bytes| BoxRecord::decode(box_id, &bytes));
        match record {
            Some(Ok(BoxRecord::Live(_))) => failed,
            Some(Ok(BoxRecord::Erased { .. })) => VaultError::Erased(box_id),
            None => VaultError::NoSuchBox(box_id),
            Some(Err(e)) => e,
        }
    }
}

/// One stored chunk of `m`, as RocksDB holds it.
fn stored_chunk<'a>(
    db: &'a DB,
    m: &DocumentMeta,
    chunk: u64,
) -> Result<Option<rocksdb::DBPinnableSlice<'a>>, VaultError> {
    let cf =
        db.cf_handle(CF_CHUNKS).ok_or_else(|| VaultError::Storage(format!("column family {CF_CHUNKS} is missing")))?;
    // A streamed document is read once, front to back: caching its chunks
    // would only evict the blocks other readers (the chains) keep using,
    // and would hold up to a cache's worth of ciphertext in memory.
    let mut options = ReadOptions::default();
    options.fill_cache(false);
    Ok(db.get_pinned_cf_opt(&cf, chunk_key(m.box_id, m.document, m.version, chunk), &options)?)
}

impl Read for DocumentReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.buf.len() {
            if !self.next().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20poly1305::aead::KeyInit;

    #[test]
    fn the_nonce_is_prefix_counter_and_last_flag() {
        let prefix = [0xAA; 16];
        let nonce = chunk_nonce(&prefix, 0x0001_0203_0405_0607, true).unwrap();
        assert_eq!(&nonce[..16], &prefix);
        assert_eq!(&nonce[16..23], &[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(nonce[23], 1);
        assert_eq!(chunk_nonce(&prefix, 5, false).unwrap()[23], 0);
        assert!(chunk_nonce(&prefix, MAX_CHUNKS, false).is_none());
    }

    #[test]
    fn sealing_reads_ahead_to_flag_only_the_real_last_chunk() {
        let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
        for (len, chunks) in [(0, 1), (1, 1), (CHUNK_SIZE, 1), (CHUNK_SIZE + 1, 2), (3 * CHUNK_SIZE, 3)] {
            let content = vec![9u8; len];
            let mut sealed = Vec::new();
            let (size, hash) = seal_stream(&mut &content[..], &cipher, &[0; 16], b"aad", |i, c| {
                sealed.push((i, c.to_vec()));
                Ok(())
            })
            .unwrap();
            assert_eq!((size, hash.0), (len as u64, *blake3::hash(&content).as_bytes()));
            assert_eq!(sealed.len(), chunks, "{len} bytes");
            for (i, chunk) in &sealed {
                let last = *i as usize + 1 == chunks;
                let nonce = chunk_nonce(&[0; 16], *i, last).unwrap();
                let mut buf = chunk.clone();
                cipher.decrypt_in_place(&nonce, b"aad", &mut buf).expect("flag and counter as sealed");
            }
        }
    }
}
