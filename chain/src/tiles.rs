//! C2SP tlog-tiles: Merkle tree tiles and entry bundles, so that static
//! mirrors and standard tlog clients can follow a chain.
//!
//! Paths are the spec's (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`,
//! height 8). Tile contents come from `tlog_tiles`.

use crate::ledger::{Ledger, ReadError};
use crate::storage::{StorageError, StoredHashes};
use crate::ChainId;

/// Tile height fixed by C2SP tlog-tiles.
pub const TILE_HEIGHT: u8 = 8;
const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A parsed tile request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileRequest {
    /// None for an entry bundle, Some(level) for a hash tile.
    pub level: Option<u8>,
    pub index: u64,
    /// 1..=256; 256 for a full tile.
    pub width: u32,
}

/// Why a tile request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("malformed tile path: {0}")]
    BadPath(String),
    #[error("tile is beyond the tree (size {0})")]
    NotYet(u64),
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl TileRequest {
    /// Parses a path after the chain prefix, such as `tile/0/x001/234.p/7`.
    ///
    /// Written here rather than taken from `tlog_tiles::Tile::from_path`,
    /// which asserts (panics) on widths outside 1..=255 such as `.p/256`;
    /// a path comes from outside and must only ever be refused.
    pub fn parse(path: &str) -> Result<Self, TileError> {
        let bad = || TileError::BadPath(path.chars().take(128).collect());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = match level {
            "entries" => None,
            l => Some(decimal(l).filter(|l| *l <= 63).ok_or_else(bad)? as u8),
        };
        let (index_path, width) = match rest.split_once(".p/") {
            Some((index_path, w)) => (index_path, decimal(w).filter(|w| (1..TILE_WIDTH).contains(w)).ok_or_else(bad)?),
            None => (rest, TILE_WIDTH),
        };
        // N in zero-padded groups of three digits, all but the last "x"-prefixed.
        let groups: Vec<&str> = index_path.split('/').collect();
        let mut index: u64 = 0;
        for (k, group) in groups.iter().enumerate() {
            let digits = if k + 1 < groups.len() { group.strip_prefix('x').ok_or_else(bad)? } else { group };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let value: u64 = digits.parse().map_err(|_| bad())?;
            index = index.checked_mul(1000).and_then(|i| i.checked_add(value)).ok_or_else(bad)?;
        }
        Ok(TileRequest { level, index, width: width as u32 })
    }
}

/// A decimal number without sign or leading zeros.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Reads a hash tile or an entry bundle of `chain`.
pub fn read_tile(ledger: &Ledger, chain: ChainId, request: TileRequest) -> Result<Vec<u8>, TileError> {
    let size = ledger.head(chain).map_err(ReadError::from)?.size;
    let level = request.level.unwrap_or(0);
    // The tile's last node must exist: it spans leaves up to
    // (index * 256 + width) << (8 * level).
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    let nodes_end = u128::from(request.index) * u128::from(TILE_WIDTH) + u128::from(request.width);
    if shift >= 64 || nodes_end > u128::from(size >> shift) {
        return Err(TileError::NotYet(size));
    }
    match request.level {
        Some(level) => {
            let tile = tlog_tiles::Tile::new(TILE_HEIGHT, level, request.index, request.width, false);
            let reader = StoredHashes { store: ledger.store(), chain };
            tile.read_data(&reader).map_err(|e| TileError::Read(StorageError::Db(format!("tile: {e}")).into()))
        }
        None => {
            let first = request.index * TILE_WIDTH;
            let mut bundle = Vec::new();
            for index in first..first + u64::from(request.width) {
                let entry = ledger.entry(chain, index)?;
                // MAX_ENTRY_BYTES keeps every entry within the u16 prefix.
                bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
                bundle.extend_from_slice(&entry);
            }
            Ok(bundle)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2sp_paths_parse() {
        assert_eq!(
            TileRequest::parse("tile/0/x001/234.p/7").unwrap(),
            TileRequest { level: Some(0), index: 1234, width: 7 }
        );
        assert_eq!(TileRequest::parse("tile/entries/000").unwrap(), TileRequest { level: None, index: 0, width: 256 });
        for bad in [
            "tile/8/0/000/000",
            "tile/x/000",
            "tile/0/1234",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/007",
            "tile/00/000",
            "tile/64/000",
            "tile/0/001/234",
            "tile/0/x001",
            "tile/0/x99999999/999/999/999/999/999/999",
            "nope",
        ] {
            assert!(TileRequest::parse(bad).is_err(), "{bad} must be refused");
        }
    }
}
