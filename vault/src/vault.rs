//! `Vault`: boxes, documents and keys over the node's RocksDB.
//!
//! The vault checks nothing about who asks: the node decides whether a
//! caller may read a box (grants) and records uses on the chain first.

use crate::document::{DocumentMeta, DocumentRow, NewDocument, StoredMeta};
use crate::error::VaultError;
use crate::ids::{ApplicantCommitment, BoxId, DocumentCommitment, DocumentId, DocumentType, Version};
use crate::keys::{random, BoxKeys, BoxRecord, LiveBox, MasterKey, MasterKeyId};
use crate::reader::DocumentReader;
use crate::staging::{clear_staging, StagedChunks};
use crate::storage::*;
use crate::stream::{chunk_aad, seal_stream, CHUNK_SIZE};
use ed25519_dalek::{Signer as _, VerifyingKey};
use rocksdb::{
    AsColumnFamilyRef, BottommostLevelCompaction, CompactOptions, Direction, FlushOptions, IteratorMode, Options,
    WriteBatch, WriteOptions, DB,
};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Documents of up to this many chunks (1 MiB) are written in one synced
/// batch with their metadata; larger ones are staged in a table file of
/// their own (see [`crate::staging`]).
const BATCH_CHUNKS: usize = 16;

/// Where an upload's sealed chunks go until its metadata is written.
enum ChunkSink {
    /// Held in memory (at most [`BATCH_CHUNKS`]) for one batch.
    Batched(Vec<Vec<u8>>),
    /// Written into a table file, ingested whole before the metadata.
    Staged(StagedChunks),
}

/// How many box records one synced batch of a master key rotation rewrites.
const ROTATION_BATCH: usize = 256;

const DOCUMENT_ID_TAG: &str = "safebox vault document id v1";
const APPLICANT_COMMITMENT_TAG: &str = "safebox vault applicant commitment v1";
const DOCUMENT_COMMITMENT_TAG: &str = "safebox vault document commitment v1";

/// The encrypted boxes of one node.
///
/// One `Vault` per database: opening it finishes or undoes the work a crash
/// interrupted (see [`crate::storage`]), which would undo a second
/// instance's uploads in flight.
pub struct Vault {
    db: Arc<DB>,
    /// The key that wraps box keys; replaced by [`Vault::rotate_master`].
    master: RwLock<MasterKey>,
    /// Versions being uploaded, so that concurrent uploads of one document
    /// type get different numbers.
    uploads: Mutex<HashSet<(BoxId, DocumentId, Version)>>,
    /// Orders the writes that depend on a box being live (an upload's
    /// commit) after or before its erasure, never across it.
    lifecycle: Mutex<()>,
}

/// What a master key rotation did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Boxes rewrapped from the old key to the new one by this call.
    pub rewrapped: u64,
    /// Boxes already under the new key (an earlier, interrupted rotation).
    pub already: u64,
}

/// An upload's claim on a version number, given back when dropped unless
/// the version's chunks could not be cleaned up (then the number stays
/// taken until the next open collects them).
struct Reservation<'a> {
    vault: &'a Vault,
    slot: (BoxId, DocumentId, Version),
    keep: bool,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.keep {
            lock(&self.vault.uploads).remove(&self.slot);
        }
    }
}

impl Vault {
    /// The vault over a database opened with (at least) [`COLUMN_FAMILIES`],
    /// with the node's master key. Deletes the chunks of uploads a crash
    /// interrupted and finishes interrupted erasures.
    pub fn open(db: Arc<DB>, master: MasterKey) -> Result<Vault, VaultError> {
        for name in COLUMN_FAMILIES {
            if db.cf_handle(name).is_none() {
                return Err(VaultError::Storage(format!("column family {name} is missing")));
            }
        }
        let vault =
            Vault { db, master: RwLock::new(master), uploads: Mutex::new(HashSet::new()), lifecycle: Mutex::new(()) };
        vault.finish_pending()?;
        Ok(vault)
    }

    /// The id of the master key in use.
    pub fn master_key_id(&self) -> MasterKeyId {
        self.master.read().unwrap_or_else(|e| e.into_inner()).id()
    }

