//! The node's index between a box's vault id and its chain reference, in
//! the node's own column family `node.boxes`.
//!
//! The chain names a box by the vault's keyed commitment to the applicant,
//! which the vault computes only from the applicant's code and the box's
//! secret. The node keeps neither the code nor, after erasure, the secret,
//! yet it must find a box from the reference an agency names and record
//! `box.erased` after the secret is gone. So it keeps both directions here:
//!
//! | key                  | value          |
//! |----------------------|----------------|
//! | `i` ‖ box id (16)    | reference (32) |
//! | `r` ‖ reference (32) | box id (16)    |
//! | `p` ‖ box id (16) ‖ document id (16) ‖ license id | (empty) |
//!
//! Neither value is personal data (a random id, a keyed hash), and erasure
//! removes both rows last, once `box.erased` is on the chain.
//!
//! A `p` row is an issuance in progress: written before the credential goes
//! into the box, deleted once the chain has answered. One still there when
//! the node opens names a credential that may be in the box without being
//! on the chain; `Node::open` settles it (see `services/licenses.rs`).

use crate::services::error::ServiceError;
use rocksdb::{Direction, IteratorMode, WriteBatch, WriteOptions, DB};
use safebox_chain::storage::StorageError;
use safebox_chain::{BoxRef, Commitment, LicenseId};
use safebox_vault::{BoxId, DocumentId};
use std::sync::Arc;

pub const CF_BOXES: &str = "node.boxes";

/// The column families the node itself owns.
pub const COLUMN_FAMILIES: [&str; 1] = [CF_BOXES];

/// Both directions of the box index.
pub struct BoxIndex {
    db: Arc<DB>,
}

fn id_key(box_id: BoxId) -> Vec<u8> {
    [&b"i"[..], &box_id.0].concat()
}

fn ref_key(box_ref: &BoxRef) -> Vec<u8> {
    [&b"r"[..], box_ref.0.as_bytes()].concat()
}

fn pending_key(box_id: BoxId, document: DocumentId, license: &LicenseId) -> Vec<u8> {
    [&b"p"[..], &box_id.0, &document.0, license.as_str().as_bytes()].concat()
}

/// An issuance that was in progress: the credential of `license` may be a
/// version of `document` in box `box_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingIssuance {
    pub box_id: BoxId,
    pub document: DocumentId,
    pub license: LicenseId,
}

fn synced() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}

impl BoxIndex {
    /// The index over a database opened with [`COLUMN_FAMILIES`].
    pub fn new(db: Arc<DB>) -> Result<Self, StorageError> {
        if db.cf_handle(CF_BOXES).is_none() {
            return Err(StorageError::Db(format!("column family {CF_BOXES} is missing")));
        }
        Ok(BoxIndex { db })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ServiceError> {
        let cf = self.db.cf_handle(CF_BOXES).ok_or_else(|| ServiceError::storage("box index is missing"))?;
        self.db.get_cf(&cf, key).map_err(ServiceError::storage)
    }

    fn write(&self, build: impl FnOnce(&mut WriteBatch, &rocksdb::ColumnFamily)) -> Result<(), ServiceError> {
        let cf = self.db.cf_handle(CF_BOXES).ok_or_else(|| ServiceError::storage("box index is missing"))?;
        let mut batch = WriteBatch::default();
        build(&mut batch, cf);
        self.db.write_opt(batch, &synced()).map_err(ServiceError::storage)
    }

    /// Records both directions, durably.
    pub fn put(&self, box_id: BoxId, box_ref: &BoxRef) -> Result<(), ServiceError> {
        self.write(|batch, cf| {
            batch.put_cf(cf, id_key(box_id), box_ref.0.as_bytes());
            batch.put_cf(cf, ref_key(box_ref), box_id.0);
        })
    }

    /// Forgets the box, durably.
    pub fn remove(&self, box_id: BoxId, box_ref: &BoxRef) -> Result<(), ServiceError> {
        self.write(|batch, cf| {
            batch.delete_cf(cf, id_key(box_id));
            batch.delete_cf(cf, ref_key(box_ref));
        })
    }

    /// Notes an issuance in progress. Not synced on its own: the vault's
    /// synced write of the credential comes after it in the one WAL, so the
    /// row is durable whenever the credential is.
    pub fn begin_issuance(&self, pending: &PendingIssuance) -> Result<(), ServiceError> {
        let cf = self.db.cf_handle(CF_BOXES).ok_or_else(|| ServiceError::storage("box index is missing"))?;
        self.db
            .put_cf(&cf, pending_key(pending.box_id, pending.document, &pending.license), [])
            .map_err(ServiceError::storage)
    }

    /// The issuance is settled: on the chain, or its credential taken out
    /// of the box again. Not synced: a row that reappears after a crash is
    /// settled again, to the same end.
    pub fn end_issuance(&self, pending: &PendingIssuance) -> Result<(), ServiceError> {
        let cf = self.db.cf_handle(CF_BOXES).ok_or_else(|| ServiceError::storage("box index is missing"))?;
        self.db
            .delete_cf(&cf, pending_key(pending.box_id, pending.document, &pending.license))
            .map_err(ServiceError::storage)
    }

    /// Every issuance still in progress (after a crash: every one the node
    /// did not see answered).
    pub fn pending_issuances(&self) -> Result<Vec<PendingIssuance>, ServiceError> {
        let cf = self.db.cf_handle(CF_BOXES).ok_or_else(|| ServiceError::storage("box index is missing"))?;
        let mut out = Vec::new();
        for item in self.db.iterator_cf(&cf, IteratorMode::From(b"p", Direction::Forward)) {
            let (key, _) = item.map_err(ServiceError::storage)?;
            if !key.starts_with(b"p") {
                break;
            }
            let bad = || corrupt("p…", format!("{} bytes", key.len()));
            let rest = &key[1..];
            if rest.len() <= 32 {
                return Err(bad());
            }
            let box_id = BoxId(rest[..16].try_into().map_err(|_| bad())?);
            let document = DocumentId(rest[16..32].try_into().map_err(|_| bad())?);
            let license =
                std::str::from_utf8(&rest[32..]).ok().and_then(|text| LicenseId::parse(text).ok()).ok_or_else(bad)?;
            out.push(PendingIssuance { box_id, document, license });
        }
        Ok(out)
    }

    /// The chain reference of a box.
    pub fn box_ref(&self, box_id: BoxId) -> Result<Option<BoxRef>, ServiceError> {
        self.get(&id_key(box_id))?
            .map(|bytes| Commitment::from_slice(&bytes).map(BoxRef).map_err(|e| corrupt(&box_id.to_string(), e)))
            .transpose()
    }

    /// The box a chain reference names, if it is on this node.
    pub fn box_id(&self, box_ref: &BoxRef) -> Result<Option<BoxId>, ServiceError> {
        self.get(&ref_key(box_ref))?
            .map(|bytes| {
                <[u8; 16]>::try_from(bytes.as_slice())
                    .map(BoxId)
                    .map_err(|_| corrupt(&box_ref.to_string(), format!("{} bytes", bytes.len())))
            })
            .transpose()
    }
}

fn corrupt(row: &str, reason: impl ToString) -> ServiceError {
    ServiceError::storage(format!("box index row {row} is corrupt: {}", reason.to_string()))
}
