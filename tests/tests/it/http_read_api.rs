//! The chains' read API through `app()` with `oneshot`: every route's
//! answer checked against the ledger, and every bad request answered with a
//! 4xx problem document, never a 5xx.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use safebox_api::catalog::Catalog;
use safebox_api::http::{app, AppState};
use safebox_chain::checkpoint;
use safebox_chain::proof::{ConsistencyProof, InclusionProof};
use safebox_chain::{ChainId, EntryHash};
use safebox_tests::TestNode;
use serde_json::Value;
use tower::ServiceExt;

async fn get(t: &TestNode, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let router = app(AppState::new(t.node.clone(), Catalog::example()));
    let response = router.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, content_type, body)
}

fn node_with_entries() -> TestNode {
    let t = TestNode::new();
    t.issue_many("http", 300, 8);
    t
}

#[tokio::test]
async fn node_info_names_origins_and_keys() {
    let t = node_with_entries();
    let (status, _, body) = get(&t, "/v1/node").await;
    assert_eq!(status, StatusCode::OK);
    let info: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(info["name"], "test.safebox");
    assert_eq!(info["chains"][0]["origin"], "test.safebox/license");
    assert_eq!(info["chains"][1]["origin"], "test.safebox/service");
    assert_eq!(info["chains"][0]["size"], 302);
    assert_eq!(info["node_key"], t.node.ledger.node_key().to_string());
    let vkey = info["chains"][0]["verifier_key"].as_str().unwrap();
    assert!(vkey.starts_with("test.safebox/license+"), "{vkey}");
}

#[tokio::test]
async fn checkpoint_entries_and_proofs_verify_together() {
    let t = node_with_entries();
    let ledger = &t.node.ledger;
    let (status, content_type, note) = get(&t, "/v1/chains/license/checkpoint").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"));
    let head = checkpoint::verify(&note, "test.safebox/license", &ledger.node_key()).unwrap();
    assert_eq!(head.size, 302);

    let (status, _, entry) = get(&t, "/v1/chains/license/entries/150").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entry, ledger.entry(ChainId::License, 150).unwrap());

    let (status, _, body) = get(&t, "/v1/chains/license/proofs/inclusion?index=150&size=302").await;
    assert_eq!(status, StatusCode::OK);
    let proof: InclusionProof = serde_json::from_slice(&body).unwrap();
    proof.verify(&EntryHash::of_entry(&entry), &head.root).unwrap();

    let old_root = ledger.root_at(ChainId::License, 100).unwrap();
    let (status, _, body) = get(&t, "/v1/chains/license/proofs/consistency?from=100&to=302").await;
    assert_eq!(status, StatusCode::OK);
    let proof: ConsistencyProof = serde_json::from_slice(&body).unwrap();
    proof.verify(&old_root, &head.root).unwrap();
}

#[tokio::test]
async fn tiles_serve_hashes_and_entry_bundles() {
    let t = node_with_entries();
    let ledger = &t.node.ledger;
    // A full level-0 tile: the leaf hashes of entries 0..256.
    let (status, _, tile) = get(&t, "/v1/chains/license/tile/0/000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tile.len(), 256 * 32);
    for i in [0usize, 1, 255] {
        let leaf = EntryHash::of_entry(&ledger.entry(ChainId::License, i as u64).unwrap());
        assert_eq!(&tile[i * 32..(i + 1) * 32], leaf.as_bytes());
    }
    // The partial entry bundle that follows: entries 256..302.
    let (status, _, bundle) = get(&t, "/v1/chains/license/tile/entries/001.p/46").await;
    assert_eq!(status, StatusCode::OK);
    let mut rest = &bundle[..];
    for i in 256..302u64 {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        assert_eq!(&rest[2..2 + len], &ledger.entry(ChainId::License, i).unwrap()[..]);
        rest = &rest[2 + len..];
    }
    assert!(rest.is_empty());
    // A tile beyond the tree does not exist yet.
    let (status, _, _) = get(&t, "/v1/chains/license/tile/0/001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_get_problem_documents_never_5xx() {
    let t = node_with_entries();
    let cases = [
        ("/v1/chains/nope/checkpoint", 404, "no-such-chain"),
        ("/v1/chains/license/entries/abc", 400, "bad-number"),
        ("/v1/chains/license/entries/-1", 400, "bad-number"),
        ("/v1/chains/license/entries/302", 404, "no-such-entry"),
        ("/v1/chains/license/entries/18446744073709551615", 404, "no-such-entry"),
        ("/v1/chains/license/entries/99999999999999999999999", 400, "bad-number"),
        ("/v1/chains/license/proofs/inclusion", 400, "missing-parameter"),
        ("/v1/chains/license/proofs/inclusion?index=5&size=3", 400, "bad-proof-request"),
        ("/v1/chains/license/proofs/inclusion?index=0&size=0", 400, "bad-proof-request"),
        ("/v1/chains/license/proofs/inclusion?index=1&size=9999", 400, "size-beyond-head"),
        ("/v1/chains/license/proofs/inclusion?index=x&size=2", 400, "bad-number"),
        ("/v1/chains/license/proofs/consistency?from=0&to=5", 400, "bad-proof-request"),
        ("/v1/chains/license/proofs/consistency?from=9&to=5", 400, "bad-proof-request"),
        ("/v1/chains/license/proofs/consistency?from=1&to=303", 400, "size-beyond-head"),
        ("/v1/chains/license/tile/9/000", 404, "no-such-tile"),
        ("/v1/chains/license/tile/0/abc", 400, "bad-tile-path"),
        ("/v1/chains/license/tile/entries/000.p/0", 400, "bad-tile-path"),
        ("/v1/chains/service/tile/0/x999/999", 404, "no-such-tile"),
        ("/v1/nothing-here", 404, "no-such-route"),
    ];
    for (uri, want, kind) in cases {
        let (status, content_type, body) = get(&t, uri).await;
        assert_eq!(status.as_u16(), want, "{uri}: {}", String::from_utf8_lossy(&body));
        assert_eq!(content_type, "application/problem+json", "{uri}");
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], want, "{uri}");
        assert!(problem["type"].as_str().unwrap().ends_with(kind), "{uri}: {problem}");
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{uri}");
    }
}
