//! Fuzzes proof bundles as an offline verifier receives them
//! (`safebox license verify BUNDLE`, `BundleVerifier`), seeded with the
//! bundles of a real `safebox demo` run.
//!
//! Properties:
//! - soundness: a verifier that trusts the demo node's key finds a bundle
//!   valid only for a credential the demo node issued (its digest is one of
//!   the demo's) and a license it issued;
//! - the memo never changes a verdict: a verifier that has verified other
//!   bundles answers exactly as a new one;
//! - the two readers agree: the borrowing one `verify` uses and the owning
//!   `ProofBundle` give the same verdict, and a bundle written back by
//!   `ProofBundle` reads and verifies the same;
//! - trusting the node key, or taking the same key from the bundle, gives
//!   the same outcome of every check.
#![no_main]

#[path = "shared/demo.rs"]
mod demo;

use demo::{Demo, NOW};
use libfuzzer_sys::fuzz_target;
use safebox_chain::credential::{credential_digest, SignedLicense};
use safebox_chain::verify::{BundleVerifier, ProofBundle, Verdict};
use std::sync::{LazyLock, Mutex};

static DEMO: LazyLock<Demo> = LazyLock::new(Demo::load);

/// A verifier kept across inputs, warmed with the demo's own bundles.
static WARM: LazyLock<Mutex<BundleVerifier>> = LazyLock::new(|| {
    let mut verifier = DEMO.verifier();
    for bytes in demo::BUNDLES {
        verifier.verify(bytes, NOW).expect("a demo bundle reads");
    }
    Mutex::new(verifier)
});

/// Each check's outcome, without its words (which name the basis).
fn outcomes(verdict: &Verdict) -> Vec<(String, bool, bool)> {
    verdict.checks.iter().map(|c| (c.name.to_string(), c.passed(), c.failed())).collect()
}

fuzz_target!(|data: &[u8]| {
    let demo = &*DEMO;
    let mut fresh = demo.verifier();
    let answer = fresh.verify(data, NOW);
    let warm = WARM.lock().unwrap_or_else(|e| e.into_inner()).verify(data, NOW);
    assert_eq!(answer, warm, "a verifier's memo changed a verdict");
    let Ok(verdict) = answer else { return };

    let bundle = ProofBundle::from_json_bytes(data).expect("what the borrowing reader reads, the owning one reads");
    assert_eq!(fresh.verify_bundle(&bundle, NOW), verdict, "the two readers disagree");
    let written = bundle.to_json_bytes();
    let again = ProofBundle::from_json_bytes(&written).expect("a written bundle reads back");
    assert_eq!(again.to_json_bytes(), written, "a bundle writes back the same");
    assert_eq!(fresh.verify(&written, NOW).as_ref(), Ok(&verdict), "a written bundle verifies the same");

    if bundle.node_key == demo.node_key.as_str() {
        let untrusted = BundleVerifier::new(None).verify(data, NOW).expect("it read once");
        assert_eq!(outcomes(&untrusted), outcomes(&verdict), "the same key, trusted or from the bundle");
    }

    if verdict.is_valid() {
        let license = SignedLicense::from_json_bytes(bundle.credential.get().as_bytes())
            .expect("a valid bundle's credential reads on the general path");
        let digest = credential_digest(&license);
        assert!(demo.digests.contains(&digest), "a credential the demo node never issued is valid: {verdict:?}");
        let id = license.license().identifier();
        assert_eq!(verdict.license.as_ref(), Some(id));
        assert!(
            demo.bundles.iter().any(|b| b.status.leaf.license == id.license_id()),
            "a license the demo node never issued is valid"
        );
    }
});
