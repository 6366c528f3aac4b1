//! The authorization walk: every route of the table, called with a token of
//! every kind of principal and with none. A route refuses a caller without
//! a token with 401 and a principal of a kind it does not admit with 403;
//! one it admits gets past both. An applicant or agency reaching for
//! another's resource gets the same 404 as for one that does not exist.

use crate::service_support::APPLICANT_CODE;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use safebox_api::auth::{Principal, PrincipalKind};
use safebox_api::catalog::Catalog;
use safebox_api::http::access::{Route, ROUTES};
use safebox_api::http::{app, AppState};
use safebox_api::services::Submission;
use safebox_chain::MatterCode;
use safebox_tests::TestNode;
use safebox_vault::{DocumentType, NewDocument};
use serde_json::Value;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// A node with one of everything a route can name, and a token per kind.
struct World {
    t: TestNode,
    state: AppState,
    tokens: BTreeMap<PrincipalKind, String>,
    /// Path parameter values, by name.
    params: BTreeMap<&'static str, String>,
    /// Tokens of a second applicant and a second agency.
    other_applicant: String,
    other_agency: String,
}

fn document(document_type: &str) -> NewDocument {
    NewDocument {
        document_type: DocumentType::new(document_type).unwrap(),
        name: format!("{document_type}.pdf"),
        media_type: "application/pdf".into(),
    }
}

impl World {
    fn new() -> Self {
        let t = TestNode::new();
        let catalog = Catalog::example();
        let node = &t.node;
        let opened = node.open_box(APPLICANT_CODE, None).unwrap();
        let meta = node.upload_document(opened.box_id, &document("id-card"), &b"id"[..]).unwrap();
        // The registration matter's agency is the test agency.
        let submissions = ["articles-of-association", "lease"]
            .map(|t| Submission { document: document(t), content: t.as_bytes().to_vec() })
            .to_vec();
        let report =
            node.apply(&catalog, opened.box_id, &MatterCode::parse("370100-SCJG-001").unwrap(), submissions).unwrap();
        let license = t.issuance("AUTHZ");
        let license_id = match &license.entry.payload {
            safebox_chain::payload::Payload::LicenseIssued(l) => l.license.clone(),
            _ => unreachable!(),
        };
        node.ledger.append(license).unwrap();
        let issue = |p: Principal| node.tokens.issue(p, "walk").unwrap().token.as_str().to_owned();
        let mut tokens = BTreeMap::new();
        tokens.insert(PrincipalKind::Admin, issue(Principal::Admin));
        tokens.insert(PrincipalKind::Auditor, issue(Principal::Auditor));
        tokens.insert(PrincipalKind::Agency, issue(Principal::Agency { agency: t.agency.clone() }));
        tokens.insert(PrincipalKind::Applicant, issue(Principal::Applicant { box_id: opened.box_id }));
        let other_box = node.open_box("110101199003070011", None).unwrap();
        let other_applicant = issue(Principal::Applicant { box_id: other_box.box_id });
        let (other_code, _) = t.register_agency("11370100MB2855987", 51);
        let other_agency = issue(Principal::Agency { agency: other_code });
        // A token the walk may revoke (revoking twice changes nothing).
        let token_id = node.tokens.issue(Principal::Auditor, "to revoke").unwrap().info.id.to_string();
        let params = BTreeMap::from([
            ("chain", "license".to_owned()),
            ("index", "0".to_owned()),
            ("path", "0/000.p/1".to_owned()),
            ("license", license_id.to_string()),
            ("agency", t.agency.to_string()),
            ("token", token_id),
            ("box", opened.box_id.to_string()),
            ("document", meta.document.to_string()),
            ("version", "1".to_owned()),
            ("grant", "00".repeat(16)),
            ("application", report.application.to_string()),
            ("matter", "370100-SCJG-001".to_owned()),
        ]);
        let state = AppState::new(t.node.clone(), catalog);
        World { t, state, tokens, params, other_applicant, other_agency }
    }

