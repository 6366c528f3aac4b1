//! Replay: an auditor's check of both chains from genesis, using the stored
//! entries alone as the source of truth.
//!
//! For each chain, in index order: every entry must be present, canonical,
//! signed by a key the state allowed at that point, and a legal transition;
//! every Merkle hash the node stored must equal the one recomputed; every
//! block header must be signed by the node key, link to the previous one and
//! state the recomputed root at its size; the head and the signed checkpoint
//! must state the final size and root. Then the state the node stored must
//! equal the state rebuilt, byte for byte. The first discrepancy is returned
//! with its chain, index and reason.
//!
//! The license chain is replayed before the service chain: service entries
//! rely on agency keys, which only the license chain changes.

use crate::block::SignedBlock;
use crate::checkpoint;
use crate::entry::SignedEntry;
use crate::frontier::Frontier;
use crate::hash::RootHash;
use crate::keys::PublicKey;
use crate::state::{self, MemoryState};
use crate::storage::{ChainStore, StorageError, CF_BLOCKS, CF_ENTRIES, CF_HASHES};
use crate::ChainId;
use serde::Serialize;
use std::fmt;

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    pub chain: Option<ChainId>,
    /// The entry index it concerns, where one does.
    pub index: Option<u64>,
    pub reason: String,
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.chain, self.index) {
            (Some(c), Some(i)) => write!(f, "{c} chain, index {i}: {}", self.reason),
            (Some(c), None) => write!(f, "{c} chain: {}", self.reason),
            _ => write!(f, "{}", self.reason),
        }
    }
}

/// What an intact replay covered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    pub chains: Vec<ChainSummary>,
    pub state_records: usize,
}

/// One chain's replayed size, root and blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    pub chain: ChainId,
    pub size: u64,
    pub root: RootHash,
    pub blocks: u64,
}

fn at(chain: ChainId, index: u64, reason: impl Into<String>) -> Discrepancy {
    Discrepancy { chain: Some(chain), index: Some(index), reason: reason.into() }
}

fn on(chain: ChainId, reason: impl Into<String>) -> Discrepancy {
    Discrepancy { chain: Some(chain), index: None, reason: reason.into() }
}

fn storage(chain: Option<ChainId>, e: StorageError) -> Discrepancy {
    Discrepancy { chain, index: None, reason: e.to_string() }
}

/// Replays both chains. `progress` is called with each chain and the number
/// of its entries replayed so far (every 4096 entries and at the end).
pub fn replay(store: &ChainStore, progress: &mut dyn FnMut(ChainId, u64)) -> Result<ReplayReport, Discrepancy> {
    let mut state = MemoryState::default();
    let mut chains = Vec::new();
    for chain in ChainId::ALL {
        chains.push(replay_chain(store, chain, &mut state, progress)?);
    }
    let mut stored = 0usize;
    let mut rebuilt = state.0.iter();
    for row in store.state_rows() {
        let (key, value) = row.map_err(|e| storage(None, e))?;
        stored += 1;
        let name = String::from_utf8_lossy(&key).into_owned();
        match rebuilt.next() {
            Some((k, v)) if *k == key && *v == value => {}
            Some((k, _)) if *k == key => {
                return Err(Discrepancy {
                    chain: None,
                    index: None,
                    reason: format!("stored state {name} differs from the state the entries imply"),
                });
            }
            _ => {
                return Err(Discrepancy {
                    chain: None,
                    index: None,
                    reason: format!("stored state {name} is not what the entries imply (missing or extra record)"),
                });
            }
        }
    }
    if let Some((k, _)) = rebuilt.next() {
        return Err(Discrepancy {
            chain: None,
            index: None,
            reason: format!("state record {} implied by the entries is missing", String::from_utf8_lossy(k)),
        });
    }
    Ok(ReplayReport { chains, state_records: stored })
}

/// Entries replayed per round: parsed and verified in parallel, applied in
/// order.
const CHUNK: usize = 1024;

/// One entry parsed in the parallel phase: everything that does not depend
/// on state.
struct Parsed {
    index: u64,
    bytes: Vec<u8>,
    entry: SignedEntry,
    signing_bytes: Vec<u8>,
}

/// Runs `f` over `items` on every core, keeping order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let per = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> =
            items.chunks(per).map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("replay worker does not panic")).collect()
    })
}

