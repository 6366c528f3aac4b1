//! Reading a stored version: chunk by chunk through `Read`, or whole with the work spread over threads.
//!
//! Each chunk is fetched, authenticated and decrypted on its own
//! ([`ChunkSource::open_chunk`]); the plaintext is then hashed in order
//! and, at the last chunk, checked against the version's content hash
//! ([`ContentCheck`]). `Read` does both on the caller's thread. A whole
//! read ([`DocumentReader::copy_to`]) fetches and decrypts on two worker
//! threads, alternate chunks each, while the caller hashes and writes: one
//! thread would leave the second core idle and wait on the disk between
//! decryptions, which held whole reads under 0.70 of the cipher's speed.

use crate::document::DocumentMeta;
use crate::error::VaultError;
use crate::keys::{BoxRecord, TAG_LEN};
use crate::storage::{box_key, chunk_key, CF_BOXES, CF_CHUNKS};
use crate::stream::{chunk_aad, chunk_nonce, CHUNK_SIZE};
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::XChaCha20Poly1305;
use rocksdb::{ReadOptions, DB};
use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

/// Worker threads of a whole read; each takes every `WORKERS`-th chunk.
const WORKERS: u64 = 2;
/// Decrypted chunks a worker may hold ahead of the writer: memory stays
/// bounded at (`AHEAD` + 1) × `WORKERS` chunks whatever the size.
const AHEAD: usize = 2;
/// Below this many chunks a whole read stays on the caller's thread:
/// starting threads would cost more than it saves.
const PARALLEL_FROM: u64 = 4;

/// Where one version's chunks come from and how they are opened.
struct ChunkSource {
    db: Arc<DB>,
    cipher: XChaCha20Poly1305,
    meta: DocumentMeta,
    prefix: [u8; 16],
    aad: Vec<u8>,
}

impl ChunkSource {
    /// Fetches, authenticates and decrypts chunk `chunk` into `buf`
    /// (cleared first), and checks its length; for the last chunk, also
    /// that nothing follows it.
    fn open_chunk(&self, chunk: u64, buf: &mut Vec<u8>) -> Result<(), VaultError> {
        let m = &self.meta;
        let chunks = m.chunks();
        let last = chunk + 1 == chunks;
        let failed = VaultError::Decryption { chunk };
        buf.clear();
        match self.stored(chunk)? {
            Some(stored) => buf.extend_from_slice(&stored),
            None => return Err(self.why_missing(failed)),
        }
        let nonce = chunk_nonce(&self.prefix, chunk, last).ok_or_else(|| failed.clone())?;
        self.cipher.decrypt_in_place(&nonce, &self.aad, buf).map_err(|_| failed.clone())?;
        // Authenticated chunks of the right lengths can only differ from
        // the metadata if the data key sealed something else: a bug, or a
        // key in the wrong hands. Checked all the same.
        let expected = if last { m.size - (chunks - 1) * CHUNK_SIZE as u64 } else { CHUNK_SIZE as u64 };
        if buf.len() as u64 != expected {
            return Err(failed);
        }
        if last && self.stored(chunk + 1)?.is_some() {
            return Err(VaultError::Decryption { chunk: chunk + 1 });
        }
        Ok(())
    }

