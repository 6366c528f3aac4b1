//! Safebox's trust core: signed entries, the Merkle log engine on RocksDB,
//! blocks and checkpoints, inclusion and consistency proofs, the state the
//! entries imply, and replay. Knows nothing of HTTP and nothing of the vault.

pub mod application_state;
pub mod block;
pub mod canonical;
pub mod chain_id;
pub mod checkpoint;
pub mod credential;
pub mod entry;
pub mod frontier;
pub mod hash;
pub mod ids;
pub mod keys;
pub mod ledger;
pub mod payload;
pub mod proof;
pub mod replay;
pub mod service_ids;
pub mod service_state;
pub mod state;
pub mod storage;
mod text_serde;
pub mod tiles;
pub mod time;
mod upper_hashes;
pub mod verify;

pub use chain_id::ChainId;
pub use entry::{Entry, SignedEntry};
pub use hash::{BlockHash, Commitment, CredentialDigest, EntryHash, ProofHash, RootHash};
pub use ids::{AgencyCode, LicenseId};
pub use keys::{KeyId, PublicKey, Signature};
pub use ledger::{AppendError, Appended, Ledger};
pub use proof::{ConsistencyProof, InclusionProof};
pub use service_ids::{ApplicationId, BoxRef, DocumentRef, GrantId, MatterCode, Purpose};
pub use time::Timestamp;
