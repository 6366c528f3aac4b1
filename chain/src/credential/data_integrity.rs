//! W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite
//! (W3C "Data Integrity EdDSA Cryptosuites v1.0", section 3.3): Ed25519
//! over SHA-256 hashes of RFC 8785 (JCS) canonical JSON.
//!
//! Signing a document D with proof options O:
//! 1. proofConfig = O (`type`, `cryptosuite`, `created`, `verificationMethod`,
//!    `proofPurpose`) plus D's `@context` when D has one;
//! 2. hashData = SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(D)), the proof
//!    hash first, 64 bytes;
//! 3. proofValue = `z` + base58btc(Ed25519 signature over hashData);
//! 4. the secured document is D with `proof` = proofConfig + `proofValue`.
//!
//! Verification undoes this with every member of the proof except
//! `proofValue` as the proofConfig, so that nothing in the proof can change
//! unsigned. Where the specification leaves room, Safebox is stricter: one
//! proof per document (no proof sets or chains), the purpose must be
//! `assertionMethod`, a proof `@context` must equal the document's (the
//! specification lets a document gain contexts after signing), `created`
//! must be `YYYY-MM-DDTHH:MM:SSZ`, and the verification method must be a
//! `did:key` naming the key the caller trusts.

use super::datetime::UtcTime;
use super::multibase::{decode_base58btc, encode_base58btc, MultibaseError};
use super::strict_json;
use super::text::text_form;
use super::verification_method::VerificationMethod;
use super::CredentialError;
use crate::canonical::{self, CanonicalError};
use crate::keys::{self, PublicKey, Signature};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// The proof `type`.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The proof `cryptosuite`.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The one proof purpose Safebox signs and accepts: an issuer's assertion.
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// A proof value: multibase base58btc of a 64-byte Ed25519 signature.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct ProofValue(pub Signature);

impl ProofValue {
    /// Reads `z` + base58btc of exactly 64 bytes.
    pub fn parse(text: &str) -> Result<Self, MultibaseError> {
        let bytes = decode_base58btc(text)?;
        Signature::from_bytes(&bytes).map(ProofValue).map_err(|_| MultibaseError::Length {
            what: "proof value (an Ed25519 signature)",
            expected: 64,
            found: bytes.len(),
        })
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.0
    }
}

impl fmt::Display for ProofValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_base58btc(&self.0 .0))
    }
}

text_form!(ProofValue);

/// What the signer chooses for a new proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofOptions {
    /// The `did:key` of the signing key.
    pub verification_method: VerificationMethod,
    /// When the proof was made (optional in the specification; Safebox's
    /// licenses always state it).
    pub created: Option<UtcTime>,
}

/// A proof as Safebox writes it, member for member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataIntegrityProof {
    /// Always `DataIntegrityProof`.
    #[serde(rename = "type")]
    pub proof_type: String,
    /// Always `eddsa-jcs-2022`.
    pub cryptosuite: String,
    pub created: UtcTime,
    pub verification_method: VerificationMethod,
    /// Always `assertionMethod`.
    pub proof_purpose: String,
    /// The document's `@context`, copied.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    pub proof_value: ProofValue,
}

/// The intermediate values of eddsa-jcs-2022 hashing (the W3C test vectors
/// publish each of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashData {
    /// JCS(proofConfig).
    pub proof_canonical: Vec<u8>,
    /// JCS(document without proof).
    pub document_canonical: Vec<u8>,
    /// SHA-256 of `proof_canonical`.
    pub proof_hash: [u8; 32],
    /// SHA-256 of `document_canonical`.
    pub document_hash: [u8; 32],
}

impl HashData {
    /// Canonicalises and hashes a proof configuration and an unsecured
    /// document.
    pub fn new(proof_config: &Value, unsecured_document: &Value) -> Result<Self, CanonicalError> {
        let proof_canonical = canonical::to_vec(proof_config)?;
        let document_canonical = canonical::to_vec(unsecured_document)?;
        Ok(HashData {
            proof_hash: Sha256::digest(&proof_canonical).into(),
            document_hash: Sha256::digest(&document_canonical).into(),
            proof_canonical,
            document_canonical,
        })
    }

    /// What the Ed25519 signature covers: proof hash ‖ document hash.
    pub fn signing_input(&self) -> [u8; 64] {
        let mut input = [0; 64];
        input[..32].copy_from_slice(&self.proof_hash);
        input[32..].copy_from_slice(&self.document_hash);
        input
    }
}

