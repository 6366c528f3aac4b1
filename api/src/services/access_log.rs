//! The applicant's access log: every use of the box's documents (agency,
//! matter, purpose, time), each with its entry and an inclusion proof
//! against the service chain's signed checkpoint, so the applicant can
//! check that the node shows everyone the same record.

use crate::services::error::ServiceError;
use crate::Node;
use safebox_chain::checkpoint::{self, TreeHead};
use safebox_chain::ledger::ReadError;
use safebox_chain::payload::{DocumentUsed, Payload};
use safebox_chain::service_state;
use safebox_chain::{ChainId, EntryHash, InclusionProof, SignedEntry, Timestamp};
use safebox_vault::BoxId;
use std::time::{Duration, Instant};

/// How long a proof waits for the ledger to publish the head that the
/// checkpoint just read already states (the two are written together).
const HEAD_WAIT: Duration = Duration::from_secs(2);

/// A box's access log, provable against one signed checkpoint.
#[derive(Clone, Debug)]
pub struct AccessLog {
    /// The service chain's signed checkpoint (a C2SP signed note).
    pub checkpoint: Vec<u8>,
    /// What the checkpoint states.
    pub tree: TreeHead,
    /// Oldest first.
    pub uses: Vec<RecordedUse>,
}

/// One use of a document of the box.
#[derive(Clone, Debug)]
pub struct RecordedUse {
    /// Service-chain index of the `document.used` entry.
    pub index: u64,
    pub time: Timestamp,
    /// The agency, grant, document, matter and purpose.
    pub used: DocumentUsed,
    /// The entry's canonical bytes (the Merkle leaf).
    pub entry: Vec<u8>,
    /// Proof that the entry is in the tree the checkpoint states.
    pub proof: InclusionProof,
}

impl RecordedUse {
    /// The entry's leaf hash, which the proof leads from.
    pub fn leaf(&self) -> EntryHash {
        EntryHash::of_entry(&self.entry)
    }
}

impl Node {
    /// Every use of the box's documents, with proofs.
    pub fn access_log(&self, box_id: BoxId) -> Result<AccessLog, ServiceError> {
        let box_ref = self.box_ref(box_id)?;
        // State first: the checkpoint read after it covers every use it lists.
        let indexes = service_state::access_log(&self.ledger.store().state(), &box_ref)?;
        let (checkpoint, tree) = self.service_checkpoint()?;
        let uses = indexes
            .into_iter()
            .map(|index| {
                let entry = self.ledger.entry(ChainId::Service, index)?;
                let parsed = SignedEntry::from_canonical_bytes(&entry)?;
                let Payload::DocumentUsed(used) = parsed.entry.payload else {
                    return Err(ServiceError::storage(format!("service entry {index} is not a use")));
                };
                let proof = self.inclusion_proof(index, tree.size)?;
                Ok(RecordedUse { index, time: parsed.entry.time, used, entry, proof })
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(AccessLog { checkpoint, tree, uses })
    }

    /// The service chain's latest signed checkpoint, checked.
    fn service_checkpoint(&self) -> Result<(Vec<u8>, TreeHead), ServiceError> {
        let note = self
            .ledger
            .store()
            .checkpoint(ChainId::Service)?
            .ok_or_else(|| ServiceError::storage("the service chain has no checkpoint"))?;
        let tree = checkpoint::verify(&note, &self.ledger.origin(ChainId::Service), &self.ledger.node_key())
            .map_err(|e| ServiceError::storage(format!("stored service checkpoint: {e}")))?;
        Ok((note, tree))
    }

    /// An inclusion proof at `size`, waiting briefly if the ledger has not
    /// yet published the head its stored checkpoint states.
    fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, ServiceError> {
        let started = Instant::now();
        loop {
            match self.ledger.inclusion_proof(ChainId::Service, index, size) {
                Err(ReadError::SizeBeyondHead { .. }) if started.elapsed() < HEAD_WAIT => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                other => return Ok(other?),
            }
        }
    }
}
