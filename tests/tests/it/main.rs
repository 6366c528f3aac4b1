//! Safebox's one integration test binary. Each module covers one surface or
//! one risk; the storage ones are named for the risk they cover.

mod catalog;
mod cli;
mod crash_consistency;
mod credential_identifier;
mod credential_license;
mod credential_w3c_vectors;
mod ed25519_vectors;
mod http_read_api;
mod jcs_vectors;
mod ledger_rules;
mod merkle_vectors;
mod proof_properties;
mod service_access;
mod service_access_log;
mod service_erasure;
mod service_grants;
mod service_rules;
mod service_support;
mod tamper_detection;
mod vault_crash;
mod vault_erasure;
mod vault_rotation;
mod vault_roundtrip;
mod vault_streaming_memory;
mod vault_support;
mod vault_tamper;
