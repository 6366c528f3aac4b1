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

use crate::error::VaultError;
use crate::ids::{BoxId, ContentHash, DocumentId, Version};
use crate::keys::TAG_LEN;
use crate::storage::document_key;
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver};

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

/// Sealed chunks the sealing thread may hold ahead of storing them; with
/// the buffers in flight, memory stays at a few chunks whatever the size.
const SEAL_AHEAD: usize = 2;

/// Seals one version's plaintext from `source` to its end, handing each
/// sealed chunk to `store` with its index; returns the plaintext size and
/// BLAKE3 hash.
///
/// The caller's thread reads and hashes; a second thread encrypts and
/// stores, so the two halves of the work use both cores of a small machine
/// instead of taking turns on one. Buffers go back to the reader once
/// stored, so no chunk is allocated twice. `source` never leaves the
/// caller's thread (it need not be `Send`).
pub(crate) fn seal_stream(
    source: &mut impl Read,
    cipher: &XChaCha20Poly1305,
    prefix: &[u8; 16],
    aad: &[u8],
    mut store: impl FnMut(u64, &[u8]) -> Result<(), VaultError> + Send,
) -> Result<(u64, ContentHash), VaultError> {
    std::thread::scope(|scope| {
        let (to_seal, plaintexts) = sync_channel::<(u64, bool, Vec<u8>)>(SEAL_AHEAD);
        let (give_back, returned) = sync_channel::<Vec<u8>>(SEAL_AHEAD + 2);
        let sealer = scope.spawn(move || -> Result<(), VaultError> {
            for (index, last, mut chunk) in plaintexts {
                let nonce = chunk_nonce(prefix, index, last)
                    .ok_or_else(|| VaultError::Invalid { what: "document", reason: "too many chunks".into() })?;
                cipher
                    .encrypt_in_place(&nonce, aad, &mut chunk)
                    .map_err(|_| VaultError::Invalid { what: "document", reason: "chunk too large to seal".into() })?;
                store(index, &chunk)?;
                chunk.clear();
                // The reader may have stopped wanting buffers; that is fine.
                let _ = give_back.try_send(chunk);
            }
            Ok(())
        });
        let read = read_and_hash(source, |index, last, chunk| to_seal.send((index, last, chunk)).is_ok(), &returned);
        drop(to_seal);
        // The sealer's error comes first: when it stopped, the reader's
        // only complaint is that nobody took its chunks.
        let sealed = sealer.join().unwrap_or_else(|_| Err(VaultError::Storage("the sealing thread panicked".into())));
        sealed?;
        read
    })
}

/// Reads `source` chunk by chunk, hashing it, and hands each chunk to
/// `seal` with its index and whether it is the last; stops early when
/// `seal` refuses (returns false). Buffers are reused from `returned`.
fn read_and_hash(
    source: &mut impl Read,
    mut seal: impl FnMut(u64, bool, Vec<u8>) -> bool,
    returned: &Receiver<Vec<u8>>,
) -> Result<(u64, ContentHash), VaultError> {
    let buffer = || returned.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK_SIZE + TAG_LEN));
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut current = buffer();
    fill_chunk(source, &mut current)?;
    for index in 0u64.. {
        // A chunk is the last one when the source ends inside it or right
        // after it; reading one chunk ahead tells which.
        let mut next = buffer();
        let last = current.len() < CHUNK_SIZE || {
            fill_chunk(source, &mut next)?;
            next.is_empty()
        };
        hasher.update(&current);
        size += current.len() as u64;
        if !seal(index, last, current) {
            return Err(VaultError::Storage("the sealing thread stopped".into()));
        }
        if last {
            break;
        }
        current = next;
    }
    Ok((size, ContentHash(*hasher.finalize().as_bytes())))
}

/// Reads up to one chunk of plaintext into the empty `buf`.
fn fill_chunk(source: &mut impl Read, buf: &mut Vec<u8>) -> Result<(), VaultError> {
    source.take(CHUNK_SIZE as u64).read_to_end(buf).map_err(|e| VaultError::Source(e.to_string()))?;
    Ok(())
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
