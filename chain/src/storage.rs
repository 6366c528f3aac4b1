//! The chain's column families in the node's RocksDB, their key layout, and
//! read access to what the sequencer wrote.
//!
//! | column family   | key                         | value                              |
//! |-----------------|-----------------------------|------------------------------------|
//! | `chain.entries` | chain tag, index (u64 BE)   | canonical entry bytes              |
//! | `chain.hashes`  | chain tag, stored-hash index| 32-byte Merkle node hash (tlog)    |
//! | `chain.blocks`  | chain tag, height (u64 BE)  | canonical signed block header      |
//! | `chain.heads`   | chain tag [+ `checkpoint`]  | head record / latest signed note   |
//! | `chain.state`   | text (`agency/…`, …)        | JSON state records                 |
//!
//! Big-endian indexes keep each chain's rows in order, so a replay is one
//! forward scan.

use crate::hash::{BlockHash, RootHash};
use crate::state::{StateError, StateRead};
use crate::upper_hashes::UpperLevels;
use crate::ChainId;
use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, Options, DB};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, RwLock};

pub const CF_ENTRIES: &str = "chain.entries";
pub const CF_HASHES: &str = "chain.hashes";
pub const CF_BLOCKS: &str = "chain.blocks";
pub const CF_HEADS: &str = "chain.heads";
pub const CF_STATE: &str = "chain.state";

/// Every column family the chain crate owns.
pub const COLUMN_FAMILIES: [&str; 5] = [CF_ENTRIES, CF_HASHES, CF_BLOCKS, CF_HEADS, CF_STATE];

/// A storage failure, with RocksDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Db(String),
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
}

impl From<rocksdb::Error> for StorageError {
    fn from(e: rocksdb::Error) -> Self {
        StorageError::Db(e.to_string())
    }
}

impl From<StateError> for StorageError {
    fn from(e: StateError) -> Self {
        StorageError::Db(e.to_string())
    }
}

/// A chain's head: everything the sequencer needs to continue after a
/// restart, rewritten in every commit's batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub size: u64,
    /// Number of blocks written so far (the next block's height).
    pub blocks: u64,
    pub root: RootHash,
    pub last_block: BlockHash,
}

impl Head {
    /// The head of a chain with nothing in it.
    pub fn empty() -> Self {
        Head { size: 0, blocks: 0, root: RootHash::EMPTY, last_block: BlockHash::ZERO }
    }
}

/// Options for the node's database, shared by every part that opens it.
pub fn db_options() -> Options {
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    // A bounded number of open files and a small cache keep a long-running
    // node's memory flat however long its chains grow.
    opts.set_max_open_files(512);
    opts.set_keep_log_file_num(4);
    opts.increase_parallelism(2);
    opts.set_db_write_buffer_size(WRITE_BUFFERS_BYTES);
    // RocksDB keeps every WAL file that any column family still needs; with
    // small, rarely written families beside busy ones, the WAL would grow to
    // hundreds of megabytes. Past this size the stale families are flushed.
    opts.set_max_total_wal_size(MAX_WAL_BYTES);
    opts
}

/// Opens (creating if needed) a database with the given column families.
pub fn open_db(path: &Path, column_families: &[&str]) -> Result<Arc<DB>, StorageError> {
    let opts = db_options();
    Ok(Arc::new(DB::open_cf_descriptors(&opts, path, descriptors(column_families))?))
}

/// One block cache for every column family, so that memory is bounded by
/// the node, not multiplied by the number of families.
fn descriptors(column_families: &[&str]) -> Vec<ColumnFamilyDescriptor> {
    let cache = rocksdb::Cache::new_lru_cache(BLOCK_CACHE_BYTES);
    column_families.iter().map(|name| ColumnFamilyDescriptor::new(*name, cf_options(name, &cache))).collect()
}

/// Block cache shared by all column families.
const BLOCK_CACHE_BYTES: usize = 32 << 20;
/// WAL size beyond which the column families holding old WAL files flush.
const MAX_WAL_BYTES: u64 = 64 << 20;
/// Memtable budget for the whole database; RocksDB flushes the largest
/// memtable when the sum reaches it.
const WRITE_BUFFERS_BYTES: usize = 64 << 20;

/// Opens an existing database read-only (for audits, possibly beside a
/// running node). Nothing is written, not even recovery.
pub fn open_db_read_only(path: &Path, column_families: &[&str]) -> Result<Arc<DB>, StorageError> {
    let mut opts = db_options();
    opts.create_if_missing(false);
    Ok(Arc::new(DB::open_cf_descriptors_read_only(&opts, path, descriptors(column_families), false)?))
}