/// Signature checks are the bulk of a replay and need no state beyond the
/// author's key, so each chunk is parsed on every core, then applied in
/// order on one, then its signatures are verified on every core. The first
/// discrepancy in index order is reported, whichever phase found it.
fn replay_chain(
    store: &ChainStore,
    chain: ChainId,
    state: &mut MemoryState,
    progress: &mut dyn FnMut(ChainId, u64),
) -> Result<ChainSummary, Discrepancy> {
    let mut walk = ChainWalk::new(store, chain, state);
    let mut rows = store.rows(CF_ENTRIES, chain);
    let mut expected = 0u64;
    loop {
        let mut raw = Vec::with_capacity(CHUNK);
        let mut gap = None;
        for row in rows.by_ref() {
            let (index, bytes) = row.map_err(|e| storage(Some(chain), e))?;
            if index != expected {
                gap = Some(at(chain, expected, "entry is missing (the next stored entry is at a later index)"));
                break;
            }
            raw.push((index, bytes));
            expected += 1;
            if raw.len() == CHUNK {
                break;
            }
        }
        if raw.is_empty() {
            if let Some(gap) = gap {
                return Err(gap);
            }
            break;
        }
        let parsed = parallel_map(&raw, |(index, bytes)| {
            let (entry, signing_bytes) =
                SignedEntry::from_canonical_bytes_with_signing(bytes).map_err(|e| at(chain, *index, e.to_string()))?;
            Ok(Parsed { index: *index, bytes: bytes.clone(), entry, signing_bytes })
        });
        drop(raw);
        // Apply in order until the first discrepancy.
        let mut to_verify = Vec::with_capacity(parsed.len());
        let mut first_error = None;
        for item in parsed {
            match item.and_then(|p| walk.step(state, &p).map(|key| (p, key))) {
                Ok(pair) => to_verify.push(pair),
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            }
        }
        let bad_signature = parallel_map(&to_verify, |(p, key)| {
            let ok = key.id() == p.entry.entry.author && key.verify(&p.signing_bytes, &p.entry.signature).is_ok();
            (!ok).then_some(p.index)
        })
        .into_iter()
        .flatten()
        .next();
        if let Some(index) = bad_signature {
            return Err(at(chain, index, "signature: signature does not verify"));
        }
        if let Some(e) = first_error.or(gap) {
            return Err(e);
        }
        progress(chain, expected);
    }
    walk.finish(state, progress)
}

/// A forward scan of one chain's rows in a column family.
type Rows<'a> = Box<dyn Iterator<Item = Result<(u64, Vec<u8>), StorageError>> + 'a>;

/// The sequential part of a chain's replay: state, hashes, blocks.
struct ChainWalk<'a> {
    store: &'a ChainStore,
    chain: ChainId,
    frontier: Frontier,
    stored_hashes: std::iter::Peekable<Rows<'a>>,
    blocks: Rows<'a>,
    node_key: Option<PublicKey>,
    next_block: Option<SignedBlock>,
    block_count: u64,
    previous_block: crate::hash::BlockHash,
}

