//! Fuzzes e-license credentials (W3C VC 2.0 JSON with an eddsa-jcs-2022
//! proof) as a verifier receives them: posted to `/v1/licenses/verify`, or
//! inside a proof bundle.
//!
//! The input is the credential's text. Properties:
//! - a credential that reads is written back (canonical form) as the same
//!   license, and reads again the same;
//! - its signature verifies over the text as received exactly when it
//!   verifies over the license as read (`verify_license_bytes` and
//!   `verify_license_signature` agree);
//! - put in place of the credential of a real demo bundle and verified
//!   offline (where canonical text takes the fast path), the `signature`
//!   check passes exactly when the general path above says it verifies,
//!   names the same license, and `on_chain` passes only for the very
//!   credential the chain recorded.
#![no_main]

#[path = "shared/demo.rs"]
mod demo;

use demo::{Demo, NOW};
use libfuzzer_sys::fuzz_target;
use safebox_chain::credential::{credential_digest, verify_license_bytes, verify_license_signature, SignedLicense};
use safebox_chain::verify::{BundleVerifier, CheckName};
use std::sync::{LazyLock, Mutex};

static DEMO: LazyLock<Demo> = LazyLock::new(Demo::load);

/// The demo's first bundle, cut around its credential: `before`, the
/// credential's text, `after`.
static TEMPLATE: LazyLock<(String, String)> = LazyLock::new(|| {
    let text = std::str::from_utf8(demo::BUNDLES[0]).expect("a demo bundle is UTF-8");
    let credential = DEMO.bundles[0].credential.get();
    let at = text.find(credential).expect("the bundle holds its credential's text");
    (text[..at].to_owned(), text[at + credential.len()..].to_owned())
});

static VERIFIER: LazyLock<Mutex<BundleVerifier>> = LazyLock::new(|| Mutex::new(DEMO.verifier()));

fuzz_target!(|data: &[u8]| {
    let general = SignedLicense::from_json_bytes(data).ok().map(|license| {
        let canonical = license.canonical_bytes();
        let again = SignedLicense::from_json_bytes(&canonical).expect("a license's canonical bytes read back");
        assert_eq!(again, license, "canonical form reads back as the same license");
        assert_eq!(again.canonical_bytes(), canonical);
        let key = *license.proof().verification_method.public_key();
        let signed = verify_license_signature(&license, &key).is_ok();
        match verify_license_bytes(data, &key) {
            Ok(read) => {
                assert!(signed, "the text verifies but the license read from it does not");
                assert_eq!(read, license);
            }
            Err(e) => assert!(!signed, "the license verifies but the text it was read from does not: {e}"),
        }
        (license, signed)
    });

    let Ok(text) = std::str::from_utf8(data) else { return };
    let (before, after) = &*TEMPLATE;
    let bundle = format!("{before}{text}{after}");
    let Ok(verdict) = VERIFIER.lock().unwrap_or_else(|e| e.into_inner()).verify(bundle.as_bytes(), NOW) else {
        // Not JSON where the credential goes: the bundle does not read.
        return;
    };
    let check = |name| verdict.check(name).expect("every check is reported");
    let signature_ok = check(CheckName::Signature).passed();
    assert_eq!(
        signature_ok,
        general.as_ref().is_some_and(|(_, signed)| *signed),
        "the bundle's signature check and the general path disagree: {verdict:?}"
    );
    if let Some((license, _)) = &general {
        assert_eq!(verdict.license.as_ref(), Some(license.license().identifier()));
        if check(CheckName::OnChain).passed() {
            assert_eq!(credential_digest(license), DEMO.digests[0], "on chain, but not the credential recorded");
        }
    }
});
