//! The e-license credential format: GB/T 36904 identifiers, GB/T 36903
//! metadata in a W3C Verifiable Credential 2.0, and Data Integrity proofs
//! with the `eddsa-jcs-2022` cryptosuite (build, sign, verify).
//!
//! The license chain records a license by its identifier and the digest of
//! its signed credential (`credential_digest`); the credential itself lives
//! in the holder's box and travels to verifiers.
//!
//! | file | concern |
//! |---|---|
//! | `iso7064.rs` | ISO/IEC 7064 check characters (MOD 37,36 and MOD 11-2) |
//! | `identifier.rs` | `LicenseIdentifier`, `LicenseTypeCode` (GB/T 36904) |
//! | `codes.rs` | `HolderCode`, `CitizenId`, `AreaCode` |
//! | `datetime.rs` | `UtcTime`, `CivilDate`: the one spelling of each |
//! | `multibase.rs` | base58btc multibase, Multikey Ed25519 keys |
//! | `verification_method.rs` | `did:key` verification methods |
//! | `strict_json.rs` | JSON reading that refuses duplicate keys |
//! | `data_integrity.rs` | eddsa-jcs-2022 proofs over any JSON document |
//! | `license.rs` | `LicenseFields`, `ElectronicLicense`, `SignedLicense`, signing and verifying |
//! | `wire.rs` | the license's JSON members and their agreement |
//! | `error.rs` | `CredentialError` |

mod codes;
mod data_integrity;
mod datetime;
mod error;
mod identifier;
pub mod iso7064;
mod license;
pub mod multibase;
mod strict_json;
mod text;
mod verification_method;
mod wire;

pub use codes::{AreaCode, CitizenId, CodeError, HolderCode};
pub use data_integrity::{
    proof_config, sign_document, verify_document, verify_document_bytes, DataIntegrityProof, HashData, ProofOptions,
    ProofValue, CRYPTOSUITE, PROOF_PURPOSE, PROOF_TYPE,
};
pub use datetime::{CivilDate, TimeError, UtcTime};
pub use error::CredentialError;
pub use identifier::{IdentifierError, LicenseIdentifier, LicenseTypeCode, MAX_SERIAL_LEN, ROOT_PREFIX};
pub use license::{
    credential_digest, sign_license, verify_license_bytes, verify_license_signature, ElectronicLicense, LicenseError,
    LicenseFields, SignedLicense, MAX_TEXT_CHARS,
};
pub use multibase::MultibaseError;
pub use verification_method::{VerificationMethod, VerificationMethodError};
pub use wire::{
    CREDENTIALS_V2_CONTEXT, ISSUER_ID_PREFIX, LICENSE_CONTEXT, LICENSE_ID_PREFIX, LICENSE_TYPE, SAFEBOX_LICENSE_CONTEXT,
};
