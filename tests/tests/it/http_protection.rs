//! What protects a node from its callers: a full node answers 503 at once
//! and keeps running, a request that takes too long is answered 503, and
//! the Prometheus metrics count what happened.

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use safebox_api::auth::Principal;
use safebox_api::catalog::Catalog;
use safebox_api::http::{app, AppState, Limits};
use safebox_tests::TestNode;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use tower::ServiceExt;

fn router(t: &TestNode, limits: Limits) -> Router {
    let mut state = AppState::new(t.node.clone(), Catalog::example());
    state.limits = limits;
    app(state)
}

/// An upload whose body stays open until the sender is dropped: it holds
/// its place in the node for as long as the test wants.
fn held_upload(box_id: &str, token: &str) -> (Request<Body>, mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let request = Request::post(format!("/v1/boxes/{box_id}/documents?type=lease&name=lease.pdf"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from_stream(stream))
        .unwrap();
    (request, tx)
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_node_answers_503_at_once_and_keeps_running() {
    let t = TestNode::new();
    let opened = t.node.open_box("370102199001011234", None).unwrap();
    let token = t.node.tokens.issue(Principal::Applicant { box_id: opened.box_id }, "t").unwrap().token;
    let router = router(&t, Limits { concurrency: 2, ..Limits::default() });
    let mut held = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (request, tx) = held_upload(&opened.box_id.to_string(), token.as_str());
        tx.send(Ok(Bytes::from_static(b"first part "))).await.unwrap();
        senders.push(tx);
        let router = router.clone();
        held.push(tokio::spawn(async move { call(&router, request).await }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = call(&router, get("/v1/node")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["type"], "https://safebox.dev/problems/overloaded");
    // The held requests finish normally, and the node answers again.
    drop(senders);
    for upload in held {
        let (status, body) = upload.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(call(&router, get("/v1/node")).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_takes_too_long_is_answered_503() {
    let t = TestNode::new();
    let opened = t.node.open_box("370102199001011234", None).unwrap();
    let token = t.node.tokens.issue(Principal::Applicant { box_id: opened.box_id }, "t").unwrap().token;
    let router = router(&t, Limits { timeout: Duration::from_millis(200), ..Limits::default() });
    let (request, tx) = held_upload(&opened.box_id.to_string(), token.as_str());
    tx.send(Ok(Bytes::from_static(b"part of a lease"))).await.unwrap();
    let (status, body) = call(&router, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["type"], "https://safebox.dev/problems/timeout");
    // The client ends the body after it was told the request failed:
    // nothing of the abandoned upload may be kept.
    drop(tx);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(t.node.documents(opened.box_id).unwrap().is_empty(), "an abandoned upload was stored");
    assert_eq!(call(&router, get("/v1/node")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_verifications_proofs_and_appends() {
    let t = TestNode::new();
    t.issue_many("metrics", 10, 2);
    let auditor = t.node.tokens.issue(Principal::Auditor, "prometheus").unwrap().token;
    let router = router(&t, Limits::default());
    call(&router, get("/v1/chains/license/proofs/inclusion?index=1&size=5")).await;
    call(&router, get("/v1/chains/license/proofs/inclusion?index=9&size=5")).await;
    let verify =
        Request::post("/v1/licenses/verify").header("content-type", "application/json").body(Body::from("{}")).unwrap();
    call(&router, verify).await;
    let (status, _) = call(&router, get("/metrics")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "metrics need an auditor's or admin's token");
    let scrape = Request::get("/metrics")
        .header("authorization", format!("Bearer {}", auditor.as_str()))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(scrape).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    for line in [
        r#"safebox_proof_requests_total{kind="inclusion"} 2"#,
        r#"safebox_license_verifications_total{mode="online",outcome="invalid"} 1"#,
        r#"safebox_chain_entries{chain="license"} 12"#,
        r#"safebox_http_requests_total{method="GET",route="/v1/chains/{chain}/proofs/inclusion",status="400"} 1"#,
        r#"safebox_http_requests_total{method="GET",route="/metrics",status="401"} 1"#,
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    assert!(text.contains("safebox_http_request_seconds_bucket"), "latency histogram missing");
    // The node runs in this process here: its resident memory is this
    // process's, at most the peak the kernel reports after the scrape.
    let resident: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("safebox_process_resident_bytes "))
        .expect("resident memory gauge")
        .parse()
        .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(resident > 1 << 20 && resident <= peak_kib * 1024, "resident {resident} B, peak {peak_kib} KiB");
}
