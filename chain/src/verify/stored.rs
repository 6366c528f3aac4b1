//! Reading a node's license chain at one commit: its latest signed
//! checkpoint and the state as of that checkpoint, from one RocksDB
//! snapshot, and inclusion proofs at the checkpoint's size.
//!
//! The sequencer writes a commit's state and its checkpoint in one batch, so
//! reads from one snapshot see a state that is exactly the fold of the
//! entries the checkpoint covers: a status read there is the status "as of
//! license-chain size N", with no commit slipping in between the two reads.

use crate::checkpoint::{self, TreeHead};
use crate::ledger::Ledger;
use crate::proof::InclusionProof;
use crate::state::{StateError, StateRead};
use crate::storage::{self, ChainStore, StorageError, StoredHashes};
use crate::ChainId;
use rocksdb::{SnapshotWithThreadMode, DB};

/// The license chain as of one commit.
pub(crate) struct LicenseView<'a> {
    store: &'a ChainStore,
    snapshot: SnapshotWithThreadMode<'a, DB>,
    /// The latest checkpoint in the snapshot, verified with the node key.
    pub head: TreeHead,
    /// Its signed note, as stored.
    pub note: Vec<u8>,
}

/// Why the license chain could not be read as of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ViewError {
    #[error("the license chain has no checkpoint yet")]
    NoCheckpoint,
    #[error("the stored license-chain checkpoint does not verify with the node key: {0}")]
    Checkpoint(checkpoint::CheckpointError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl<'a> LicenseView<'a> {
    /// Takes a snapshot and reads the checkpoint in it.
    pub fn open(ledger: &'a Ledger) -> Result<Self, ViewError> {
        let store = ledger.store();
        let snapshot = store.db().snapshot();
        let note = snapshot
            .get_cf(store.cf(storage::CF_HEADS), storage::checkpoint_key(ChainId::License))
            .map_err(StorageError::from)?
            .ok_or(ViewError::NoCheckpoint)?;
        let head = checkpoint::verify(&note, &ledger.origin(ChainId::License), &ledger.node_key())
            .map_err(ViewError::Checkpoint)?;
        Ok(LicenseView { store, snapshot, head, note })
    }

    /// The canonical bytes of license-chain entry `index` (< the
    /// checkpoint's size; entries never change once written).
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, StorageError> {
        self.store.entry(ChainId::License, index)?.ok_or_else(|| StorageError::Corrupt {
            what: format!("license entry {index}"),
            reason: "missing below the checkpoint's size".into(),
        })
    }

    /// Proof that entry `index` is in the checkpoint's tree. Proved from the
    /// stored hashes directly: they are written in the checkpoint's batch,
    /// while the ledger's published head may lag it for a moment.
    pub fn prove(&self, index: u64) -> Result<InclusionProof, StorageError> {
        let size = self.head.size;
        if index >= size {
            return Err(StorageError::Corrupt {
                what: format!("license entry {index}"),
                reason: format!("beyond the checkpoint's size {size}"),
            });
        }
        let reader = StoredHashes { store: self.store, chain: ChainId::License };
        let hashes = tlog_tiles::prove_record(size, index, &reader)
            .map_err(|e| StorageError::Db(format!("inclusion proof: {e}")))?;
        Ok(InclusionProof { index, size, hashes: hashes.into_iter().map(Into::into).collect() })
    }
}

impl StateRead for LicenseView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.snapshot.get_cf(self.store.cf(storage::CF_STATE), key).map_err(|e| StateError::Storage(e.to_string()))
    }
}