    fn path(&self, route: &Route) -> String {
        route
            .path
            .split('/')
            .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => self.params[name.trim_start_matches('*')].clone(),
                None => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Calls `route` with `token`; mutating routes get an empty JSON object,
    /// which no handler accepts, so the walk changes nothing past the
    /// checks it is about.
    async fn call(&self, route: &Route, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::builder().method(route.method.clone()).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = if route.method == Method::POST {
            request = request.header("content-type", "application/json");
            Body::from("{}")
        } else {
            Body::empty()
        };
        let response = app(self.state.clone()).oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Routes whose admitted callers would change something even with an
/// empty body; they are walked on a box made for the purpose.
fn destructive(route: &Route) -> bool {
    route.method == Method::DELETE && route.path == "/v1/boxes/{box}"
}

#[tokio::test]
async fn every_route_admits_exactly_the_principals_of_the_table() {
    let w = World::new();
    let mut walked = 0;
    for route in ROUTES {
        let callers: Vec<(Option<PrincipalKind>, Option<&str>)> = std::iter::once((None, None))
            .chain(PrincipalKind::ALL.iter().map(|k| (Some(*k), Some(w.tokens[k].as_str()))))
            .collect();
        for (kind, token) in callers {
            let path = if destructive(route) {
                // A fresh box, and for the applicant a token of that box.
                let opened = w.t.node.open_box("110101199003070011", None).unwrap();
                let path = format!("/v1/boxes/{}", opened.box_id);
                let own = (kind == Some(PrincipalKind::Applicant))
                    .then(|| w.t.node.tokens.issue(Principal::Applicant { box_id: opened.box_id }, "x").unwrap().token);
                let token = own.as_ref().map(|t| t.as_str().to_owned()).or(token.map(str::to_owned));
                let (status, body) = w.call(route, &path, token.as_deref()).await;
                check(route, kind, status, &body);
                walked += 1;
                continue;
            } else {
                w.path(route)
            };
            let (status, body) = w.call(route, &path, token).await;
            check(route, kind, status, &body);
            walked += 1;
        }
    }
    assert_eq!(walked, ROUTES.len() * 5);
}

fn check(route: &Route, kind: Option<PrincipalKind>, status: StatusCode, body: &Value) {
    let who = kind.map_or("no token".to_owned(), |k| k.to_string());
    let at = format!("{} {} with {who}", route.method, route.path);
    assert_ne!(
        body["type"], "https://safebox.dev/problems/no-such-route",
        "{at}: the table names a route the router lacks"
    );
    assert!(!status.is_server_error(), "{at}: {status} {body}");
    if route.access.admits(kind) {
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "{at}: refused with {status} {body}"
        );
    } else if kind.is_none() {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{at}: {body}");
        assert_eq!(body["type"], "https://safebox.dev/problems/unauthorized");
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{at}: {body}");
        assert_eq!(body["type"], "https://safebox.dev/problems/forbidden");
    }
}

#[tokio::test]
async fn anothers_resource_answers_as_if_it_did_not_exist() {
    let w = World::new();
    let unregistered = safebox_chain::AgencyCode::with_check_character("11370100MB2855999").unwrap().to_string();
    let missing = BTreeMap::from([
        ("box", "00".repeat(16)),
        ("license", "TEST-NO-SUCH-LICENSE".to_owned()),
        ("application", "00".repeat(16)),
        ("agency", unregistered),
    ]);
    let mut compared = 0;
    for route in ROUTES.iter().filter(|r| r.owned && !destructive(r)) {
        let Some((param, token)) = [
            ("box", &w.other_applicant),
            ("license", &w.other_agency),
            ("application", &w.other_agency),
            ("agency", &w.other_agency),
        ]
        .into_iter()
        .find(|(param, _)| route.path.contains(&format!("{{{param}}}"))) else {
            continue;
        };
        let path = w.path(route);
        let (status, body) = w.call(route, &path, Some(token)).await;
        let elsewhere = path.replace(&w.params[param], &missing[param]);
        let (status_missing, body_missing) = w.call(route, &elsewhere, Some(token)).await;
        let at = format!("{} {}", route.method, route.path);
        assert!(!status.is_success(), "{at}: another's {param} was served: {body}");
        assert_eq!(status, status_missing, "{at}: {body} vs {body_missing}");
        assert_eq!(body["type"], body_missing["type"], "{at}: another's {param} and a missing one must look alike");
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} owned routes compared");
}

#[tokio::test]
async fn bad_tokens_are_refused_even_on_public_routes() {
    let w = World::new();
    let route = ROUTES.iter().find(|r| r.path == "/v1/node").unwrap();
    for token in ["sbx_not-a-token", "sbx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let (status, body) = w.call(route, "/v1/node", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let id = w.t.node.tokens.authenticate(&w.tokens[&PrincipalKind::Auditor]).unwrap().id;
    w.t.node.tokens.revoke(&id).unwrap();
    let audit = ROUTES.iter().find(|r| r.path == "/v1/audit").unwrap();
    let (status, body) = w.call(audit, "/v1/audit", Some(&w.tokens[&PrincipalKind::Auditor])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
}

#[test]
fn architecture_md_prints_the_route_table_of_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ARCHITECTURE.md")).unwrap();
    let table = safebox_api::http::access::markdown_table();
    assert!(doc.contains(&table), "ARCHITECTURE.md's route table differs from the code; the code's is:\n{table}");
}