fn cf_options(name: &str, cache: &rocksdb::Cache) -> Options {
    let mut opts = Options::default();
    opts.set_write_buffer_size(16 << 20);
    let mut table = rocksdb::BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_bloom_filter(10.0, false);
    if [CF_ENTRIES, CF_HASHES, CF_BLOCKS].contains(&name) {
        // Every read of a chain's rows asks for a row the head says exists,
        // so the filters of the last level (nine tenths of the data) would
        // never spare a read. Without them, the indexes and filters held in
        // memory grow at about half the rate with the chain.
        opts.set_optimize_filters_for_hits(true);
    }
    if name == CF_ENTRIES {
        // Entries are read one by one or scanned in order; larger blocks
        // mean a smaller index, which stays in memory for every table file.
        table.set_block_size(16 << 10);
    }
    opts.set_block_based_table_factory(&table);
    opts
}

/// Key of row `n` of `chain` in the entries, hashes or blocks family.
pub(crate) fn row_key(chain: ChainId, n: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = chain.tag();
    key[1..].copy_from_slice(&n.to_be_bytes());
    key
}

pub(crate) fn head_key(chain: ChainId) -> Vec<u8> {
    vec![chain.tag()]
}

pub(crate) fn checkpoint_key(chain: ChainId) -> Vec<u8> {
    let mut key = vec![chain.tag()];
    key.extend_from_slice(b"checkpoint");
    key
}

/// Read access to the chain's column families.
#[derive(Clone)]
pub struct ChainStore {
    db: Arc<DB>,
    upper_hashes: Arc<UpperHashes>,
}

/// Most memory the copy of one chain's upper Merkle levels may use.
pub const UPPER_LEVELS_BUDGET_BYTES: u64 = crate::upper_hashes::BUDGET_BYTES;

/// The upper Merkle levels of each chain, in memory (see
/// [`crate::upper_hashes`]).
#[derive(Default)]
struct UpperHashes {
    by_chain: [RwLock<UpperLevels>; 2],
}

impl UpperHashes {
    fn of(&self, chain: ChainId) -> &RwLock<UpperLevels> {
        &self.by_chain[usize::from(chain == ChainId::Service)]
    }
}

impl ChainStore {
    /// Wraps a database opened with (at least) [`COLUMN_FAMILIES`].
    pub fn new(db: Arc<DB>) -> Result<Self, StorageError> {
        for name in COLUMN_FAMILIES {
            if db.cf_handle(name).is_none() {
                return Err(StorageError::Db(format!("column family {name} is missing")));
            }
        }
        Ok(ChainStore { db, upper_hashes: Arc::default() })
    }

    /// The database itself, for writers that join the chain's batches.
    pub fn db(&self) -> &Arc<DB> {
        &self.db
    }

    pub(crate) fn cf(&self, name: &str) -> &ColumnFamily {
        self.db.cf_handle(name).expect("checked in ChainStore::new")
    }

    /// The chain's head as last committed.
    pub fn head(&self, chain: ChainId) -> Result<Head, StorageError> {
        match self.db.get_cf(&self.cf(CF_HEADS), head_key(chain))? {
            None => Ok(Head::empty()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StorageError::Corrupt { what: format!("{chain} head"), reason: e.to_string() }),
        }
    }

