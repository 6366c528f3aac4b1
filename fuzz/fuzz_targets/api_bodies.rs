//! Fuzzes every request body of the HTTP API through the real router:
//! `app()` over a real node (RocksDB in a folder under /dev/shm when there
//! is one), called with `tower::ServiceExt::oneshot`, as the caller the
//! route admits (a real bearer token of an admin, an agency or an
//! applicant), with real path parameters (the node's own box, agency,
//! license).
//!
//! The first byte picks the route, the rest is the body. Properties: no
//! body ever gets a 5xx; every refusal is an RFC 9457 problem document
//! whose `status` is the response's; every success answers JSON.
//!
//! The node is made once per process and its state carries over from one
//! input to the next (a body that issues a license leaves it issued), as a
//! running node's would; a crash is reproduced by running its input alone.
#![no_main]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
#[path = "shared/scratch.rs"]
mod scratch;

use libfuzzer_sys::fuzz_target;
use safebox_api::auth::Principal;
use safebox_api::catalog::{Catalog, MaterialSource};
use safebox_api::datadir::DataDir;
use safebox_api::http::{app, AppState};
use safebox_api::services::{LicenseRequest, Submission};
use safebox_api::Node;
use safebox_chain::credential::{AreaCode, CivilDate, HolderCode};
use safebox_chain::AgencyCode;
use safebox_vault::{DocumentType, NewDocument};
use std::sync::{Arc, LazyLock};
use tower::ServiceExt;

/// Who calls a route.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Anyone,
    Admin,
    Agency,
    Applicant,
}

/// Every route that reads a request body, with its caller.
const ROUTES: &[(&str, Caller)] = &[
    ("/v1/chains/license/entries", Caller::Agency),
    ("/v1/chains/service/entries", Caller::Applicant),
    ("/v1/licenses/verify", Caller::Anyone),
    ("/v1/licenses/{license}/status", Caller::Agency),
    ("/v1/licenses/{license}/renewal", Caller::Agency),
    ("/v1/agencies", Caller::Admin),
    ("/v1/agencies/{agency}/licenses", Caller::Agency),
    ("/v1/tokens", Caller::Admin),
    ("/v1/boxes", Caller::Admin),
    ("/v1/boxes/{box}/grants", Caller::Applicant),
    ("/v1/boxes/{box}/applications", Caller::Applicant),
    ("/v1/applications/{application}/decision", Caller::Agency),
    ("/v1/uses", Caller::Agency),
    ("/v1/uses/prepare", Caller::Agency),
    ("/v1/uses/signed", Caller::Agency),
    ("/v1/boxes/{box}/documents?type=fuzzed&name=fuzzed.pdf", Caller::Applicant),
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    state: AppState,
    admin: String,
    agency_token: String,
    applicant: String,
    agency: AgencyCode,
    box_id: String,
    license: String,
    application: String,
    grant: String,
    box_ref: String,
    document: String,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = scratch::folder();
    let node = Node::init(DataDir::new(dir.path().join("data")), "fuzz.safebox").expect("init a node");
    let catalog = Catalog::example();
    // Every agency of the example catalog, with a key the node holds.
    let agencies: std::collections::BTreeSet<_> = catalog.matters().map(|m| m.agency.clone()).collect();
    for agency in &agencies {
        node.register_agency(agency, &format!("agency {agency}")).expect("register an agency");
    }
    // A matter that needs only documents and issues a license (company
    // registration, in the example).
    let matter = catalog
        .matters()
        .find(|m| m.output.is_some() && m.materials.iter().all(|x| matches!(x.source, MaterialSource::Document(_))))
        .expect("a matter of documents only, with an output license");
    let agency = matter.agency.clone();
    let license_type = matter.output.as_ref().expect("output").license_type.clone();
    let opened = node.open_box("91370100MA3CJ8Y7TM", None).expect("open a box");
    let document = NewDocument {
        document_type: DocumentType::new("id-card").expect("a document type"),
        name: "id.pdf".into(),
        media_type: "application/pdf".into(),
    };
    node.upload_document(opened.box_id, &document, &b"%PDF-1.7 an identity card"[..]).expect("upload");
    let document_ref = node.document_ref(opened.box_id, &document.document_type).expect("its chain name");
    let request = LicenseRequest {
        license_type,
        license_name: "营业执照".into(),
        holder_name: "济南云帆数字科技有限公司".into(),
        holder_code: HolderCode::from_parts("001", "91370100MA3CJ8Y7TM").expect("a holder code"),
        validity_start: CivilDate::parse("2026-01-02").expect("a date"),
        validity_end: None,
        jurisdiction_code: AreaCode::parse("370171").expect("an area code"),
    };
    let issued = node.issue_license(&agency, opened.box_id, request).expect("issue a license");
    // An application for that matter, waiting for its decision.
    let submission = |document_type: &str| Submission {
        document: NewDocument {
            document_type: DocumentType::new(document_type).expect("a document type"),
            name: format!("{document_type}.pdf"),
            media_type: "application/pdf".into(),
        },
        content: b"%PDF-1.7 a submitted document".to_vec(),
    };
    let submissions = matter
        .materials
        .iter()
        .filter_map(|m| match &m.source {
            MaterialSource::Document(t) if t.as_str() != "id-card" => Some(submission(t.as_str())),
            _ => None,
        })
        .collect();
    let applied = node.apply(&catalog, opened.box_id, &matter.code, submissions).expect("apply");
    let token = |principal: Principal| node.tokens.issue(principal, "fuzz").expect("a token").token.as_str().to_owned();
    let admin = token(Principal::Admin);
    let agency_token = token(Principal::Agency { agency: agency.clone() });
    let applicant = token(Principal::Applicant { box_id: opened.box_id });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .expect("a runtime");
    Fixture {
        runtime,
        state: AppState::new(Arc::new(node), catalog),
        admin,
        agency_token,
        applicant,
        agency,
        box_id: opened.box_id.to_string(),
        license: issued.license.license().identifier().as_str().to_owned(),
        application: applied.application.to_string(),
        grant: applied.grant.map(|g| g.to_string()).unwrap_or_default(),
        box_ref: opened.box_ref.to_string(),
        document: document_ref.to_string(),
        _dir: dir,
    }
});

