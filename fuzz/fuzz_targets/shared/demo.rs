//! The proof bundles of one `safebox demo` run, committed as the bundle
//! target's seed corpus, and what an honest verifier knows of them: the
//! node's verifier key, the licenses it issued and their credentials'
//! digests. The `bundle` and `credential` targets judge verdicts by them.

use safebox_chain::credential::{credential_digest, SignedLicense};
use safebox_chain::verify::{BundleVerifier, NodeVerifierKey, ProofBundle};
use safebox_chain::{CredentialDigest, Timestamp};

/// The demo's bundles, exactly as `safebox demo` wrote them.
pub const BUNDLES: [&[u8]; 5] = [
    include_bytes!("../../corpus/bundle/demo-1.json"),
    include_bytes!("../../corpus/bundle/demo-2.json"),
    include_bytes!("../../corpus/bundle/demo-3.json"),
    include_bytes!("../../corpus/bundle/demo-4.json"),
    include_bytes!("../../corpus/bundle/demo-5.json"),
];

/// A fixed time of verification, a day after the demo's export, within
/// every demo license's validity: verdicts must not depend on the clock.
pub const NOW: Timestamp = Timestamp(1_795_574_499_819);

/// What the demo node issued.
pub struct Demo {
    pub node_key: NodeVerifierKey,
    pub digests: Vec<CredentialDigest>,
    pub bundles: Vec<ProofBundle>,
}

impl Demo {
    pub fn load() -> Demo {
        let bundles: Vec<ProofBundle> =
            BUNDLES.iter().map(|b| ProofBundle::from_json_bytes(b).expect("a demo bundle reads")).collect();
        let node_key = NodeVerifierKey::parse(&bundles[0].node_key).expect("the demo's node key reads");
        let digests = bundles
            .iter()
            .map(|b| {
                let license = SignedLicense::from_json_bytes(b.credential.get().as_bytes()).expect("a demo credential");
                credential_digest(&license)
            })
            .collect();
        let demo = Demo { node_key, digests, bundles };
        // The seeds themselves are valid: otherwise the targets would test
        // nothing of the valid path.
        let mut verifier = demo.verifier();
        for bytes in BUNDLES {
            let verdict = verifier.verify(bytes, NOW).expect("a demo bundle reads");
            assert!(verdict.is_valid(), "a demo bundle is valid at NOW: {verdict:?}");
        }
        demo
    }

    /// A verifier trusting the demo node's key.
    pub fn verifier(&self) -> BundleVerifier {
        BundleVerifier::new(Some(self.node_key.clone()))
    }
}
