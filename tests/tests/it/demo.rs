//! `safebox demo --data DIR` as a user runs it: the seed case end to end
//! on an embedded node, the reduction printed from the chain's totals, a
//! folder that audits clean and opens as a node, and proof bundles that
//! verify offline with no node running.

use safebox_api::datadir::DataDir;
use safebox_api::Node;
use safebox_tests::safebox_bin;
use std::process::Command;

#[test]
fn the_demo_runs_the_seed_case_and_leaves_a_node_with_verifiable_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo");
    let out = Command::new(safebox_bin()).args(["demo", "--data"]).arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    for step in ["企业设立登记", "公章刻制备案", "银行开户", "税务登记", "社会保险登记"] {
        assert!(stdout.contains(step), "step {step} not shown:\n{stdout}");
    }
    assert!(stdout.contains("this bundle: 14 materials required, 12 reused, 2 submitted"), "{stdout}");
    assert!(stdout.contains("reduction in submitted materials: 85.7%"), "{stdout}");

    let bundles: Vec<_> = std::fs::read_dir(data.join("bundles")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(bundles.len(), 5, "one bundle per license issued");
    for bundle in &bundles {
        let verify = Command::new(safebox_bin()).args(["license", "verify"]).arg(bundle).output().unwrap();
        assert!(
            verify.status.success(),
            "{} does not verify: {}",
            bundle.display(),
            String::from_utf8_lossy(&verify.stdout)
        );
    }
    let audit = Command::new(safebox_bin()).args(["audit", "--data"]).arg(&data).output().unwrap();
    assert!(audit.status.success(), "audit: {}", String::from_utf8_lossy(&audit.stdout));

    // The folder is a node: it opens, and a second run adds a second
    // applicant whose totals add up on the chain.
    let node = Node::open(DataDir::new(&data)).expect("the demo folder opens as a node");
    let totals = node.application_totals().unwrap();
    assert_eq!((totals.applications, totals.required, totals.reused, totals.submitted), (5, 14, 12, 2));
    node.ledger.shutdown();
    drop(node);
    let again = Command::new(safebox_bin()).args(["demo", "--data"]).arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(stdout.contains("node totals from the service chain: 10 applications, 28 materials required"), "{stdout}");
}
