//! The node's services as a library, each an `impl Node` block in its own
//! file; the HTTP routes call these.
//!
//! | file            | concern                                                     |
//! |-----------------|-------------------------------------------------------------|
//! | `agencies.rs`   | agencies whose keys the node holds: registration, signing key |
//! | `licenses.rs`   | issue, renew, suspend/resume/revoke/cancel; licenses in a box |
//! | `applications.rs` | materials resolved against the box, review, decision, totals |
//! | `boxes.rs`      | open and erase boxes (crash-safe order, idempotent erasure) |
//! | `documents.rs`  | the applicant's uploads, listing and own reads              |
//! | `grants.rs`     | grants given and withdrawn, signed by the vault or a device |
//! | `uses.rs`       | an agency's read: recorded on the chain before any byte     |
//! | `access_log.rs` | every use of a box's documents, with inclusion proofs       |
//! | `policy.rs`     | the node's checks before appending: clock, dry run          |
//! | `box_index.rs`  | box id ↔ chain reference, issuances in progress (`node.boxes`) |
//! | `convert.rs`    | vault values as the chain names them                        |
//! | `error.rs`      | `ServiceError`                                              |

mod access_log;
mod agencies;
mod applications;
pub mod box_index;
mod boxes;
pub mod convert;
mod documents;
mod error;
mod grants;
mod licenses;
mod policy;
mod uses;

pub use access_log::{AccessLog, RecordedUse};
pub use applications::{
    license_copy_type, AgencyDecision, ApplicationReport, DecisionReport, Resolution, ResolvedMaterial, Review,
    Submission, APPLICATION_GRANT_MS,
};
pub use boxes::OpenedBox;
pub use error::ServiceError;
pub use grants::{GivenGrant, GrantTerms};
pub use licenses::{
    HeldLicense, IssuedLicense, LicenseRequest, StatusChange, CREDENTIAL_MEDIA_TYPE, LICENSE_DOCUMENT_PREFIX,
};
pub use policy::MAX_CLOCK_SKEW_MS;
pub use uses::{UseReceipt, UseRequest};