    /// The latest signed checkpoint note, if the chain has one.
    pub fn checkpoint(&self, chain: ChainId) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.db.get_cf(&self.cf(CF_HEADS), checkpoint_key(chain))?)
    }

    /// The canonical bytes of entry `index`.
    pub fn entry(&self, chain: ChainId, index: u64) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.db.get_cf(&self.cf(CF_ENTRIES), row_key(chain, index))?)
    }

    /// The signed block header at `height`.
    pub fn block(&self, chain: ChainId, height: u64) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.db.get_cf(&self.cf(CF_BLOCKS), row_key(chain, height))?)
    }

    /// Reads stored Merkle hashes by tlog stored-hash index.
    pub fn hashes(&self, chain: ChainId, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, StorageError> {
        let mut out = vec![tlog_tiles::Hash::default(); indexes.len()];
        let positions: Vec<(u8, u64)> = indexes.iter().map(|i| tlog_tiles::split_stored_hash_index(*i)).collect();
        let mut missing = Vec::new();
        {
            let upper =
                self.upper_hashes.of(chain).read().map_err(|_| StorageError::Db("hash cache poisoned".into()))?;
            for (slot, (level, n)) in positions.iter().enumerate() {
                match upper.get(*level, *n) {
                    Some(hash) => out[slot] = tlog_tiles::Hash(hash),
                    None => missing.push(slot),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        // Sorted keys let RocksDB's batched lookup search each table once
        // for all of them, and pinned values spare a copy per hash.
        missing.sort_unstable_by_key(|slot| indexes[*slot]);
        let keys: Vec<[u8; 9]> = missing.iter().map(|slot| row_key(chain, indexes[*slot])).collect();
        let values = self.db.batched_multi_get_cf(&self.cf(CF_HASHES), &keys, true);
        for (value, slot) in values.into_iter().zip(&missing) {
            let index = indexes[*slot];
            let bytes = value?.ok_or_else(|| StorageError::Corrupt {
                what: format!("{chain} hash {index}"),
                reason: "missing".into(),
            })?;
            let array: [u8; 32] = bytes.as_ref().try_into().map_err(|_| StorageError::Corrupt {
                what: format!("{chain} hash {index}"),
                reason: format!("{} bytes", bytes.len()),
            })?;
            out[*slot] = tlog_tiles::Hash(array);
        }
        // The tree these hashes were read for has at least this many
        // entries; it decides which levels the in-memory copy keeps.
        let size = positions.iter().map(|(level, n)| (n + 1).checked_shl(u32::from(*level)).unwrap_or(u64::MAX)).max();
        let size = size.unwrap_or(0);
        // Most proofs read only hashes below the kept levels; those take no
        // write lock, so concurrent proofs do not wait on each other.
        let lowest = UpperLevels::lowest_level_for(size);
        missing.retain(|slot| positions[*slot].0 >= lowest);
        if !missing.is_empty() {
            if let Ok(mut upper) = self.upper_hashes.of(chain).write() {
                for slot in &missing {
                    let (level, n) = positions[*slot];
                    upper.keep(size, level, n, out[*slot].0);
                }
            }
        }
        Ok(out)
    }

    /// Every row of one chain in `cf` (entries, hashes or blocks), in order,
    /// as (row number, value). A row whose key is not of this layout is
    /// reported, not skipped.
    pub fn rows(&self, cf: &str, chain: ChainId) -> impl Iterator<Item = Result<(u64, Vec<u8>), StorageError>> + '_ {
        let cf_handle = self.cf(cf);
        let prefix = [chain.tag()];
        let what = cf.to_owned();
        self.db
            .iterator_cf(&cf_handle, rocksdb::IteratorMode::From(&prefix, rocksdb::Direction::Forward))
            .take_while(move |item| match item {
                Ok((key, _)) => key.first() == Some(&chain.tag()),
                Err(_) => true,
            })
            .map(move |item| {
                let (key, value) = item?;
                let n: [u8; 8] = key.get(1..).and_then(|k| k.try_into().ok()).ok_or_else(|| StorageError::Corrupt {
                    what: format!("{what} key"),
                    reason: format!("{} bytes", key.len()),
                })?;
                Ok((u64::from_be_bytes(n), value.into_vec()))
            })
    }

    /// Every committed state record, in key order.
    pub fn state_rows(&self) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StorageError>> + '_ {
        self.db
            .iterator_cf(&self.cf(CF_STATE), rocksdb::IteratorMode::Start)
            .map(|item| item.map(|(k, v)| (k.into_vec(), v.into_vec())).map_err(StorageError::from))
    }

    /// The committed state records whose keys start with `prefix`, in key
    /// order (all agencies: `agency/`).
    pub fn state_with_prefix<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StorageError>> + 'a {
        self.db
            .iterator_cf(&self.cf(CF_STATE), rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward))
            .take_while(move |item| match item {
                Ok((key, _)) => key.starts_with(prefix),
                Err(_) => true,
            })
            .map(|item| item.map(|(k, v)| (k.into_vec(), v.into_vec())).map_err(StorageError::from))
    }

    /// What this store holds in memory beyond the block cache: RocksDB's
    /// memtables and table readers (indexes and filters), and the copy of
    /// the upper Merkle levels. For the benchmark's account of memory.
    pub fn memory(&self) -> Result<StoreMemory, StorageError> {
        let stats = rocksdb::perf::get_memory_usage_stats(Some(&[&self.db]), None)?;
        let upper_levels =
            self.upper_hashes.by_chain.iter().filter_map(|c| c.read().ok()).map(|c| c.bytes() as u64).sum();
        Ok(StoreMemory { memtables: stats.mem_table_total, table_readers: stats.mem_table_readers_total, upper_levels })
    }

    /// A reader of committed state.
    pub fn state(&self) -> DbState<'_> {
        DbState { store: self }
    }
}

/// Bytes a [`ChainStore`] holds in memory, by part.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreMemory {
    pub memtables: u64,
    pub table_readers: u64,
    pub upper_levels: u64,
}

/// Committed state, read straight from RocksDB. Writes go to the
/// sequencer's batch, never through here.
pub struct DbState<'a> {
    store: &'a ChainStore,
}

impl StateRead for DbState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.store.db.get_cf(&self.store.cf(CF_STATE), key).map_err(|e| StateError::Storage(e.to_string()))
    }
}

/// A hash reader over the stored hashes of one chain, for proofs and tiles.
pub struct StoredHashes<'a> {
    pub(crate) store: &'a ChainStore,
    pub(crate) chain: ChainId,
}

impl tlog_tiles::HashReader for StoredHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        self.store.hashes(self.chain, indexes).map_err(|e| tlog_tiles::Error::InvalidInput(e.to_string()))
    }
}
