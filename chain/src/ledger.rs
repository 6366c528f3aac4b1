//! The ledger: both chains behind one group-committing sequencer.
//!
//! `append` runs the expensive, independent work (canonical bytes, leaf
//! hash, strict signature check) on the caller's thread, then queues the
//! entry. One sequencer thread takes everything queued, applies the state
//! rules in order (refusing entries one by one, with reasons), extends each
//! chain's Merkle frontier, signs a block header and a checkpoint per chain
//! touched, and writes entries, hashes, state, blocks, heads and checkpoints
//! in one synced RocksDB write batch. Only then are the callers answered:
//! an acknowledged append survives any crash.
//!
//! One sequencer for both chains keeps cross-chain state changes in one
//! order and one atomic write.

use crate::block::BlockHeader;
use crate::checkpoint::{self, TreeHead};
use crate::entry::{EntryError, SignedEntry, VerifiedEntry};
use crate::frontier::{frontier_indexes, Frontier};
use crate::hash::{EntryHash, RootHash};
use crate::keys::{public_key, PublicKey};
use crate::payload::{Genesis, Payload};
use crate::proof::{ConsistencyProof, InclusionProof, ProofError};
use crate::state::{self, ApplyError, Overlay, Refusal};
use crate::storage::{self, ChainStore, Head, StorageError, StoredHashes};
use crate::time::Timestamp;
use crate::{ChainId, Entry};
use ed25519_dalek::SigningKey;
use rocksdb::{WriteBatch, WriteOptions};
use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

/// Most entries one commit takes. Bounds the write batch and the latency
/// of the first caller in it.
const MAX_BATCH: usize = 8192;
/// Appends that may wait for the sequencer before callers block.
const QUEUE_DEPTH: usize = 65_536;

/// Where an accepted entry now stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub chain: ChainId,
    pub index: u64,
    pub leaf: EntryHash,
    /// The tree the entry was committed in: its size and root.
    pub size: u64,
    pub root: RootHash,
    pub block: u64,
}

/// Why an append did not happen. Nothing was written in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the ledger is shut down")]
    Stopped,
}

impl From<ApplyError> for AppendError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Refused(r) => AppendError::Refused(r),
            ApplyError::State(s) => AppendError::Storage(s.into()),
        }
    }
}

/// Why a read or proof request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{chain} chain has {size} entries; index {index} does not exist")]
    NoSuchEntry { chain: ChainId, index: u64, size: u64 },
    #[error("tree size {requested} is larger than the {chain} chain ({size})")]
    SizeBeyondHead { chain: ChainId, requested: u64, size: u64 },
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why the ledger could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the node key does not match the node key in genesis")]
    WrongNodeKey,
    #[error("node name {0:?} must be non-empty, without spaces or '+'")]
    BadNodeName(String),
}

struct Request {
    entry: VerifiedEntry,
    reply: SyncSender<Result<Appended, AppendError>>,
}

/// Both chains of one node.
pub struct Ledger {
    store: ChainStore,
    /// Committed heads, updated by the sequencer after each synced write, so
    /// that reads and proofs need no database lookup to know the size.
    heads: Arc<RwLock<BTreeMap<ChainId, Head>>>,
    /// The latest signed checkpoint of each chain, published by the
    /// sequencer right after the heads. Served from here rather than from
    /// the database: the database holds a commit's checkpoint as soon as
    /// its batch is written, before the heads are published, and a client
    /// that read it there and asked at once for a proof or a tile at its
    /// size was refused with "size beyond head" (found by `safebox soak`).
    checkpoints: Arc<RwLock<BTreeMap<ChainId, Vec<u8>>>>,
    node_name: String,
    node_key: PublicKey,
    queue: Mutex<Option<SyncSender<Request>>>,
    sequencer: Mutex<Option<JoinHandle<()>>>,
}