    /// A new box with fresh keys, durable when this returns.
    pub fn create_box(&self) -> Result<BoxId, VaultError> {
        let box_id = BoxId(random());
        if self.record(box_id)?.is_some() {
            // 128 random bits do not collide; if they did, refuse rather
            // than overwrite another applicant's keys.
            return Err(VaultError::Storage(format!("box id {box_id} is already taken")));
        }
        // Held while writing, so a rotation never misses a new box.
        let master = self.master.read().unwrap_or_else(|e| e.into_inner());
        let (record, _keys) = LiveBox::create(box_id, &master, now_ms());
        let boxes = self.cf(CF_BOXES)?;
        self.db.put_cf_opt(&boxes, box_key(box_id), BoxRecord::Live(record).encode(), &synced())?;
        Ok(box_id)
    }

    /// The applicant's Ed25519 public key, under which the service chain
    /// checks what the applicant signs (grants, withdrawals).
    pub fn applicant_public_key(&self, box_id: BoxId) -> Result<VerifyingKey, VaultError> {
        self.live(box_id)?.public_key(box_id)
    }

    /// Signs `message` with the applicant's key (held by the node in the
    /// embedded setup).
    pub fn sign_as_applicant(&self, box_id: BoxId, message: &[u8]) -> Result<[u8; 64], VaultError> {
        Ok(self.keys(box_id)?.signing.sign(message).to_bytes())
    }

    /// The commitment the chains record in place of the applicant's code.
    pub fn applicant_commitment(&self, box_id: BoxId, applicant_code: &str) -> Result<ApplicantCommitment, VaultError> {
        let keys = self.keys(box_id)?;
        Ok(ApplicantCommitment(keys.keyed_hash(APPLICANT_COMMITMENT_TAG, &[applicant_code.as_bytes()])))
    }

    /// The commitment the chains record for one document version; it binds
    /// the version's content hash, so a use entry names exactly the bytes
    /// that were read.
    pub fn document_commitment(
        &self,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
    ) -> Result<DocumentCommitment, VaultError> {
        let keys = self.keys(box_id)?;
        let meta = self.stored_meta(&keys, box_id, document, version)?.meta;
        let fields: [&[u8]; 3] = [&document.0, &version.0.to_be_bytes(), &meta.content_hash.0];
        Ok(DocumentCommitment(keys.keyed_hash(DOCUMENT_COMMITMENT_TAG, &fields)))
    }

    /// The id of the document of this type in this box (whether or not
    /// anything was uploaded yet).
    pub fn document_id(&self, box_id: BoxId, document_type: &DocumentType) -> Result<DocumentId, VaultError> {
        Ok(document_id(&self.keys(box_id)?, document_type))
    }

    /// Stores the content read from `source` (to its end) as the next
    /// version of the document of `new.document_type`, streaming it in
    /// sealed chunks. The version is visible only once all of it is
    /// durable; if anything fails, nothing of it is visible and the upload
    /// can simply be repeated.
    pub fn put_document(
        &self,
        box_id: BoxId,
        new: &NewDocument,
        mut source: impl Read,
    ) -> Result<DocumentMeta, VaultError> {
        new.check()?;
        let keys = self.keys(box_id)?;
        let document = document_id(&keys, &new.document_type);
        let mut reservation = self.reserve(box_id, document)?;
        let version = reservation.slot.2;
        let result = self.upload(&keys, box_id, document, version, new, &mut source);
        if result.is_err() && self.discard_upload(box_id, document, version).is_err() {
            // Chunks may be left behind under this number: keep it taken
            // until the next open collects them.
            reservation.keep = true;
        }
        result
    }

