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

fn replay_chain(
    store: &ChainStore,
    chain: ChainId,
    state: &mut MemoryState,
    progress: &mut dyn FnMut(ChainId, u64),
) -> Result<ChainSummary, Discrepancy> {
    let mut frontier = Frontier::new();
    let mut stored_hashes = store.rows(CF_HASHES, chain).peekable();
    let mut blocks = store.rows(CF_BLOCKS, chain);
    let mut node_key: Option<PublicKey> = state::genesis(state).ok().flatten().map(|g| g.node_key);
    let mut next_block: Option<SignedBlock> = None;
    let mut block_count = 0u64;
    let mut previous_block = crate::hash::BlockHash::ZERO;

    for (expected, row) in (0u64..).zip(store.rows(CF_ENTRIES, chain)) {
        let (index, bytes) = row.map_err(|e| storage(Some(chain), e))?;
        if index != expected {
            return Err(at(chain, expected, "entry is missing (the next stored entry is at a later index)"));
        }
        let entry = SignedEntry::from_canonical_bytes(&bytes).map_err(|e| at(chain, index, e.to_string()))?;
        let key = state::author_key(state, &entry).map_err(|e| at(chain, index, e.to_string()))?;
        entry.verify(&key).map_err(|e| at(chain, index, e.to_string()))?;
        state::apply(state, index, &entry).map_err(|e| at(chain, index, e.to_string()))?;
        if node_key.is_none() {
            node_key = state::genesis(state).ok().flatten().map(|g| g.node_key);
        }

        // Recompute the hashes this entry added and compare with storage.
        let (first, computed) = frontier.push(crate::hash::EntryHash::of_entry(&bytes));
        for (k, hash) in computed.iter().enumerate() {
            let want = first + k as u64;
            match stored_hashes.next() {
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
        if next_block.is_none() {
            next_block = match blocks.next() {
                None => return Err(at(chain, index, "entry is not covered by any block")),
                Some(row) => {
                    let (height, raw) = row.map_err(|e| storage(Some(chain), e))?;
                    let block = SignedBlock::from_bytes(&raw).map_err(|e| on(chain, format!("block {height}: {e}")))?;
                    let key = node_key.ok_or_else(|| on(chain, "blocks exist before genesis"))?;
                    block.verify(&key).map_err(|e| on(chain, format!("block {height}: {e}")))?;
                    let h = &block.header;
                    if height != block_count || h.height != height || h.chain != chain {
                        return Err(on(
                            chain,
                            format!(
                                "block {height} is out of place (expected block {block_count} of the {chain} chain)"
                            ),
                        ));
                    }
                    if h.previous != previous_block {
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
                            format!(
                                "block {height} covers {}..{}, expected to start at {index}",
                                h.first_index, h.size
                            ),
                        ));
                    }
                    Some(block)
                }
            };
        }
        if let Some(block) = next_block.as_ref().filter(|b| b.header.size == size) {
            let root = frontier.root();
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
            previous_block = block.hash();
            block_count += 1;
            next_block = None;
        }
        if size % 4096 == 0 {
            progress(chain, size);
        }
    }
    let size = frontier.size();
    progress(chain, size);
    if let Some(block) = next_block {
        return Err(at(
            chain,
            size,
            format!("block {} states size {}, but the entries end at {size}", block.header.height, block.header.size),
        ));
    }
    if let Some(row) = blocks.next() {
        let (height, _) = row.map_err(|e| storage(Some(chain), e))?;
        return Err(at(chain, size, format!("block {height} follows the last entry")));
    }
    if let Some(row) = stored_hashes.next() {
        let (n, _) = row.map_err(|e| storage(Some(chain), e))?;
        return Err(at(chain, size, format!("stored Merkle hash {n} lies beyond the last entry")));
    }

    let root = frontier.root();
    let head = store.head(chain).map_err(|e| storage(Some(chain), e))?;
    if head.size != size || head.root != root || head.blocks != block_count || head.last_block != previous_block {
        return Err(at(
            chain,
            size,
            format!(
                "stored head (size {}, root {}) differs from the replayed one (size {size}, root {root})",
                head.size, head.root
            ),
        ));
    }
    if let Some(note) = store.checkpoint(chain).map_err(|e| storage(Some(chain), e))? {
        let genesis =
            state::genesis(state).ok().flatten().ok_or_else(|| on(chain, "checkpoint exists without genesis"))?;
        let origin = checkpoint::origin(&genesis.node_name, chain);
        let tree =
            checkpoint::verify(&note, &origin, &genesis.node_key).map_err(|e| on(chain, format!("checkpoint: {e}")))?;
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
    Ok(ChainSummary { chain, size, root, blocks: block_count })
}