impl Ledger {
    /// Opens the ledger on a database that has the chain's column families,
    /// and starts its sequencer.
    pub fn open(store: ChainStore, node_name: &str, node_key: SigningKey) -> Result<Arc<Self>, OpenError> {
        if !signed_note::is_key_name_valid(node_name) {
            return Err(OpenError::BadNodeName(node_name.to_owned()));
        }
        let public = public_key(&node_key);
        if let Some(g) = state::genesis(&store.state()).map_err(StorageError::from)? {
            if g.node_key != public {
                return Err(OpenError::WrongNodeKey);
            }
        }
        let mut chains = BTreeMap::new();
        for chain in ChainId::ALL {
            let head = store.head(chain)?;
            let hashes = store.hashes(chain, &frontier_indexes(head.size))?;
            chains.insert(chain, (head.clone(), Frontier::from_stored(head.size, hashes)));
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE_DEPTH);
        let heads = Arc::new(RwLock::new(chains.iter().map(|(c, (h, _))| (*c, h.clone())).collect()));
        let mut notes = BTreeMap::new();
        for chain in ChainId::ALL {
            if let Some(note) = store.checkpoint(chain)? {
                notes.insert(chain, note);
            }
        }
        let checkpoints = Arc::new(RwLock::new(notes));
        let sequencer = Sequencer {
            store: store.clone(),
            node_name: node_name.to_owned(),
            node_key,
            chains,
            heads: Arc::clone(&heads),
            checkpoints: Arc::clone(&checkpoints),
            hot: HotState::default(),
        };
        let handle = std::thread::Builder::new()
            .name("safebox-sequencer".into())
            .spawn(move || sequencer.run(rx))
            .map_err(|e| StorageError::Db(format!("cannot start the sequencer: {e}")))?;
        Ok(Arc::new(Ledger {
            store,
            heads,
            checkpoints,
            node_name: node_name.to_owned(),
            node_key: public,
            queue: Mutex::new(Some(tx)),
            sequencer: Mutex::new(Some(handle)),
        }))
    }

    /// Writes genesis on each chain that has none yet, signed by the root
    /// authority.
    pub fn write_genesis(&self, root_key: &SigningKey) -> Result<(), AppendError> {
        let genesis =
            Genesis { node_name: self.node_name.clone(), root_key: public_key(root_key), node_key: self.node_key };
        for chain in ChainId::ALL {
            if self.store.head(chain)?.size == 0 {
                let entry = Entry::new(chain, &genesis.root_key, Payload::Genesis(genesis.clone()));
                self.append(entry.sign(root_key))?;
            }
        }
        Ok(())
    }

    /// Verifies and appends one entry, returning once it is durable.
    pub fn append(&self, entry: SignedEntry) -> Result<Appended, AppendError> {
        let key = state::author_key(&self.store.state(), &entry)?;
        let verified = VerifiedEntry::new(entry, &key)?;
        self.append_verified(verified)
    }

