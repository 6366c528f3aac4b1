//! An in-memory copy of the upper Merkle levels of one chain, within a
//! fixed memory budget, so that proofs read only their lowest hashes from
//! RocksDB.
//!
//! Stored hashes never change once written, so a copy can never be stale.
//! Each level is a dense array indexed by the node's position in its level
//! (32 bytes per hash; a hash map cost twice that and a SipHash per
//! lookup). Slots are filled as proofs read them. The lowest level kept
//! rises as the chain grows, keeping the copy within [`BUDGET_BYTES`]:
//! at 1,000,000 entries it holds levels 2 and up (a proof then reads two
//! hashes from RocksDB), at 10,000,000 levels 5 and up.

/// Most memory the copy of one chain may use.
pub const BUDGET_BYTES: u64 = 24 << 20;

/// Levels below this are never kept: their hashes are too many for what
/// they save.
const LOWEST_LEVEL_KEPT: u8 = 2;

/// A slot that was not read yet. A real hash of all zeros would only be
/// read from RocksDB again, never answered wrongly.
const UNKNOWN: [u8; 32] = [0; 32];

/// The kept levels of one chain.
#[derive(Default)]
pub struct UpperLevels {
    /// The largest tree any kept hash was read for.
    size: u64,
    /// The lowest level kept, once anything is.
    lowest: u8,
    /// `levels[l - lowest][n]`: the hash at level `l`, position `n`.
    levels: Vec<Vec<[u8; 32]>>,
}

impl UpperLevels {
    /// The hash at `level`, position `n`, if it was kept.
    pub fn get(&self, level: u8, n: u64) -> Option<[u8; 32]> {
        let kept = self.levels.get(usize::from(level.checked_sub(self.lowest)?))?;
        kept.get(usize::try_from(n).ok()?).copied().filter(|hash| *hash != UNKNOWN)
    }

    /// The lowest level worth keeping for a tree of `size` entries: the
    /// levels from it up hold about `2 * size / 2^level` hashes.
    pub fn lowest_level_for(size: u64) -> u8 {
        let mut level = LOWEST_LEVEL_KEPT;
        while level < 63 && (size >> level).saturating_mul(2 * 32) > BUDGET_BYTES {
            level += 1;
        }
        level
    }

    /// Keeps `hash` (at `level`, position `n`, read for a tree of `size`
    /// entries) if its level is kept at the largest size seen.
    pub fn keep(&mut self, size: u64, level: u8, n: u64, hash: [u8; 32]) {
        self.size = self.size.max(size);
        let lowest = Self::lowest_level_for(self.size);
        if lowest > self.lowest || self.levels.is_empty() {
            // The chain outgrew the budget for the lowest kept levels (or
            // nothing is kept yet): drop them.
            let drop = usize::from(lowest.saturating_sub(self.lowest)).min(self.levels.len());
            self.levels.drain(..drop);
            self.lowest = lowest;
        }
        let Some(offset) = level.checked_sub(self.lowest).map(usize::from) else { return };
        let Ok(n) = usize::try_from(n) else { return };
        if self.levels.len() <= offset {
            self.levels.resize_with(offset + 1, Vec::new);
        }
        let kept = &mut self.levels[offset];
        if kept.len() <= n {
            // Room for the whole level at this size at once, so that a
            // growing chain does not reallocate on every new position.
            let whole = usize::try_from(self.size >> level).unwrap_or(n + 1).max(n + 1);
            kept.resize(whole, UNKNOWN);
        }
        kept[n] = hash;
    }

    /// Bytes held by the kept hashes.
    pub fn bytes(&self) -> usize {
        self.levels.iter().map(|level| level.capacity() * 32).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_hashes_are_answered_and_others_are_not() {
        let mut upper = UpperLevels::default();
        upper.keep(1000, 3, 7, [1; 32]);
        assert_eq!(upper.get(3, 7), Some([1; 32]));
        assert_eq!(upper.get(3, 6), None, "a slot never filled");
        assert_eq!(upper.get(1, 7), None, "a level below the lowest kept");
        assert_eq!(upper.get(9, 0), None, "a level never filled");
        upper.keep(1000, 1, 0, [2; 32]);
        assert_eq!(upper.get(1, 0), None, "levels below the lowest are not kept");
    }

    #[test]
    fn the_lowest_level_rises_with_the_chain_and_the_copy_stays_in_budget() {
        assert_eq!(UpperLevels::lowest_level_for(1_000), LOWEST_LEVEL_KEPT);
        assert_eq!(UpperLevels::lowest_level_for(1_000_000), 2);
        assert_eq!(UpperLevels::lowest_level_for(10_000_000), 5);
        let most = UpperLevels::lowest_level_for(u64::MAX);
        assert!((u64::MAX >> most) * 64 <= BUDGET_BYTES && (u64::MAX >> (most - 1)) * 64 > BUDGET_BYTES);
        let mut upper = UpperLevels::default();
        upper.keep(1_000_000, 2, 249_999, [3; 32]);
        upper.keep(1_000_000, 4, 10, [4; 32]);
        assert_eq!(upper.get(2, 249_999), Some([3; 32]));
        upper.keep(10_000_000, 5, 312_499, [5; 32]);
        upper.keep(1_000, 2, 0, [6; 32]);
        assert_eq!(upper.get(2, 0), None, "a proof at an older size does not lower the lowest level");
        assert_eq!(upper.get(2, 249_999), None, "level 2 is dropped at 10,000,000 entries");
        assert_eq!(upper.get(4, 10), None, "level 4 is dropped at 10,000,000 entries");
        assert_eq!(upper.get(5, 312_499), Some([5; 32]));
        assert!(upper.bytes() as u64 <= BUDGET_BYTES);
    }
}
