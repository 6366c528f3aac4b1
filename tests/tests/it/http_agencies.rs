//! Agencies over HTTP, as the admin runs them: registered with a key the
//! node keeps, listed publicly, rotated, retired; a retired agency issues
//! nothing more, and what it issued before still verifies.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use safebox_api::auth::Principal;
use safebox_api::catalog::Catalog;
use safebox_api::http::{app, AppState};
use safebox_tests::TestNode;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn call(router: &Router, method: &str, uri: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(v) => {
            request = request.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&v).unwrap())
        }
        None => Body::empty(),
    };
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_admin_registers_rotates_and_retires_an_agency() {
    let t = TestNode::new();
    let admin = t.node.tokens.issue(Principal::Admin, "admin").unwrap().token;
    let router = app(AppState::new(t.node.clone(), Catalog::example()));
    let code = safebox_chain::AgencyCode::with_check_character("11370100MB2855932").unwrap();
    let body = json!({ "code": code, "name": "中国人民银行济南分行" });
    let (status, registered) = call(&router, "POST", "/v1/agencies", admin.as_str(), Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let (status, again) = call(&router, "POST", "/v1/agencies", admin.as_str(), Some(body)).await;
    assert_eq!((status, again["type"].as_str()), (StatusCode::CONFLICT, Some("https://safebox.dev/problems/refused")));
    let (_, list) = call(&router, "GET", "/v1/agencies", admin.as_str(), None).await;
    assert!(list.as_array().unwrap().iter().any(|a| a["code"] == code.as_str()), "{list}");

    let rotate = format!("/v1/agencies/{code}/key-rotation");
    let (status, rotated) = call(&router, "POST", &rotate, admin.as_str(), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["key"], registered["key"], "a new key signs for the agency");

    // The agency issues a license into a box with its (node-held) key.
    let agency = t.node.tokens.issue(Principal::Agency { agency: code.clone() }, "bank").unwrap().token;
    let opened = t.node.open_box("370102199001011234", None).unwrap();
    let issue = json!({
        "box": opened.box_ref, "license_type": format!("{code}001"), "license_name": "开户许可",
        "holder_name": "济南云帆数字科技有限公司", "holder_code": { "type": "001", "code": "91370100MA3CJ8Y7TM" },
        "validity_start": "2026-01-01", "jurisdiction_code": "370171",
    });
    let issue_at = format!("/v1/agencies/{code}/licenses");
    let (status, issued) = call(&router, "POST", &issue_at, agency.as_str(), Some(issue.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");

    let (status, retired) =
        call(&router, "POST", &format!("/v1/agencies/{code}/retirement"), admin.as_str(), None).await;
    assert_eq!(status, StatusCode::OK, "{retired}");
    let (status, refused) = call(&router, "POST", &issue_at, agency.as_str(), Some(issue)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a retired agency issues nothing: {refused}");
    let verify = Request::post("/v1/licenses/verify")
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&issued["credential"]).unwrap()))
        .unwrap();
    let response = router.clone().oneshot(verify).await.unwrap();
    let verdict: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        verdict["verdict"]["checks"].as_array().unwrap().iter().all(|c| c["outcome"] == "passed"),
        "what the agency issued before it retired still verifies: {verdict}"
    );
}