    /// Appends an entry already verified against its author's key. The state
    /// rules are still checked by the sequencer.
    pub fn append_verified(&self, entry: VerifiedEntry) -> Result<Appended, AppendError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let queue = self.queue.lock().map_err(|_| AppendError::Stopped)?.clone();
        queue.ok_or(AppendError::Stopped)?.send(Request { entry, reply }).map_err(|_| AppendError::Stopped)?;
        answer.recv().map_err(|_| AppendError::Stopped)?
    }

    /// Read access to the stored chains.
    pub fn store(&self) -> &ChainStore {
        &self.store
    }

    /// The node's name (the checkpoint origins' prefix).
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The node's public key.
    pub fn node_key(&self) -> PublicKey {
        self.node_key
    }

    /// The checkpoint origin of `chain`.
    pub fn origin(&self, chain: ChainId) -> String {
        checkpoint::origin(&self.node_name, chain)
    }

    /// The committed head of `chain`.
    pub fn head(&self, chain: ChainId) -> Result<Head, StorageError> {
        let heads = self.heads.read().map_err(|_| StorageError::Db("head cache poisoned".into()))?;
        Ok(heads.get(&chain).cloned().unwrap_or_else(Head::empty))
    }

    /// The latest signed checkpoint of `chain` (a C2SP signed note) whose
    /// tree the published head includes, so that entries, proofs and tiles
    /// at its size can be read at once.
    pub fn checkpoint(&self, chain: ChainId) -> Result<Option<Vec<u8>>, StorageError> {
        let notes = self.checkpoints.read().map_err(|_| StorageError::Db("checkpoint cache poisoned".into()))?;
        Ok(notes.get(&chain).cloned())
    }

    /// Entry `index`'s canonical bytes.
    pub fn entry(&self, chain: ChainId, index: u64) -> Result<Vec<u8>, ReadError> {
        let size = self.head(chain)?.size;
        if index >= size {
            return Err(ReadError::NoSuchEntry { chain, index, size });
        }
        self.store.entry(chain, index)?.ok_or_else(|| {
            StorageError::Corrupt { what: format!("{chain} entry {index}"), reason: "missing".into() }.into()
        })
    }

    fn check_size(&self, chain: ChainId, size: u64) -> Result<(), ReadError> {
        let head = self.head(chain)?.size;
        if size > head {
            return Err(ReadError::SizeBeyondHead { chain, requested: size, size: head });
        }
        Ok(())
    }

    /// Proof that entry `index` is in the tree of `size` entries.
    pub fn inclusion_proof(&self, chain: ChainId, index: u64, size: u64) -> Result<InclusionProof, ReadError> {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size }.into());
        }
        self.check_size(chain, size)?;
        let reader = StoredHashes { store: &self.store, chain };
        let hashes = tlog_tiles::prove_record(size, index, &reader)
            .map_err(|e| StorageError::Db(format!("inclusion proof: {e}")))?;
        Ok(InclusionProof { index, size, hashes: hashes.into_iter().map(Into::into).collect() })
    }

    /// Proof that the tree of `from` entries is a prefix of the tree of `to`.
    pub fn consistency_proof(&self, chain: ChainId, from: u64, to: u64) -> Result<ConsistencyProof, ReadError> {
        if from == 0 || from > to {
            return Err(ProofError::BadRange { from, to }.into());
        }
        self.check_size(chain, to)?;
        let reader = StoredHashes { store: &self.store, chain };
        let hashes = tlog_tiles::prove_tree(to, from, &reader)
            .map_err(|e| StorageError::Db(format!("consistency proof: {e}")))?;
        Ok(ConsistencyProof { from, to, hashes: hashes.into_iter().map(Into::into).collect() })
    }

    /// Root of the tree of `size` entries (any size up to the head).
    pub fn root_at(&self, chain: ChainId, size: u64) -> Result<RootHash, ReadError> {
        self.check_size(chain, size)?;
        let reader = StoredHashes { store: &self.store, chain };
        Ok(tlog_tiles::tree_hash(size, &reader).map_err(|e| StorageError::Db(format!("tree hash: {e}")))?.into())
    }

    /// Stops the sequencer after it has answered everything queued.
    pub fn shutdown(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.take();
        }
        if let Some(handle) = self.sequencer.lock().ok().and_then(|mut h| h.take()) {
            let _ = handle.join();
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Sequencer {
    store: ChainStore,
    heads: Arc<RwLock<BTreeMap<ChainId, Head>>>,
    checkpoints: Arc<RwLock<BTreeMap<ChainId, Vec<u8>>>>,
    node_name: String,
    node_key: SigningKey,
    chains: BTreeMap<ChainId, (Head, Frontier)>,
    hot: HotState,
}

/// Committed state records that nearly every entry reads (keys, agencies,
/// chain markers), kept by the sequencer. It is the only writer of state,
/// so the copy stays exact: it is filled on read and updated after each
/// successful write. Bounded: cleared when full.
#[derive(Default)]
struct HotState(std::cell::RefCell<std::collections::HashMap<Vec<u8>, Option<Vec<u8>>>>);

const HOT_PREFIXES: [&[u8]; 4] = [b"key/", b"agency/", b"started/", b"size/"];
const HOT_CAPACITY: usize = 65_536;

fn is_hot(key: &[u8]) -> bool {
    HOT_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Committed state read through the hot copy.
struct CachedState<'a> {
    hot: &'a HotState,
    db: storage::DbState<'a>,
}

impl state::StateRead for CachedState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, state::StateError> {
        if !is_hot(key) {
            return self.db.get(key);
        }
        if let Some(value) = self.hot.0.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self.db.get(key)?;
        let mut hot = self.hot.0.borrow_mut();
        if hot.len() >= HOT_CAPACITY {
            hot.clear();
        }
        hot.insert(key.to_vec(), value.clone());
        Ok(value)
    }
}

/// What one commit adds to one chain.
struct ChainBatch {
    first_index: u64,
    frontier: Frontier,
    hashes: Vec<(u64, tlog_tiles::Hash)>,
    entries: Vec<(u64, Request)>,
}

impl Sequencer {
    fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let started = std::time::Instant::now();
        let taken = batch.len();
        let committed = CachedState { hot: &self.hot, db: self.store.state() };
        let mut state = Overlay::new(&committed);
        let mut chains: BTreeMap<ChainId, ChainBatch> = BTreeMap::new();

        for request in batch {
            let chain = request.entry.entry.entry.chain;
            let (head, frontier) = &self.chains[&chain];
            let cb = chains.entry(chain).or_insert_with(|| ChainBatch {
                first_index: head.size,
                frontier: frontier.clone(),
                hashes: Vec::new(),
                entries: Vec::new(),
            });
            let index = cb.frontier.size();
            let mut scratch = Overlay::new(&state);
            match state::apply(&mut scratch, index, &request.entry.entry) {
                Ok(()) => {
                    let writes = scratch.into_writes();
                    state.extend(writes);
                    let (first, hashes) = cb.frontier.push(request.entry.leaf);
                    cb.hashes.extend(hashes.into_iter().enumerate().map(|(k, h)| (first + k as u64, h)));
                    cb.entries.push((index, request));
                }
                Err(e) => {
                    let _ = request.reply.send(Err(e.into()));
                }
            }
        }
        chains.retain(|_, cb| !cb.entries.is_empty());
        if chains.is_empty() {
            return;
        }

