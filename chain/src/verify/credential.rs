//! The checks that rest on the credential alone, the same online and
//! offline: reading it, its signature, and its validity window.

use super::canonical_text::{canonical_object, without_member};
use super::verdict::{CheckName, Checks};
use crate::credential::{credential_digest, verify_license_signature, LicenseIdentifier, SignedLicense, UtcTime};
use crate::hash::CredentialDigest;
use crate::keys::{KeyId, PublicKey};
use crate::time::Timestamp;
use sha2::{Digest, Sha256};

/// A credential whose proof verified with the key it names.
pub(crate) struct Signed {
    pub license: SignedLicense,
    /// The key the proof's `verificationMethod` names (and that signed).
    pub key: PublicKey,
    pub key_id: KeyId,
    /// What the license chain must record for it.
    pub digest: CredentialDigest,
}

impl Signed {
    pub fn identifier(&self) -> &LicenseIdentifier {
        self.license.license().identifier()
    }
}

/// Reads the credential strictly and checks its signature, recording the
/// `signature` check. On failure every other check is recorded as not
/// checked: without the issuer's signature nothing in the credential is
/// the issuer's word, not even which license or key it names.
pub(crate) fn check_signature(bytes: &[u8], checks: &mut Checks) -> (Option<LicenseIdentifier>, Option<Signed>) {
    if let Some((license, digest)) = std::str::from_utf8(bytes).ok().and_then(verify_canonical) {
        return (Some(license.license().identifier().clone()), Some(passed(license, digest, checks)));
    }
    let license = match SignedLicense::from_json_bytes(bytes) {
        Ok(license) => license,
        Err(e) => {
            fail_signature(checks, format!("the credential is not a readable Safebox e-license: {e}"));
            return (None, None);
        }
    };
    let identifier = license.license().identifier().clone();
    let method = &license.proof().verification_method;
    let key = *method.public_key();
    if let Err(e) = verify_license_signature(&license, &key) {
        fail_signature(checks, format!("{e} (verificationMethod {method})"));
        return (Some(identifier), None);
    }
    let digest = credential_digest(&license);
    (Some(identifier), Some(passed(license, digest, checks)))
}

/// Records a verified signature.
fn passed(license: SignedLicense, digest: CredentialDigest, checks: &mut Checks) -> Signed {
    let key = *license.proof().verification_method.public_key();
    let key_id = key.id();
    checks.pass(
        CheckName::Signature,
        format!(
            "eddsa-jcs-2022 proof created {} verifies with key {key_id} ({key}) named by its verificationMethod",
            license.proof().created
        ),
    );
    Signed { license, key, key_id, digest }
}

/// The signature check for a credential whose text is already canonical
/// (as Safebox stores, sends and bundles it): the same verification as
/// `SignedLicense::from_json_bytes` then `verify_license_signature` then
/// `credential_digest`, with the canonical bytes each needs taken from the
/// text instead of written again (see `canonical_text`).
///
/// Returns `None` for anything but success (text not canonical, not a
/// Safebox e-license, signature not verifying): the caller then takes the
/// general path, which gives the reason. So this path can only ever agree
/// with the general one, and is only faster.
fn verify_canonical(text: &str) -> Option<(SignedLicense, CredentialDigest)> {
    let members = canonical_object(text)?;
    let proof = members.iter().find(|m| m.key == "proof")?;
    let proof_text = proof.value_text(text);
    let proof_members = canonical_object(proof_text)?;
    // Read straight from the text into its types; see
    // `SignedLicense::from_canonical_text` for why that is every check of
    // the general reader, Safebox form included.
    let license = SignedLicense::from_canonical_text(text)?;
    // The canonical bytes of the document without its proof: the text with
    // the member cut out.
    let unsigned = without_member(text, &members, "proof");

    // eddsa-jcs-2022: SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document)),
    // the proof config being every member of the proof but `proofValue`.
    let mut hash_data = [0u8; 64];
    hash_data[..32].copy_from_slice(&Sha256::digest(without_member(proof_text, &proof_members, "proofValue")));
    hash_data[32..].copy_from_slice(&Sha256::digest(&unsigned));
    let proof = license.proof();
    proof.verification_method.public_key().verify(&hash_data, proof.proof_value.signature()).ok()?;
    // The text is the license's canonical bytes.
    let digest = CredentialDigest(Sha256::digest(text.as_bytes()).into());
    Some((license, digest))
}

fn fail_signature(checks: &mut Checks, reason: String) {
    checks.fail(CheckName::Signature, reason);
    for name in [CheckName::IssuerKey, CheckName::OnChain, CheckName::Status, CheckName::Validity] {
        checks.skip(name, CheckName::Signature, "nothing in an unsigned credential is the issuer's word");
    }
}