    /// One stored chunk, as RocksDB holds it.
    fn stored(&self, chunk: u64) -> Result<Option<rocksdb::DBPinnableSlice<'_>>, VaultError> {
        let cf = self
            .db
            .cf_handle(CF_CHUNKS)
            .ok_or_else(|| VaultError::Storage(format!("column family {CF_CHUNKS} is missing")))?;
        // A streamed document is read once, front to back: caching its
        // chunks would only evict the blocks other readers (the chains)
        // keep using, and would hold up to a cache's worth of ciphertext.
        let mut options = ReadOptions::default();
        options.fill_cache(false);
        let m = &self.meta;
        Ok(self.db.get_pinned_cf_opt(&cf, chunk_key(m.box_id, m.document, m.version, chunk), &options)?)
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

/// The running content hash of the chunks opened so far, in order.
struct ContentCheck {
    hasher: blake3::Hasher,
}

impl ContentCheck {
    /// Adds chunk `chunk`'s plaintext; at the last chunk, compares the
    /// whole content with the version's hash.
    fn absorb(&mut self, meta: &DocumentMeta, chunk: u64, plaintext: &[u8]) -> Result<(), VaultError> {
        self.hasher.update(plaintext);
        if chunk + 1 == meta.chunks() && self.hasher.finalize().as_bytes() != meta.content_hash.as_bytes() {
            return Err(VaultError::Tampered {
                what: format!("content of {}/{}/{}", meta.box_id, meta.document, meta.version),
            });
        }
        Ok(())
    }
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
    source: ChunkSource,
    /// Index of the chunk to load next.
    next_chunk: u64,
    /// The current chunk's plaintext and how much of it was read.
    buf: Vec<u8>,
    pos: usize,
    check: ContentCheck,
    failed: Option<VaultError>,
}

impl DocumentReader {
    pub(crate) fn new(db: Arc<DB>, cipher: XChaCha20Poly1305, meta: DocumentMeta, prefix: [u8; 16]) -> Self {
        let aad = chunk_aad(meta.box_id, meta.document, meta.version);
        DocumentReader {
            source: ChunkSource { db, cipher, meta, prefix, aad },
            next_chunk: 0,
            buf: Vec::with_capacity(CHUNK_SIZE + TAG_LEN),
            pos: 0,
            check: ContentCheck { hasher: blake3::Hasher::new() },
            failed: None,
        }
    }

    /// The version being read.
    pub fn meta(&self) -> &DocumentMeta {
        &self.source.meta
    }

    /// Writes the whole plaintext to `out`; the error is the first chunk
    /// that failed, or the writer's.
    pub fn copy_to(mut self, out: &mut impl Write) -> Result<DocumentMeta, VaultError> {
        let chunks = self.source.meta.chunks();
        if self.next_chunk == 0 && self.failed.is_none() && chunks >= PARALLEL_FROM {
            self.copy_in_parallel(out)?;
        } else {
            loop {
                // Whatever a caller already read through `Read` is not repeated.
                out.write_all(&self.buf[self.pos..]).map_err(|e| VaultError::Sink(e.to_string()))?;
                self.pos = self.buf.len();
                if !self.next()? {
                    break;
                }
            }
        }
        out.flush().map_err(|e| VaultError::Sink(e.to_string()))?;
        Ok(self.source.meta)
    }

    /// The whole read with chunks opened by [`WORKERS`] threads, in turns,
    /// and hashed and written here in order. The first error in chunk order
    /// is the one returned, as on one thread; returning drops the
    /// receivers, which stops the workers at their next send.
    fn copy_in_parallel(&mut self, out: &mut impl Write) -> Result<(), VaultError> {
        let (source, check) = (&self.source, &mut self.check);
        let chunks = source.meta.chunks();
        std::thread::scope(|scope| {
            let opened: Vec<Receiver<Result<Vec<u8>, VaultError>>> = (0..WORKERS)
                .map(|worker| {
                    let (tx, rx) = sync_channel(AHEAD);
                    scope.spawn(move || {
                        for chunk in (worker..chunks).step_by(WORKERS as usize) {
                            let mut buf = Vec::with_capacity(CHUNK_SIZE + TAG_LEN);
                            let result = source.open_chunk(chunk, &mut buf).map(|()| buf);
                            let failed = result.is_err();
                            if tx.send(result).is_err() || failed {
                                return;
                            }
                        }
                    });
                    rx
                })
                .collect();
            for chunk in 0..chunks {
                let plaintext = opened[(chunk % WORKERS) as usize]
                    .recv()
                    .map_err(|_| VaultError::Storage(format!("reader of chunk {chunk} stopped")))??;
                check.absorb(&source.meta, chunk, &plaintext)?;
                out.write_all(&plaintext).map_err(|e| VaultError::Sink(e.to_string()))?;
            }
            Ok(())
        })
    }

    /// Loads the next chunk into `buf`; `false` once the last chunk was
    /// loaded and the whole stream checked.
    fn next(&mut self) -> Result<bool, VaultError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let chunk = self.next_chunk;
        if chunk == self.source.meta.chunks() {
            return Ok(false);
        }
        let loaded = self
            .source
            .open_chunk(chunk, &mut self.buf)
            .and_then(|()| self.check.absorb(&self.source.meta, chunk, &self.buf));
        match loaded {
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