        let mut wb = WriteBatch::default();
        let mut new_heads = Vec::new();
        let mut new_notes = Vec::new();
        let mut failure = None;
        for (chain, cb) in &chains {
            match self.stage_chain(&mut wb, *chain, cb) {
                Ok((head, note)) => {
                    new_heads.push((*chain, head));
                    new_notes.push((*chain, note));
                }
                Err(e) => failure = Some(e),
            }
        }
        let state_cf = self.store.cf(storage::CF_STATE);
        let mut hot_writes = Vec::new();
        for (key, value) in state.into_writes() {
            wb.put_cf(&state_cf, &key, &value);
            if is_hot(&key) {
                hot_writes.push((key, value));
            }
        }

        let staged = started.elapsed();
        let result = match failure {
            Some(e) => Err(e),
            None => {
                let mut opts = WriteOptions::default();
                opts.set_sync(true);
                self.store.db().write_opt(wb, &opts).map_err(StorageError::from)
            }
        };
        tracing::trace!(taken, ?staged, written = ?started.elapsed(), "commit");

        match result {
            Ok(()) => {
                {
                    let mut hot = self.hot.0.borrow_mut();
                    for (key, value) in hot_writes {
                        hot.insert(key, Some(value));
                    }
                }
                // Publish the new heads before answering anyone, so that a
                // caller who was answered always reads a head that includes
                // its entry.
                if let Ok(mut heads) = self.heads.write() {
                    heads.extend(new_heads.iter().cloned());
                }
                // Then the checkpoints: a note read from the ledger never
                // states a size beyond the published head.
                if let Ok(mut notes) = self.checkpoints.write() {
                    notes.extend(new_notes);
                }
                for ((chain, head), (_, cb)) in new_heads.into_iter().zip(chains) {
                    for (index, request) in cb.entries {
                        let _ = request.reply.send(Ok(Appended {
                            chain,
                            index,
                            leaf: request.entry.leaf,
                            size: head.size,
                            root: head.root,
                            block: head.blocks - 1,
                        }));
                    }
                    self.chains.insert(chain, (head, cb.frontier));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; nothing of this batch was acknowledged");
                for (_, cb) in chains {
                    for (_, request) in cb.entries {
                        let _ = request.reply.send(Err(AppendError::Storage(e.clone())));
                    }
                }
            }
        }
    }

    /// Puts one chain's part of a commit into the batch; returns its new
    /// head and signed checkpoint.
    fn stage_chain(
        &self,
        wb: &mut WriteBatch,
        chain: ChainId,
        cb: &ChainBatch,
    ) -> Result<(Head, Vec<u8>), StorageError> {
        let (head, _) = &self.chains[&chain];
        let entries_cf = self.store.cf(storage::CF_ENTRIES);
        for (index, request) in &cb.entries {
            wb.put_cf(&entries_cf, storage::row_key(chain, *index), &request.entry.bytes);
        }
        let hashes_cf = self.store.cf(storage::CF_HASHES);
        for (index, hash) in &cb.hashes {
            wb.put_cf(&hashes_cf, storage::row_key(chain, *index), hash.0);
        }
        let size = cb.frontier.size();
        let root = cb.frontier.root();
        let block = BlockHeader {
            chain,
            height: head.blocks,
            first_index: cb.first_index,
            size,
            root,
            time: Timestamp::now(),
            previous: head.last_block,
        }
        .sign(&self.node_key);
        let new_head = Head { size, blocks: head.blocks + 1, root, last_block: block.hash() };
        wb.put_cf(&self.store.cf(storage::CF_BLOCKS), storage::row_key(chain, head.blocks), block.canonical_bytes());
        let heads_cf = self.store.cf(storage::CF_HEADS);
        wb.put_cf(&heads_cf, storage::head_key(chain), serde_json::to_vec(&new_head).expect("heads serialise"));
        let tree = TreeHead { origin: checkpoint::origin(&self.node_name, chain), size, root };
        let signed = checkpoint::sign(&tree, &self.node_key)
            .map_err(|e| StorageError::Db(format!("cannot sign checkpoint: {e}")))?;
        wb.put_cf(&heads_cf, storage::checkpoint_key(chain), &signed.note);
        Ok((new_head, signed.note))
    }
}
