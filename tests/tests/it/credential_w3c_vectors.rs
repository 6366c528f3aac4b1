//! The W3C vc-di-eddsa `eddsa-jcs-2022` test vectors, reproduced byte for
//! byte: canonical document, canonical proof configuration, both hashes,
//! the signature in hex and as the multibase proof value, the secured
//! document, and verification of the published secured document (and
//! refusal of tampered copies, each with its reason).

use ed25519_dalek::SigningKey;
use safebox_chain::canonical;
use safebox_chain::credential::{
    multibase, proof_config, sign_document, verify_document, verify_document_bytes, CredentialError, HashData,
    ProofOptions, ProofValue, UtcTime, VerificationMethod,
};
use safebox_chain::{keys, PublicKey};
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    safebox_tests::vectors_dir().join("w3c-vc-di-eddsa/TestVectors")
}

fn text(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn key_pair() -> (SigningKey, PublicKey) {
    let pair = json("keyPair.json");
    let secret = multibase::parse_secret_key_multibase(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    let public = multibase::parse_public_key_multibase(pair["publicKeyMultibase"].as_str().unwrap()).unwrap();
    (secret, public)
}

/// The proof of `signedJCS.json` without its `proofValue`.
fn published_proof_config() -> Value {
    let mut proof = json("eddsa-jcs-2022/signedJCS.json")["proof"].clone();
    proof.as_object_mut().unwrap().remove("proofValue");
    proof
}

/// The options the vectors were signed with.
fn published_options() -> ProofOptions {
    let config = published_proof_config();
    ProofOptions {
        verification_method: VerificationMethod::parse(config["verificationMethod"].as_str().unwrap()).unwrap(),
        created: Some(UtcTime::parse(config["created"].as_str().unwrap()).unwrap()),
    }
}

#[test]
fn the_key_pair_decodes_to_one_ed25519_key() {
    let (secret, public) = key_pair();
    assert_eq!(keys::public_key(&secret), public);
    assert_eq!(hex::encode(public.to_bytes()), "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f");
    assert_eq!(multibase::public_key_multibase(&public), json("keyPair.json")["publicKeyMultibase"]);
    let method = VerificationMethod::did_key(&public);
    assert_eq!(method, published_options().verification_method);
}

#[test]
fn the_unsigned_document_canonicalises_to_the_published_bytes() {
    let unsigned = text("unsigned.json");
    let canonical = canonical::canonicalize(unsigned.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(canonical).unwrap(), text("eddsa-jcs-2022/canonDocJCS.txt"));
}

#[test]
fn the_proof_configuration_is_the_published_one_and_canonicalises_to_its_bytes() {
    let config = published_proof_config();
    assert_eq!(config, json("eddsa-jcs-2022/proofConfigJCS.json"));
    let unsigned = json("unsigned.json");
    let built = proof_config(unsigned.as_object().unwrap(), &published_options());
    assert_eq!(Value::Object(built), config);
    let canonical = canonical::to_vec(&config).unwrap();
    assert_eq!(String::from_utf8(canonical).unwrap(), text("eddsa-jcs-2022/proofCanonJCS.txt"));
}

#[test]
fn hashes_signature_and_proof_value_match_byte_for_byte() {
    let hashes = HashData::new(&published_proof_config(), &json("unsigned.json")).unwrap();
    assert_eq!(hashes.document_canonical, text("eddsa-jcs-2022/canonDocJCS.txt").into_bytes());
    assert_eq!(hashes.proof_canonical, text("eddsa-jcs-2022/proofCanonJCS.txt").into_bytes());
    assert_eq!(hex::encode(hashes.document_hash), text("eddsa-jcs-2022/docHashJCS.txt"));
    assert_eq!(hex::encode(hashes.proof_hash), text("eddsa-jcs-2022/proofHashJCS.txt"));
    assert_eq!(hex::encode(hashes.signing_input()), text("eddsa-jcs-2022/combinedHashJCS.txt"));

    let (secret, _) = key_pair();
    let signature = keys::sign(&secret, &hashes.signing_input());
    assert_eq!(hex::encode(signature.0), text("eddsa-jcs-2022/sigHexJCS.txt"));
    let proof_value = ProofValue(signature);
    assert_eq!(proof_value.to_string(), text("eddsa-jcs-2022/sigBTC58JCS.txt"));
    assert_eq!(ProofValue::parse(&text("eddsa-jcs-2022/sigBTC58JCS.txt")), Ok(proof_value));
}

#[test]
fn signing_the_unsigned_document_gives_the_published_secured_document() {
    let (secret, _) = key_pair();
    let secured = sign_document(&json("unsigned.json"), &published_options(), &secret).unwrap();
    let published = json("eddsa-jcs-2022/signedJCS.json");
    assert_eq!(secured, published);
    assert_eq!(canonical::to_vec(&secured).unwrap(), canonical::to_vec(&published).unwrap());
}

#[test]
fn the_published_secured_document_verifies() {
    let (_, public) = key_pair();
    let bytes = text("eddsa-jcs-2022/signedJCS.json");
    let document = verify_document_bytes(bytes.as_bytes(), &public).unwrap();
    assert_eq!(document, json("eddsa-jcs-2022/signedJCS.json"));
}

/// The published secured document with one change.
fn tampered(change: impl FnOnce(&mut Value)) -> Value {
    let mut document = json("eddsa-jcs-2022/signedJCS.json");
    change(&mut document);
    document
}

#[test]
fn tampered_copies_of_the_published_document_fail_with_their_reason() {
    let (_, public) = key_pair();
    let verify = |document: Value| verify_document(&document, &public);

    let subject = tampered(|d| d["credentialSubject"]["alumniOf"] = "The School of Forgery".into());
    assert_eq!(verify(subject), Err(CredentialError::SignatureInvalid));
    let added = tampered(|d| d["credentialSubject"]["honours"] = "summa cum laude".into());
    assert_eq!(verify(added), Err(CredentialError::SignatureInvalid));
    let created = tampered(|d| d["proof"]["created"] = "2023-02-24T23:36:39Z".into());
    assert_eq!(verify(created), Err(CredentialError::SignatureInvalid));
    let purpose = tampered(|d| d["proof"]["proofPurpose"] = "authentication".into());
    assert!(matches!(verify(purpose), Err(CredentialError::ProofField { field: "proofPurpose", .. })));
    let suite = tampered(|d| d["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into());
    assert!(matches!(verify(suite), Err(CredentialError::ProofField { field: "cryptosuite", .. })));
    let context = tampered(|d| d["@context"].as_array_mut().unwrap().push("https://example.org/extra".into()));
    assert_eq!(verify(context), Err(CredentialError::ContextMismatch));
    let unproven = tampered(|d| {
        d.as_object_mut().unwrap().remove("proof");
    });
    assert_eq!(verify(unproven), Err(CredentialError::MissingProof));
    let short = tampered(|d| d["proof"]["proofValue"] = multibase::encode_base58btc(&[1; 63]).into());
    assert!(matches!(verify(short), Err(CredentialError::ProofValue(_))));

    // Another signature of the right length: the last base58 digit changed.
    let mut value = text("eddsa-jcs-2022/sigBTC58JCS.txt");
    let last = value.pop().unwrap();
    value.push(if last == 'X' { 'Y' } else { 'X' });
    let forged = tampered(|d| d["proof"]["proofValue"] = value.into());
    assert_eq!(verify(forged), Err(CredentialError::SignatureInvalid));

    let other = keys::public_key(&SigningKey::from_bytes(&[42; 32]));
    let wrong_key = verify_document(&json("eddsa-jcs-2022/signedJCS.json"), &other);
    assert!(matches!(wrong_key, Err(CredentialError::KeyMismatch { .. })));
}

#[test]
fn duplicate_keys_in_the_text_are_refused_before_verifying() {
    let (_, public) = key_pair();
    let bytes = text("eddsa-jcs-2022/signedJCS.json").replacen(
        "\"name\": \"Alumni Credential\",",
        "\"name\": \"Alumni Credential\", \"name\": \"Forged\",",
        1,
    );
    let err = verify_document_bytes(bytes.as_bytes(), &public).unwrap_err();
    assert!(matches!(&err, CredentialError::Json(reason) if reason.contains("duplicate key")), "{err}");
}
