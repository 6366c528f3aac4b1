//! Client-side signing over HTTP: an applicant who signs on their own
//! device submits their grant as a signed entry, and an agency that keeps
//! its own key prepares a read, signs it, and gets the bytes only once the
//! use is on the service chain. The node never holds either key.

use crate::service_support::{new_document, CONTENT, MATTER, PURPOSE};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ed25519_dalek::SigningKey;
use http_body_util::BodyExt;
use safebox_api::auth::Principal;
use safebox_api::catalog::Catalog;
use safebox_api::http::{app, AppState};
use safebox_chain::payload::{GrantGiven, Payload};
use safebox_chain::{keys, ChainId, Entry, GrantId, MatterCode, Purpose, SignedEntry, Timestamp};
use safebox_tests::TestNode;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn post(router: &Router, uri: &str, token: &str, body: &Value) -> (StatusCode, Vec<u8>) {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn device_signed_grants_and_agency_signed_reads_go_through_http() {
    let t = TestNode::new();
    let device = SigningKey::from_bytes(&[61; 32]);
    let opened = t.node.open_box("370102199001011234", Some(keys::public_key(&device))).unwrap();
    let meta = t.node.upload_document(opened.box_id, &new_document("id-card"), CONTENT).unwrap();
    let document = t.node.document_ref(opened.box_id, &meta.document_type).unwrap();
    let applicant = t.node.tokens.issue(Principal::Applicant { box_id: opened.box_id }, "device").unwrap().token;
    let agency = t.node.tokens.issue(Principal::Agency { agency: t.agency.clone() }, "own key").unwrap().token;
    let router = app(AppState::new(t.node.clone(), Catalog::example()));

    // The applicant's device signs the grant; the node only checks it.
    let grant = GrantId([4; 16]);
    let given = Payload::GrantGiven(GrantGiven {
        grant,
        box_ref: opened.box_ref,
        agency: t.agency.clone(),
        documents: vec![document],
        matter: MatterCode::parse(MATTER).unwrap(),
        purpose: Purpose::parse(PURPOSE).unwrap(),
        expires: Timestamp(Timestamp::now().0 + 3_600_000),
    });
    let signed = Entry::new(ChainId::Service, &keys::public_key(&device), given).sign(&device);
    let wire: Value = serde_json::from_slice(&signed.canonical_bytes()).unwrap();
    // Another applicant's token cannot submit it.
    let other_box = t.node.open_box("110101199003070011", None).unwrap();
    let other = t.node.tokens.issue(Principal::Applicant { box_id: other_box.box_id }, "other").unwrap().token;
    let (status, _) = post(&router, "/v1/chains/service/entries", other.as_str(), &wire).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an entry by another's key is refused");
    let (status, body) = post(&router, "/v1/chains/service/entries", applicant.as_str(), &wire).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));

    // The agency prepares the read, signs it with its own key, sends it.
    let request =
        json!({ "box": opened.box_ref, "grant": grant, "document": document, "matter": MATTER, "purpose": PURPOSE });
    let (status, body) = post(&router, "/v1/uses/prepare", agency.as_str(), &request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let prepared: Value = serde_json::from_slice(&body).unwrap();
    let entry_bytes = serde_json::to_vec(&prepared["entry"]).unwrap();
    let unsigned = SignedEntry::from_json(&entry_bytes).map(|e| e.entry).or_else(|_| {
        // The prepared entry has no `sig`: read it by adding a placeholder.
        let mut with_sig = prepared["entry"].clone();
        with_sig["sig"] = json!(base64_zero_signature());
        SignedEntry::from_json(&serde_json::to_vec(&with_sig).unwrap()).map(|e| e.entry)
    });
    let unsigned = unsigned.expect("the prepared entry reads back");
    assert_eq!(unsigned.signing_bytes(), entry_bytes, "the prepared JSON is exactly what is signed");
    let signed_use = unsigned.sign(&t.agency_key);
    let before = t.node.ledger.head(ChainId::Service).unwrap().size;
    let wire: Value = serde_json::from_slice(&signed_use.canonical_bytes()).unwrap();
    let (status, bytes) = post(&router, "/v1/uses/signed", agency.as_str(), &wire).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(bytes, CONTENT);
    assert_eq!(t.node.ledger.head(ChainId::Service).unwrap().size, before + 1, "the use was recorded");
    // A use signed by a key that is not the agency's is refused before any
    // byte leaves.
    let forged = Entry { author: keys::public_key(&device).id(), ..signed_use.entry.clone() }.sign(&device);
    let wire: Value = serde_json::from_slice(&forged.canonical_bytes()).unwrap();
    let (status, bytes) = post(&router, "/v1/uses/signed", agency.as_str(), &wire).await;
    assert!(status.is_client_error(), "{status}");
    assert!(!bytes.windows(CONTENT.len()).any(|w| w == CONTENT), "a refused read handed out the document");
}

fn base64_zero_signature() -> String {
    use base64::prelude::*;
    BASE64_STANDARD.encode([0u8; 64])
}