    fn upload(
        &self,
        keys: &BoxKeys,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
        new: &NewDocument,
        source: &mut impl Read,
    ) -> Result<DocumentMeta, VaultError> {
        let (pending, chunks, documents) = (self.cf(CF_PENDING)?, self.cf(CF_CHUNKS)?, self.cf(CF_DOCUMENTS)?);
        let prefix: [u8; 16] = random();
        let staged_name = format!("{box_id}-{document}-{version}-{}.sst", hex::encode(random::<8>()));
        let mut sink = ChunkSink::Batched(Vec::new());
        let (size, content_hash) =
            seal_stream(source, &keys.cipher(), &prefix, &chunk_aad(box_id, document, version), |i, sealed| {
                let key = chunk_key(box_id, document, version, i);
                match &mut sink {
                    ChunkSink::Batched(held) if held.len() < BATCH_CHUNKS => held.push(sealed.to_vec()),
                    ChunkSink::Batched(held) => {
                        // Too large for one batch: everything held so far
                        // goes first into a table file, in key order.
                        let mut staged = StagedChunks::create(&self.db, &staged_name)?;
                        for (j, earlier) in held.iter().enumerate() {
                            staged.put(&chunk_key(box_id, document, version, j as u64), earlier)?;
                        }
                        staged.put(&key, sealed)?;
                        sink = ChunkSink::Staged(staged);
                    }
                    ChunkSink::Staged(staged) => staged.put(&key, sealed)?,
                }
                Ok(())
            })?;
        let stored = StoredMeta {
            meta: DocumentMeta {
                box_id,
                document,
                version,
                document_type: new.document_type.clone(),
                name: new.name.clone(),
                media_type: new.media_type.clone(),
                size,
                uploaded_ms: now_ms(),
                content_hash,
            },
            nonce_prefix: hex::encode(prefix),
            chunk_size: CHUNK_SIZE as u64,
        };
        let mut batch = WriteBatch::default();
        match sink {
            ChunkSink::Batched(held) => {
                // The chunks and the metadata that makes them visible land
                // in one synced batch: all of the version, or nothing.
                for (i, sealed) in held.iter().enumerate() {
                    batch.put_cf(&chunks, chunk_key(box_id, document, version, i as u64), sealed);
                }
            }
            ChunkSink::Staged(staged) => {
                // The pending row is durable before the chunks are: after a
                // crash between the ingestion and the metadata, the next
                // open finds the row and deletes the chunks.
                let upload = upload_key(box_id, document, version);
                self.db.put_cf_opt(&pending, &upload, now_ms().to_be_bytes(), &synced())?;
                staged.ingest(&self.db, &chunks)?;
                batch.delete_cf(&pending, &upload);
            }
        }
        // The metadata makes the version visible, and only while the box is
        // live (see `lifecycle`).
        let _lifecycle = lock(&self.lifecycle);
        self.live(box_id)?;
        batch.put_cf(&documents, document_key(box_id, document, version), stored.seal(keys));
        self.db.write_opt(batch, &synced())?;
        Ok(stored.meta)
    }

