//! RFC 8785 JSON Canonicalization Scheme (JCS), the byte form of every
//! signed object in Safebox. The `serde_json_canonicalizer` crate does the
//! work (ES6 number formatting, UTF-16 key order); the cyberphone vectors
//! pin it in the test suite.

use serde::Serialize;

/// Why text could not be canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot canonicalise JSON: {0}")]
pub struct CanonicalError(pub String);

/// Canonical bytes of a serialisable value.
pub fn to_vec(value: &impl Serialize) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError(e.to_string()))
}

/// Canonical bytes of JSON text.
pub fn canonicalize(text: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    let text = std::str::from_utf8(text).map_err(|e| CanonicalError(e.to_string()))?;
    serde_json_canonicalizer::pipe(text).map(String::into_bytes).map_err(|e| CanonicalError(e.to_string()))
}
