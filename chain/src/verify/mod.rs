//! E-license verification, online against a node and offline from proof
//! bundles: every check answered separately, with its detail or its reason.
//!
//! A verdict has five checks, reported in this order:
//!
//! | check | holds when |
//! |---|---|
//! | `signature` | the eddsa-jcs-2022 proof verifies with the `did:key` its `verificationMethod` names |
//! | `issuer_key` | that key is the issuing agency's and was active where the license chain issued the license |
//! | `on_chain` | a `license.issued` / `license.renewed` entry of this license, by that key, records this credential's digest, under a signed checkpoint |
//! | `status` | the license is valid (not suspended, revoked or cancelled) |
//! | `validity` | the time of verification is within `validFrom`..`validUntil` |
//!
//! A check that cannot be judged because one it rests on failed is "not
//! checked" and names that check. Everything rests on `signature`;
//! `status` rests on `on_chain` (the status of a license whose issuance is
//! not this credential says nothing of this credential); `issuer_key` needs
//! the issuance index that `on_chain` establishes, so when no issuance is
//! established it judges what it can (is the key the agency's) and is
//! otherwise not checked, naming `on_chain`. So the first failure always
//! names the part that is wrong.
//!
//! | file | concern |
//! |---|---|
//! | `verdict.rs` | `CheckName`, `Outcome`, `Check`, `Basis`, `Verdict` |
//! | `credential.rs` | reading the credential, `signature` and `validity` |
//! | `canonical_text.rs` | recognising canonical (JCS) text and its members in place |
//! | `judge.rs` | the issuance and agency key entries: what they must say |
//! | `stored.rs` | the license chain at one commit: checkpoint, state, proofs |
//! | `online.rs` | `verify_online` |
//! | `status_tree.rs` | `StatusLeaf`, the in-memory RFC 6962 tree of a snapshot |
//! | `snapshot.rs` | status snapshots: signed notes `<node>/license-status` |
//! | `node_key.rs` | `NodeVerifierKey`: the C2SP verifier key a verifier trusts |
//! | `bundle.rs` | `ProofBundle`, `BundleError` |
//! | `build.rs` | `build_bundles` |
//! | `offline.rs` | `BundleVerifier` |

mod build;
mod bundle;
mod canonical_text;
mod credential;
mod judge;
mod node_key;
mod offline;
mod online;
pub mod snapshot;
mod status_tree;
mod stored;
mod verdict;

pub use build::build_bundles;
pub use bundle::{BundleError, EntryProof, ProofBundle, StatusProof, BUNDLE_FORMAT};
pub use node_key::{NodeKeyError, NodeVerifierKey};
pub use offline::BundleVerifier;
pub use online::verify_online;
pub use snapshot::StatusSnapshot;
pub use status_tree::StatusLeaf;
pub use verdict::{Basis, Check, CheckName, Outcome, Verdict};
