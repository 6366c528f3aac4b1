//! Fuzzes the service catalog file (`safebox serve --catalog FILE`).
//!
//! Properties: a catalog that loads keeps its rules (every bundle names
//! known matters, once each, under a code no matter uses; every matter is
//! found by its code), and the catalog as the node serves it
//! (`GET /v1/catalog`) loads back as the same catalog.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safebox_api::catalog::Catalog;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    let Ok(catalog) = Catalog::from_json(data) else { return };

    assert!(catalog.matters().next().is_some(), "a catalog has a matter");
    for matter in catalog.matters() {
        assert_eq!(catalog.matter(&matter.code), Some(matter));
        assert!(catalog.bundle(&matter.code).is_none(), "a code names a matter or a bundle, not both");
    }
    for bundle in catalog.bundles() {
        assert_eq!(catalog.bundle(&bundle.code), Some(bundle));
        assert!(!bundle.matters.is_empty());
        let distinct: BTreeSet<_> = bundle.matters.iter().collect();
        assert_eq!(distinct.len(), bundle.matters.len(), "a bundle names each matter once");
        for step in &bundle.matters {
            assert!(catalog.matter(step).is_some(), "bundle {} names unknown matter {step}", bundle.code);
        }
    }

    // What `GET /v1/catalog` serves (api/src/http/applications.rs).
    let served = serde_json::json!({
        "matters": catalog.matters().collect::<Vec<_>>(),
        "bundles": catalog.bundles().collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&served).expect("a catalog serialises");
    match Catalog::from_json(&bytes) {
        Ok(again) => assert_eq!(again, catalog, "the served catalog loads back as the same catalog"),
        Err(e) => panic!("the served catalog does not load back: {e}"),
    }
});
