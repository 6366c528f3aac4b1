//! Safebox's one integration test binary. Each module covers one surface or
//! one risk; the storage ones are named for the risk they cover.

mod cli;
mod crash_consistency;
mod ed25519_vectors;
mod http_read_api;
mod jcs_vectors;
mod ledger_rules;
mod merkle_vectors;
mod proof_properties;
mod tamper_detection;