impl Fixture {
    /// The body with the fixture's own names in place of `$BOX_REF` (the
    /// box as the service chain names it), `$BOX`, `$AGENCY`, `$LICENSE`,
    /// `$APPLICATION`, `$GRANT` and `$DOCUMENT` (the stored id card), so that seeds can reach past the
    /// lookups into what a handler does with an existing resource.
    fn fill_in(&self, body: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(body) {
            Ok(text) if text.contains('$') => text
                .replace("$BOX_REF", &self.box_ref)
                .replace("$BOX", &self.box_id)
                .replace("$AGENCY", self.agency.as_str())
                .replace("$LICENSE", &self.license)
                .replace("$APPLICATION", &self.application)
                .replace("$GRANT", &self.grant)
                .replace("$DOCUMENT", &self.document)
                .into_bytes(),
            _ => body.to_vec(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let f = &*FIXTURE;
    let (route, caller) = ROUTES[usize::from(pick) % ROUTES.len()];
    let uri = route
        .replace("{license}", &f.license)
        .replace("{agency}", f.agency.as_str())
        .replace("{box}", &f.box_id)
        .replace("{application}", &f.application);
    let mut request =
        Request::builder().method(Method::POST).uri(&uri).header(header::CONTENT_TYPE, "application/json");
    let token = match caller {
        Caller::Anyone => None,
        Caller::Admin => Some(&f.admin),
        Caller::Agency => Some(&f.agency_token),
        Caller::Applicant => Some(&f.applicant),
    };
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request.body(Body::from(f.fill_in(body))).expect("a request");

    let (status, content_type, answer) = f.runtime.block_on(async {
        let response = app(f.state.clone()).oneshot(request).await.expect("the router always answers");
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let answer = response.into_body().collect().await.expect("the body").to_bytes();
        (status, content_type, answer)
    });
    let text = String::from_utf8_lossy(&answer);
    assert!(!status.is_server_error(), "POST {route} answered {status}: {text}");
    let json: serde_json::Value = match serde_json::from_slice(&answer) {
        Ok(json) => json,
        Err(e) => panic!("POST {route} answered {status} with {content_type} that is not JSON ({e}): {text}"),
    };
    if status.is_success() {
        assert!(content_type.starts_with("application/json"), "POST {route} answered {status} as {content_type}");
    } else {
        assert!(
            content_type.starts_with("application/problem+json"),
            "POST {route} refused with {status} as {content_type}: {text}"
        );
        assert_eq!(json["status"], status.as_u16(), "POST {route}: the problem's status is the response's: {text}");
        assert!(json["type"].is_string() && json["title"].is_string(), "POST {route}: not a problem: {text}");
        assert_ne!(status, StatusCode::UNAUTHORIZED, "POST {route}: the fixture's token was refused: {text}");
        assert_ne!(status, StatusCode::FORBIDDEN, "POST {route}: the fixture's caller is not admitted: {text}");
    }
});
