//! The node's services as a library, each an `impl Node` block in its own
//! file; the HTTP routes call these.
//!
//! | file            | concern                                                     |
//! |-----------------|-------------------------------------------------------------|
//! | `boxes.rs`      | open and erase boxes (crash-safe order, idempotent erasure) |
//! | `documents.rs`  | the applicant's uploads, listing and own reads              |
//! | `grants.rs`     | grants given and withdrawn, signed by the vault or a device |
//! | `uses.rs`       | an agency's read: recorded on the chain before any byte     |
//! | `access_log.rs` | every use of a box's documents, with inclusion proofs       |
//! | `policy.rs`     | the node's checks before appending: clock, dry run          |
//! | `box_index.rs`  | box id ↔ chain reference, the node's own column family      |
//! | `convert.rs`    | vault values as the chain names them                        |
//! | `error.rs`      | `ServiceError`                                              |

mod access_log;
pub mod box_index;
mod boxes;
pub mod convert;
mod documents;
mod error;
mod grants;
mod policy;
mod uses;

pub use access_log::{AccessLog, RecordedUse};
pub use boxes::OpenedBox;
pub use error::ServiceError;
pub use grants::{GivenGrant, GrantTerms};
pub use policy::MAX_CLOCK_SKEW_MS;
pub use uses::{UseReceipt, UseRequest};