    /// Takes the next free version number of a document.
    fn reserve(&self, box_id: BoxId, document: DocumentId) -> Result<Reservation<'_>, VaultError> {
        let mut uploads = lock(&self.uploads);
        let stored = self.last_version(box_id, document)?;
        let in_flight = uploads.iter().filter(|(b, d, _)| (*b, *d) == (box_id, document)).map(|slot| slot.2).max();
        let version = match stored.max(in_flight) {
            None => Version::FIRST,
            Some(last) => last
                .next()
                .ok_or_else(|| VaultError::Invalid { what: "upload", reason: "no version number left".into() })?,
        };
        uploads.insert((box_id, document, version));
        Ok(Reservation { vault: self, slot: (box_id, document, version), keep: false })
    }

    /// The highest version number ever committed (live or deleted).
    fn last_version(&self, box_id: BoxId, document: DocumentId) -> Result<Option<Version>, VaultError> {
        let documents = self.cf(CF_DOCUMENTS)?;
        let prefix = document_prefix(box_id, document);
        let last_key = document_key(box_id, document, Version(u32::MAX));
        let mut iter = self.db.iterator_cf(&documents, IteratorMode::From(&last_key, Direction::Reverse));
        match iter.next().transpose()? {
            Some((key, _)) if key.starts_with(&prefix) => Ok(parse_document_key(&key).map(|(_, _, v)| v)),
            _ => Ok(None),
        }
    }

    /// Deletes what a failed upload wrote.
    fn discard_upload(&self, box_id: BoxId, document: DocumentId, version: Version) -> Result<(), VaultError> {
        let (pending, chunks) = (self.cf(CF_PENDING)?, self.cf(CF_CHUNKS)?);
        let (from, to) = prefix_range(&document_key(box_id, document, version), CHUNK_KEY_LEN);
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(&chunks, from, to);
        batch.delete_cf(&pending, upload_key(box_id, document, version));
        Ok(self.db.write(batch)?)
    }

    /// One version's metadata.
    pub fn document(&self, box_id: BoxId, document: DocumentId, version: Version) -> Result<DocumentMeta, VaultError> {
        let keys = self.keys(box_id)?;
        Ok(self.stored_meta(&keys, box_id, document, version)?.meta)
    }

    /// Every stored version of one document, oldest first (empty if none).
    pub fn versions(&self, box_id: BoxId, document: DocumentId) -> Result<Vec<DocumentMeta>, VaultError> {
        self.list(box_id, &document_prefix(box_id, document))
    }

    /// The newest stored version of one document. Costs one version's
    /// metadata however many there are (listing them all made every agency
    /// read slower as a box grew: seen in `safebox soak`).
    pub fn latest(&self, box_id: BoxId, document: DocumentId) -> Result<DocumentMeta, VaultError> {
        self.versions_newest_first(box_id, document)?
            .next()
            .unwrap_or(Err(VaultError::NoSuchDocument { box_id, document }))
    }

    /// The stored versions of one document, newest first, each read and
    /// opened only when the iteration reaches it: a caller looking for a
    /// recent version pays for the versions it passes, not for all of them.
    pub fn versions_newest_first(
        &self,
        box_id: BoxId,
        document: DocumentId,
    ) -> Result<impl Iterator<Item = Result<DocumentMeta, VaultError>> + '_, VaultError> {
        let keys = self.keys(box_id)?;
        let documents = self.cf(CF_DOCUMENTS)?;
        let prefix = document_prefix(box_id, document);
        let last_key = document_key(box_id, document, Version(u32::MAX));
        let rows = self.db.iterator_cf(&documents, IteratorMode::From(&last_key, Direction::Reverse));
        Ok(rows.take_while(move |item| item.as_ref().map_or(true, |(key, _)| key.starts_with(&prefix))).filter_map(
            move |item| {
                let opened =
                    item.map_err(VaultError::from).and_then(|(key, value)| match document_row(&key, &value)? {
                        VersionRow { box_id, document, version, live: Some(sealed) } => {
                            Ok(Some(StoredMeta::open(&keys, box_id, document, version, sealed)?.meta))
                        }
                        VersionRow { live: None, .. } => Ok(None),
                    });
                opened.transpose()
            },
        ))
    }

    /// Every stored version of every document of a box, by document, then
    /// version.
    pub fn documents(&self, box_id: BoxId) -> Result<Vec<DocumentMeta>, VaultError> {
        self.list(box_id, &box_key(box_id))
    }

    /// The newest live version of each document of a box, by document.
    /// The keys of every version are scanned, but only the newest of each
    /// document is decrypted, so a box with a long history costs about as
    /// much as one with a version per document.
    pub fn latest_documents(&self, box_id: BoxId) -> Result<Vec<DocumentMeta>, VaultError> {
        let keys = self.keys(box_id)?;
        let documents = self.cf(CF_DOCUMENTS)?;
        let prefix = box_key(box_id);
        let mut out = Vec::new();
        // The newest live version seen of the document being scanned, with
        // its sealed metadata.
        let mut newest: Option<(DocumentId, Version, Vec<u8>)> = None;
        let open = |(document, version, sealed): (DocumentId, Version, Vec<u8>)| {
            StoredMeta::open(&keys, box_id, document, version, &sealed).map(|stored| stored.meta)
        };
        for item in self.db.iterator_cf(&documents, IteratorMode::From(&prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let VersionRow { document, version, live, .. } = document_row(&key, &value)?;
            if newest.as_ref().is_some_and(|(seen, _, _)| *seen != document) {
                out.extend(newest.take().map(open).transpose()?);
            }
            if let Some(sealed) = live {
                newest = Some((document, version, sealed.to_vec()));
            }
        }
        out.extend(newest.map(open).transpose()?);
        Ok(out)
    }

    fn list(&self, box_id: BoxId, prefix: &[u8]) -> Result<Vec<DocumentMeta>, VaultError> {
        let keys = self.keys(box_id)?;
        let documents = self.cf(CF_DOCUMENTS)?;
        let mut out = Vec::new();
        for item in self.db.iterator_cf(&documents, IteratorMode::From(prefix, Direction::Forward)) {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            if let VersionRow { box_id, document, version, live: Some(sealed) } = document_row(&key, &value)? {
                out.push(StoredMeta::open(&keys, box_id, document, version, sealed)?.meta);
            }
        }
        Ok(out)
    }

    /// A reader that decrypts one version as it is read.
    pub fn open_document(
        &self,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
    ) -> Result<DocumentReader, VaultError> {
        let keys = self.keys(box_id)?;
        let stored = self.stored_meta(&keys, box_id, document, version)?;
        let prefix = stored.nonce_prefix()?;
        Ok(DocumentReader::new(self.db.clone(), keys.cipher(), stored.meta, prefix))
    }

    /// Writes one version's plaintext to `out`, chunk by chunk. On an error,
    /// `out` may hold the verified chunks before the failing one.
    pub fn read_document(
        &self,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
        out: &mut impl Write,
    ) -> Result<DocumentMeta, VaultError> {
        self.open_document(box_id, document, version)?.copy_to(out)
    }

    /// Deletes one version. Its number is not given out again.
    pub fn delete_version(&self, box_id: BoxId, document: DocumentId, version: Version) -> Result<(), VaultError> {
        let keys = self.keys(box_id)?;
        self.stored_meta(&keys, box_id, document, version)?;
        let (documents, chunks) = (self.cf(CF_DOCUMENTS)?, self.cf(CF_CHUNKS)?);
        let key = document_key(box_id, document, version);
        let (from, to) = prefix_range(&key, CHUNK_KEY_LEN);
        let mut batch = WriteBatch::default();
        batch.put_cf(&documents, key, DocumentRow::deleted(now_ms()));
        batch.delete_range_cf(&chunks, from, to);
        Ok(self.db.write_opt(batch, &synced())?)
    }

    /// Crypto-shreds a box: one synced write destroys its wrapped keys,
    /// secret and applicant key (from then on nothing of it can be decrypted
    /// or linked), then its documents and chunks are deleted. A crash
    /// between the two is finished at the next open. The bytes leave the
    /// disk at the next [`Vault::compact`].
    pub fn erase_box(&self, box_id: BoxId) -> Result<(), VaultError> {
        let _lifecycle = lock(&self.lifecycle);
        self.live(box_id)?;
        let (boxes, pending) = (self.cf(CF_BOXES)?, self.cf(CF_PENDING)?);
        let at_ms = now_ms();
        let mut batch = WriteBatch::default();
        batch.put_cf(&boxes, box_key(box_id), BoxRecord::Erased { at_ms }.encode());
        batch.put_cf(&pending, erasure_key(box_id), at_ms.to_be_bytes());
        self.db.write_opt(batch, &synced())?;
        self.delete_box_data(box_id)
    }

    fn delete_box_data(&self, box_id: BoxId) -> Result<(), VaultError> {
        let (documents, chunks, pending) = (self.cf(CF_DOCUMENTS)?, self.cf(CF_CHUNKS)?, self.cf(CF_PENDING)?);
        let mut batch = WriteBatch::default();
        let (from, to) = prefix_range(&box_key(box_id), DOCUMENT_KEY_LEN);
        batch.delete_range_cf(&documents, from, to);
        let (from, to) = prefix_range(&box_key(box_id), CHUNK_KEY_LEN);
        batch.delete_range_cf(&chunks, from, to);
        let (from, to) = prefix_range(&[&[PENDING_UPLOAD][..], &box_id.0].concat(), 1 + DOCUMENT_KEY_LEN);
        batch.delete_range_cf(&pending, from, to);
        batch.delete_cf(&pending, erasure_key(box_id));
        Ok(self.db.write_opt(batch, &synced())?)
    }

    /// Rewrites the vault's column families so that deleted and erased data
    /// leaves the disk. First every column family of the database is
    /// flushed: a WAL file is deleted only when no column family still needs
    /// it, and the WAL holds erased keys as long as the SST files do.
    /// Compaction then drops what deletions and range deletions cover, down
    /// to the last level. Slow on a large vault; run it after erasures, off
    /// the request path.
    pub fn compact(&self) -> Result<(), VaultError> {
        let names = DB::list_cf(&Options::default(), self.db.path())?;
        let handles: Vec<_> = names.iter().filter_map(|name| self.db.cf_handle(name)).collect();
        let mut flush = FlushOptions::default();
        flush.set_wait(true);
        self.db.flush_cfs_opt(&handles.iter().collect::<Vec<_>>(), &flush)?;
        let mut options = CompactOptions::default();
        options.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        for name in COLUMN_FAMILIES {
            self.db.compact_range_cf_opt(&self.cf(name)?, None::<&[u8]>, None::<&[u8]>, &options);
        }
        Ok(())
    }

    /// Rewraps every box's keys from `old` to `new`; documents are not
    /// touched (they are sealed under the box keys, which do not change).
    /// Written in synced batches and resumable: if interrupted, call it
    /// again with the same keys (boxes already under `new` are skipped).
    /// Keep both keys until it returns. Afterwards the vault uses `new`,
    /// and `old` unwraps nothing.
    pub fn rotate_master(&self, old: &MasterKey, new: &MasterKey) -> Result<Rotation, VaultError> {
        let (old_id, new_id) = (old.id(), new.id());
        if old_id == new_id {
            return Err(VaultError::Invalid {
                what: "master key rotation",
                reason: "old and new key are the same".into(),
            });
        }
        // No box is created or unwrapped while the keys change.
        let mut master = self.master.write().unwrap_or_else(|e| e.into_inner());
        if master.id() != old_id && master.id() != new_id {
            return Err(VaultError::Invalid {
                what: "master key rotation",
                reason: format!("the vault uses key {}, neither {old_id} nor {new_id}", master.id()),
            });
        }
        let boxes = self.cf(CF_BOXES)?;
        let mut done = Rotation { rewrapped: 0, already: 0 };
        let mut batch = WriteBatch::default();
        for item in self.db.iterator_cf(&boxes, IteratorMode::Start) {
            let (key, value) = item?;
            let box_id = BoxId(
                key[..]
                    .try_into()
                    .map_err(|_| VaultError::corrupt(format!("{CF_BOXES} key"), format!("{} bytes", key.len())))?,
            );
            let BoxRecord::Live(live) = BoxRecord::decode(box_id, &value)? else {
                continue;
            };
            if live.master == new_id {
                done.already += 1;
                continue;
            }
            batch.put_cf(&boxes, box_key(box_id), BoxRecord::Live(live.rewrap(box_id, old, new)?).encode());
            done.rewrapped += 1;
            if batch.len() >= ROTATION_BATCH {
                self.db.write_opt(std::mem::take(&mut batch), &synced())?;
            }
        }
        self.db.write_opt(batch, &synced())?;
        *master = new.clone();
        Ok(done)
    }

    /// Finishes what a crash interrupted: deletes the chunks of pending
    /// uploads, completes pending erasures.
    fn finish_pending(&self) -> Result<(), VaultError> {
        clear_staging(&self.db)?;
        let (pending, chunks) = (self.cf(CF_PENDING)?, self.cf(CF_CHUNKS)?);
        let rows: Vec<Box<[u8]>> = self
            .db
            .iterator_cf(&pending, IteratorMode::Start)
            .map(|item| item.map(|(key, _)| key))
            .collect::<Result<_, _>>()?;
        for key in rows {
            let bad = || VaultError::corrupt(format!("{CF_PENDING} key"), hex::encode(&key));
            match key.split_first() {
                Some((&PENDING_UPLOAD, rest)) => {
                    parse_document_key(rest).ok_or_else(bad)?;
                    let (from, to) = prefix_range(rest, CHUNK_KEY_LEN);
                    let mut batch = WriteBatch::default();
                    batch.delete_range_cf(&chunks, from, to);
                    batch.delete_cf(&pending, &key);
                    self.db.write_opt(batch, &synced())?;
                }
                Some((&PENDING_ERASURE, rest)) => {
                    let box_id = BoxId(rest.try_into().map_err(|_| bad())?);
                    self.delete_box_data(box_id)?;
                }
                _ => return Err(bad()),
            }
        }
        Ok(())
    }

    /// A column family the vault owns (checked at open).
    fn cf(&self, name: &str) -> Result<impl AsColumnFamilyRef + '_, VaultError> {
        self.db.cf_handle(name).ok_or_else(|| VaultError::Storage(format!("column family {name} is missing")))
    }

    fn record(&self, box_id: BoxId) -> Result<Option<BoxRecord>, VaultError> {
        let boxes = self.cf(CF_BOXES)?;
        match self.db.get_pinned_cf(&boxes, box_key(box_id))? {
            None => Ok(None),
            Some(bytes) => BoxRecord::decode(box_id, &bytes).map(Some),
        }
    }

    fn live(&self, box_id: BoxId) -> Result<LiveBox, VaultError> {
        match self.record(box_id)? {
            Some(BoxRecord::Live(live)) => Ok(live),
            Some(BoxRecord::Erased { .. }) => Err(VaultError::Erased(box_id)),
            None => Err(VaultError::NoSuchBox(box_id)),
        }
    }

    /// The box's keys, unwrapped with the master key in use.
    fn keys(&self, box_id: BoxId) -> Result<BoxKeys, VaultError> {
        let live = self.live(box_id)?;
        let master = self.master.read().unwrap_or_else(|e| e.into_inner());
        live.unwrap(box_id, &master)
    }

    fn stored_meta(
        &self,
        keys: &BoxKeys,
        box_id: BoxId,
        document: DocumentId,
        version: Version,
    ) -> Result<StoredMeta, VaultError> {
        let documents = self.cf(CF_DOCUMENTS)?;
        let missing = VaultError::NoSuchVersion { box_id, document, version };
        let row = self
            .db
            .get_pinned_cf(&documents, document_key(box_id, document, version))?
            .ok_or_else(|| missing.clone())?;
        match DocumentRow::decode(&row, || format!("{box_id}/{document}/{version}"))? {
            DocumentRow::Live(sealed) => StoredMeta::open(keys, box_id, document, version, sealed),
            DocumentRow::Deleted => Err(missing),
        }
    }
}

/// One row of the documents family: the version its key names, and its
/// sealed metadata if the version is live (`None` once deleted).
struct VersionRow<'v> {
    box_id: BoxId,
    document: DocumentId,
    version: Version,
    live: Option<&'v [u8]>,
}

fn document_row<'v>(key: &[u8], value: &'v [u8]) -> Result<VersionRow<'v>, VaultError> {
    let (box_id, document, version) = parse_document_key(key)
        .ok_or_else(|| VaultError::corrupt(format!("{CF_DOCUMENTS} key"), format!("{} bytes", key.len())))?;
    let live = match DocumentRow::decode(value, || format!("{box_id}/{document}/{version}"))? {
        DocumentRow::Live(sealed) => Some(sealed),
        DocumentRow::Deleted => None,
    };
    Ok(VersionRow { box_id, document, version, live })
}

fn document_id(keys: &BoxKeys, document_type: &DocumentType) -> DocumentId {
    let hash = keys.keyed_hash(DOCUMENT_ID_TAG, &[document_type.as_str().as_bytes()]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash[..16]);
    DocumentId(id)
}

fn synced() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}

/// The sets behind these locks stay consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
