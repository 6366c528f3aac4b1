//! Why a credential could not be built, read, signed or verified: one
//! variant per reason, so that a verifier can show the reason itself.

use super::datetime::TimeError;
use super::license::LicenseError;
use super::multibase::MultibaseError;
use super::verification_method::VerificationMethodError;
use crate::canonical::CanonicalError;
use crate::keys::KeyId;

/// Why a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("credential is not valid JSON: {0}")]
    Json(String),
    #[error("credential is not a JSON object")]
    NotAnObject,
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    #[error("document already has a proof; proof sets and chains are not supported")]
    AlreadySigned,
    #[error("credential has no proof")]
    MissingProof,
    #[error("proof must be one JSON object; proof sets are not supported")]
    ProofShape,
    #[error("proof has no {0}")]
    MissingProofField(&'static str),
    #[error("proof {field} must be {expected}, found {found}")]
    ProofField { field: &'static str, expected: &'static str, found: String },
    #[error("proof created: {0}")]
    Created(TimeError),
    #[error("proof @context differs from the credential's @context")]
    ContextMismatch,
    #[error("proofValue: {0}")]
    ProofValue(MultibaseError),
    #[error("verificationMethod: {0}")]
    VerificationMethod(VerificationMethodError),
    #[error("proof's verification method names key {method}, but the key to verify with is {given} (key ids)")]
    KeyMismatch { method: KeyId, given: KeyId },
    #[error("signature does not verify: the credential or its proof was changed, or another key signed it")]
    SignatureInvalid,
    #[error("not a Safebox e-license: {0}")]
    Shape(String),
    #[error("e-license: {0}")]
    License(#[from] LicenseError),
    #[error("e-license is not in Safebox's form: reading and writing it back changes its canonical bytes")]
    NotSafeboxForm,
}