/// The proof configuration for `options` over `unsecured`: the proof
/// without its value.
pub fn proof_config(unsecured: &Map<String, Value>, options: &ProofOptions) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert("type".into(), PROOF_TYPE.into());
    config.insert("cryptosuite".into(), CRYPTOSUITE.into());
    if let Some(created) = options.created {
        config.insert("created".into(), created.to_string().into());
    }
    config.insert("verificationMethod".into(), options.verification_method.as_str().into());
    config.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    if let Some(context) = unsecured.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    config
}

/// Secures a document: returns it with an eddsa-jcs-2022 `proof`.
pub fn sign_document(unsecured: &Value, options: &ProofOptions, key: &SigningKey) -> Result<Value, CredentialError> {
    let signer = keys::public_key(key);
    let named = options.verification_method.public_key();
    if *named != signer {
        return Err(CredentialError::KeyMismatch { method: named.id(), given: signer.id() });
    }
    let document = unsecured.as_object().ok_or(CredentialError::NotAnObject)?;
    if document.contains_key("proof") {
        return Err(CredentialError::AlreadySigned);
    }
    let mut proof = proof_config(document, options);
    let hashes = HashData::new(&Value::Object(proof.clone()), unsecured)?;
    let signature = keys::sign(key, &hashes.signing_input());
    proof.insert("proofValue".into(), ProofValue(signature).to_string().into());
    let mut secured = document.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// Verifies a secured document's proof with `key`, the key the caller
/// trusts for its issuer. Every refusal names its reason.
pub fn verify_document(secured: &Value, key: &PublicKey) -> Result<(), CredentialError> {
    let mut document = secured.as_object().ok_or(CredentialError::NotAnObject)?.clone();
    let mut proof = match document.remove("proof") {
        None => return Err(CredentialError::MissingProof),
        Some(Value::Object(proof)) => proof,
        Some(_) => return Err(CredentialError::ProofShape),
    };
    let proof_value = match proof.remove("proofValue") {
        None => return Err(CredentialError::MissingProofField("proofValue")),
        Some(Value::String(text)) => ProofValue::parse(&text).map_err(CredentialError::ProofValue)?,
        Some(other) => return Err(field_error("proofValue", "a string", &other)),
    };
    expect_text(&proof, "type", PROOF_TYPE)?;
    expect_text(&proof, "cryptosuite", CRYPTOSUITE)?;
    expect_text(&proof, "proofPurpose", PROOF_PURPOSE)?;
    match proof.get("created") {
        None => {}
        Some(Value::String(text)) => {
            UtcTime::parse(text).map_err(CredentialError::Created)?;
        }
        Some(other) => return Err(field_error("created", "a string", other)),
    }
    let method = match proof.get("verificationMethod") {
        None => return Err(CredentialError::MissingProofField("verificationMethod")),
        Some(Value::String(text)) => VerificationMethod::parse(text).map_err(CredentialError::VerificationMethod)?,
        Some(other) => return Err(field_error("verificationMethod", "a string", other)),
    };
    if method.public_key() != key {
        return Err(CredentialError::KeyMismatch { method: method.public_key().id(), given: key.id() });
    }
    if let Some(context) = proof.get("@context") {
        if document.get("@context") != Some(context) {
            return Err(CredentialError::ContextMismatch);
        }
    }
    let hashes = HashData::new(&Value::Object(proof), &Value::Object(document))?;
    key.verify(&hashes.signing_input(), proof_value.signature()).map_err(|_| CredentialError::SignatureInvalid)
}

/// Reads JSON text strictly (duplicate keys refused) and verifies its
/// proof; returns the parsed document.
pub fn verify_document_bytes(bytes: &[u8], key: &PublicKey) -> Result<Value, CredentialError> {
    let document = strict_json::parse(bytes).map_err(|e| CredentialError::Json(e.to_string()))?;
    verify_document(&document, key)?;
    Ok(document)
}

fn expect_text(proof: &Map<String, Value>, field: &'static str, expected: &'static str) -> Result<(), CredentialError> {
    match proof.get(field) {
        None => Err(CredentialError::MissingProofField(field)),
        Some(Value::String(text)) if text == expected => Ok(()),
        Some(other) => Err(field_error(field, expected, other)),
    }
}

fn field_error(field: &'static str, expected: &'static str, found: &Value) -> CredentialError {
    CredentialError::ProofField { field, expected, found: found.to_string() }
}
