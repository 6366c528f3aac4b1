//! The OpenAPI document the node serves: generated from the handlers, and
//! naming exactly the routes of the access table, each secured exactly when
//! the table says a token is needed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use safebox_api::catalog::Catalog;
use safebox_api::http::access::{Access, ROUTES};
use safebox_api::http::openapi::path_parameter;
use safebox_api::http::{app, AppState};
use safebox_tests::TestNode;
use serde_json::Value;
use std::collections::BTreeSet;
use tower::ServiceExt;

/// Routes that are not the API: the page and its files, the document
/// itself, and the liveness probe.
const NOT_API: [&str; 6] = ["/", "/verify", "/page.js", "/page.css", "/openapi.json", "/healthz"];

#[tokio::test]
async fn the_document_names_every_route_of_the_table_and_no_other() {
    let t = TestNode::new();
    let response = app(AppState::new(t.node.clone(), Catalog::example()))
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation.get("security").is_some();
            documented.insert((method.to_uppercase(), path.clone(), secured));
        }
    }
    let table: BTreeSet<(String, String, bool)> = ROUTES
        .iter()
        .filter(|r| !NOT_API.contains(&r.path))
        .map(|r| (r.method.to_string(), r.path.replace("{*", "{"), r.access != Access::Public))
        .collect();
    let missing: Vec<_> = table.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&table).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "not documented (or security differs): {missing:?}\nnot in the table: {extra:?}"
    );
    // Operation ids are unique, every path parameter has the form its name
    // stands for, and every operation says what the layers in front of its
    // handler answer (a bad token anywhere, an overloaded node).
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operation id {id} used twice");
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    assert!(path_parameter(name).is_some(), "{method} {path}: path parameter {name} has no form");
                    assert_ne!(parameter["schema"], serde_json::json!({"type": "string"}), "{method} {path}: {name}");
                }
            }
            for status in ["401", "503"] {
                assert!(operation["responses"].get(status).is_some(), "{method} {path} does not document {status}");
            }
        }
    }
    // Every documented error is a problem document.
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(response["content"].get("application/problem+json").is_some(), "{status}: {response}");
                }
            }
        }
    }
}
