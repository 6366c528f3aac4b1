//! What the node checks before it appends: its own policy, which replay
//! cannot judge (an entry's time against the node's clock), and a dry run
//! of the chain's rules, so that a refusal comes with its reason before
//! the node touches the vault.

use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::state::{self, Overlay};
use safebox_chain::{Appended, ChainId, Entry, Signature, SignedEntry, Timestamp};

/// How far an entry's time may be from the node's clock. Replay trusts an
/// entry's time (a grant's expiry is judged by it), so the node refuses
/// entries dated away from now: nobody signs a use backdated to before an
/// expiry, or a grant postdated to outlive a withdrawal.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

impl Node {
    /// Refuses an entry dated more than [`MAX_CLOCK_SKEW_MS`] from now.
    pub(crate) fn check_time(&self, entry: &Entry) -> Result<(), ServiceError> {
        let (time, now) = (entry.time.0, Timestamp::now().0);
        if time.abs_diff(now) > MAX_CLOCK_SKEW_MS {
            return Err(ServiceError::ClockSkew { time, now, max: MAX_CLOCK_SKEW_MS });
        }
        Ok(())
    }

    /// Refuses an entry of another kind than `expected` or off the service
    /// chain.
    pub(crate) fn check_kind(
        &self,
        entry: &Entry,
        expected: &'static str,
        accept: impl Fn(&str) -> bool,
    ) -> Result<(), ServiceError> {
        if entry.chain != ChainId::Service || !accept(entry.payload.kind()) {
            return Err(ServiceError::WrongKind { expected, found: entry.payload.kind(), chain: entry.chain });
        }
        Ok(())
    }

    /// Checks a signed entry's signature against its author's key in
    /// committed state, as the ledger will.
    pub(crate) fn check_signature(&self, signed: &SignedEntry) -> Result<(), ServiceError> {
        let key = state::author_key(&self.ledger.store().state(), signed)?;
        Ok(signed.verify(&key)?)
    }

    /// Runs the chain's rules on `entry` against committed state, writing
    /// nothing. The rules read the author's key id, never the signature, so
    /// an unsigned entry can be checked before anyone signs it. The ledger
    /// checks again when it appends: this only gives the reason early.
    pub(crate) fn dry_run(&self, entry: &Entry) -> Result<(), ServiceError> {
        let committed = self.ledger.store().state();
        let mut scratch = Overlay::new(&committed);
        let index = self.ledger.head(entry.chain)?.size;
        let probe = SignedEntry { entry: entry.clone(), signature: Signature([0; 64]) };
        Ok(state::apply(&mut scratch, index, &probe)?)
    }

    /// Appends an entry signed outside the node, after the node's policy.
    pub(crate) fn submit(&self, signed: SignedEntry) -> Result<Appended, ServiceError> {
        self.check_time(&signed.entry)?;
        Ok(self.ledger.append(signed)?)
    }
}