/// The `validity` check: `now` within `validFrom`..`validUntil` (the end
/// excluded: `validUntil` is the first instant the license is no longer
/// valid).
pub(crate) fn check_validity(signed: &Signed, now: Timestamp, checks: &mut Checks) {
    let license = signed.license.license();
    let from = license.valid_from();
    let until = license.valid_until();
    let at = instant(now);
    let result = if now < from.timestamp() {
        Err(format!("not yet valid: valid from {from}, and the time of verification is {at}"))
    } else if let Some(until) = until.filter(|u| now >= u.timestamp()) {
        Err(format!("expired since {until} (the time of verification is {at})"))
    } else {
        match until {
            Some(until) => Ok(format!("valid from {from} until {until}; the time of verification is {at}")),
            None => Ok(format!("valid from {from}, without end (长期); the time of verification is {at}")),
        }
    };
    checks.record(CheckName::Validity, result);
}

/// A chain timestamp as RFC 3339 text, to the second.
pub(crate) fn instant(time: Timestamp) -> String {
    match UtcTime::from_timestamp(time) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{} ms after the epoch", time.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{
        sign_license, verify_license_bytes, AreaCode, CivilDate, HolderCode, LicenseFields, LicenseTypeCode,
        VerificationMethod,
    };
    use crate::ids::AgencyCode;
    use ed25519_dalek::SigningKey;
    use proptest::prelude::*;
    use serde_json::Value;

    fn signed() -> SignedLicense {
        let key = SigningKey::from_bytes(&[3; 32]);
        let agency = AgencyCode::with_check_character("11370100MB2855910").unwrap();
        let type_code = LicenseTypeCode::parse("11100000000013338W011").unwrap();
        let fields = LicenseFields {
            identifier: LicenseIdentifier::new(&type_code, &agency, "2024000001", 1).unwrap(),
            license_name: "营业执照".into(),
            license_number: "91370100MA3C000001".into(),
            holder_name: "济南\"示例\"科技\\有限公司".into(),
            holder_code: HolderCode::UnifiedSocialCreditCode(agency.clone()),
            issuing_agency: "济南高新区行政审批服务局".into(),
            issue_date: CivilDate::parse("2024-01-02").unwrap(),
            validity_start: CivilDate::parse("2024-01-02").unwrap(),
            validity_end: None,
            jurisdiction_code: AreaCode::parse("370171").unwrap(),
            previous_identifier: None,
        };
        let method = VerificationMethod::did_key(&crate::keys::public_key(&key));
        sign_license(fields, &key, &method, UtcTime::parse("2024-01-02T03:04:05Z").unwrap()).unwrap()
    }

    /// What the general path says of `bytes`: the license and digest when
    /// the signature verifies.
    fn general(bytes: &[u8]) -> Option<(SignedLicense, CredentialDigest)> {
        let license = SignedLicense::from_json_bytes(bytes).ok()?;
        let key = *license.proof().verification_method.public_key();
        verify_license_bytes(bytes, &key).ok()?;
        let digest = credential_digest(&license);
        Some((license, digest))
    }

    #[test]
    fn canonical_text_takes_the_fast_path_and_other_text_the_general_one() {
        let license = signed();
        let text = String::from_utf8(license.canonical_bytes()).unwrap();
        assert_eq!(verify_canonical(&text), Some((license.clone(), credential_digest(&license))));
        assert_eq!(verify_canonical(&text), general(text.as_bytes()));
        let pretty = serde_json::to_string_pretty(&license.to_json()).unwrap();
        assert_eq!(verify_canonical(&pretty), None);
        let mut checks = Checks::new();
        let (_, found) = check_signature(pretty.as_bytes(), &mut checks);
        assert_eq!(found.map(|s| s.digest), Some(credential_digest(&license)));
    }

    /// A `null` optional member reads as absent in a typed reading, so the
    /// general path refuses it as not in Safebox form; the fast path must
    /// refuse it too, even properly signed.
    #[test]
    fn a_signed_null_member_is_refused_on_both_paths() {
        use crate::credential::{sign_document, ProofOptions};
        let key = SigningKey::from_bytes(&[3; 32]);
        let options = ProofOptions {
            verification_method: VerificationMethod::did_key(&crate::keys::public_key(&key)),
            created: Some(UtcTime::parse("2024-01-02T03:04:05Z").unwrap()),
        };
        for (path, member) in [("/credentialSubject", "previousIdentifier"), ("", "validUntil")] {
            let mut unsigned = signed().license().to_json();
            unsigned.pointer_mut(path).unwrap().as_object_mut().unwrap().insert(member.into(), Value::Null);
            let secured = sign_document(&unsigned, &options, &key).unwrap();
            let text = String::from_utf8(crate::canonical::to_vec(&secured).unwrap()).unwrap();
            assert!(canonical_object(&text).is_some(), "{text}");
            assert_eq!(general(text.as_bytes()), None, "{member}");
            assert_eq!(verify_canonical(&text), None, "{member}");
        }
    }

    proptest! {
        /// Whenever the fast path accepts a text, the general path accepts
        /// it too, with the same license and digest.
        #[test]
        fn the_fast_path_never_accepts_what_the_general_path_refuses(at in any::<usize>(), byte in any::<u8>()) {
            let mut bytes = signed().canonical_bytes();
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Some(fast) = verify_canonical(text) {
                    prop_assert_eq!(Some(fast), general(&bytes));
                }
            }
        }
    }
}
