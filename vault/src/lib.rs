//! Encrypted per-applicant boxes: keys, chunked documents, versions and erasure.
//!
//! Each box has its own random data key and secret, wrapped by the node's
//! master key ([`MasterKey`], rotatable without touching documents), and an
//! Ed25519 applicant key sealed under the data key. Documents are stored as
//! sealed metadata plus a STREAM of 64 KiB XChaCha20-Poly1305 chunks
//! ([`stream`]); each upload of a document type is a new version. Erasure
//! destroys a box's keys first (crypto-shredding), then its data.
//!
//! The vault knows nothing of chains, HTTP or who may read what: it hands
//! the node keyed commitments ([`ApplicantCommitment`],
//! [`DocumentCommitment`]) to record instead of personal data, and the node
//! checks grants before it calls the vault.

pub mod document;
pub mod error;
pub mod ids;
pub mod keys;
mod reader;
mod staging;
pub mod storage;
pub mod stream;
mod vault;

pub use document::{DocumentMeta, NewDocument};
pub use error::VaultError;
pub use ids::{ApplicantCommitment, BoxId, ContentHash, DocumentCommitment, DocumentId, DocumentType, Version};
pub use keys::{MasterKey, MasterKeyId};
pub use reader::DocumentReader;
pub use storage::COLUMN_FAMILIES;
pub use stream::CHUNK_SIZE;
pub use vault::{Rotation, Vault};