impl<'a> ChainWalk<'a> {
    fn new(store: &'a ChainStore, chain: ChainId, state: &MemoryState) -> Self {
        ChainWalk {
            store,
            chain,
            frontier: Frontier::new(),
            stored_hashes: (Box::new(store.rows(CF_HASHES, chain)) as Rows<'a>).peekable(),
            blocks: Box::new(store.rows(CF_BLOCKS, chain)),
            node_key: state::genesis(state).ok().flatten().map(|g| g.node_key),
            next_block: None,
            block_count: 0,
            previous_block: crate::hash::BlockHash::ZERO,
        }
    }

    /// Applies one parsed entry; returns the key its signature must verify
    /// against (checked later, in parallel).
    fn step(&mut self, state: &mut MemoryState, p: &Parsed) -> Result<PublicKey, Discrepancy> {
        let (chain, index) = (self.chain, p.index);
        let key = state::author_key(state, &p.entry).map_err(|e| at(chain, index, e.to_string()))?;
        state::apply(state, index, &p.entry).map_err(|e| at(chain, index, e.to_string()))?;
        if self.node_key.is_none() {
            self.node_key = state::genesis(state).ok().flatten().map(|g| g.node_key);
        }

        // Recompute the hashes this entry added and compare with storage.
        let (first, computed) = self.frontier.push(crate::hash::EntryHash::of_entry(&p.bytes));
        for (k, hash) in computed.iter().enumerate() {
            let want = first + k as u64;
            match self.stored_hashes.next() {
                Some(Ok((got, stored))) if got == want && stored == hash.0 => {}
                Some(Ok((got, _))) if got == want => {
                    return Err(at(
                        chain,
                        index,
                        format!(
                            "stored Merkle hash {want} differs from the one recomputed from the entries{}",
                            if k == 0 { " (the entry bytes are not the ones that were appended here)" } else { "" }
                        ),
                    ));
                }
                Some(Err(e)) => return Err(storage(Some(chain), e)),
                _ => return Err(at(chain, index, format!("stored Merkle hash {want} is missing"))),
            }
        }

        // Check the block that ends at this size, if one does.
        let size = index + 1;
        if self.next_block.is_none() {
            self.next_block = Some(self.read_block(index)?);
        }
        if let Some(block) = self.next_block.as_ref().filter(|b| b.header.size == size) {
            let root = self.frontier.root();
            if block.header.root != root {
                return Err(at(
                    chain,
                    index,
                    format!(
                        "root of size {size} is {root}, but block {} states {}",
                        block.header.height, block.header.root
                    ),
                ));
            }
            self.previous_block = block.hash();
            self.block_count += 1;
            self.next_block = None;
        }
        Ok(key)
    }

    /// Reads and checks the block that must start at entry `index`.
    fn read_block(&mut self, index: u64) -> Result<SignedBlock, Discrepancy> {
        let chain = self.chain;
        let Some(row) = self.blocks.next() else {
            return Err(at(chain, index, "entry is not covered by any block"));
        };
        let (height, raw) = row.map_err(|e| storage(Some(chain), e))?;
        let block = SignedBlock::from_bytes(&raw).map_err(|e| on(chain, format!("block {height}: {e}")))?;
        let key = self.node_key.ok_or_else(|| on(chain, "blocks exist before genesis"))?;
        block.verify(&key).map_err(|e| on(chain, format!("block {height}: {e}")))?;
        let h = &block.header;
        if height != self.block_count || h.height != height || h.chain != chain {
            return Err(on(
                chain,
                format!("block {height} is out of place (expected block {} of the {chain} chain)", self.block_count),
            ));
        }
        if h.previous != self.previous_block {
            return Err(at(
                chain,
                h.first_index,
                format!("block {height} does not link to block {}", height.wrapping_sub(1)),
            ));
        }
        if h.first_index != index || h.size <= h.first_index {
            return Err(at(
                chain,
                index,
                format!("block {height} covers {}..{}, expected to start at {index}", h.first_index, h.size),
            ));
        }
        Ok(block)
    }

    /// Checks what must hold after the last entry: no dangling block or
    /// hash, and head and checkpoint stating the replayed tree.
    fn finish(
        mut self,
        state: &MemoryState,
        progress: &mut dyn FnMut(ChainId, u64),
    ) -> Result<ChainSummary, Discrepancy> {
        let chain = self.chain;
        let size = self.frontier.size();
        progress(chain, size);
        if let Some(block) = self.next_block.take() {
            return Err(at(
                chain,
                size,
                format!(
                    "block {} states size {}, but the entries end at {size}",
                    block.header.height, block.header.size
                ),
            ));
        }
        if let Some(row) = self.blocks.next() {
            let (height, _) = row.map_err(|e| storage(Some(chain), e))?;
            return Err(at(chain, size, format!("block {height} follows the last entry")));
        }
        if let Some(row) = self.stored_hashes.next() {
            let (n, _) = row.map_err(|e| storage(Some(chain), e))?;
            return Err(at(chain, size, format!("stored Merkle hash {n} lies beyond the last entry")));
        }

        let root = self.frontier.root();
        let head = self.store.head(chain).map_err(|e| storage(Some(chain), e))?;
        if head.size != size
            || head.root != root
            || head.blocks != self.block_count
            || head.last_block != self.previous_block
        {
            return Err(at(
                chain,
                size,
                format!(
                    "stored head (size {}, root {}) differs from the replayed one (size {size}, root {root})",
                    head.size, head.root
                ),
            ));
        }
        if let Some(note) = self.store.checkpoint(chain).map_err(|e| storage(Some(chain), e))? {
            let genesis =
                state::genesis(state).ok().flatten().ok_or_else(|| on(chain, "checkpoint exists without genesis"))?;
            let origin = checkpoint::origin(&genesis.node_name, chain);
            let tree = checkpoint::verify(&note, &origin, &genesis.node_key)
                .map_err(|e| on(chain, format!("checkpoint: {e}")))?;
            if tree.size != size || tree.root != root {
                return Err(on(
                    chain,
                    format!(
                        "signed checkpoint states size {} root {}, replay gives size {size} root {root}",
                        tree.size, tree.root
                    ),
                ));
            }
        } else if size > 0 {
            return Err(on(chain, "chain has entries but no signed checkpoint"));
        }
        Ok(ChainSummary { chain, size, root, blocks: self.block_count })
    }
}
