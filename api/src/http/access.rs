//! Who may call what: the route table (every route, the principal kinds it
//! admits) and the middleware that enforces it before any handler runs.
//!
//! Two layers of checks, so that neither can be forgotten:
//! 1. here, by route: no token where one is needed → 401; a token of a kind
//!    the route does not admit → 403;
//! 2. in the handler, by resource: an applicant reaches only their own box,
//!    an agency only its own licenses and applications. A resource of
//!    someone else answers 404, exactly as one that does not exist, so that
//!    a caller learns nothing of what it may not see.
//!
//! The table is data: the middleware reads it, the authorization test walks
//! it with every kind of principal, and ARCHITECTURE.md prints it.

use super::problem::Problem;
use super::AppState;
use crate::auth::{AuthError, Principal, PrincipalKind};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who may call a route.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a token.
    Public,
    /// A token of one of these kinds.
    Only(&'static [PrincipalKind]),
}

impl Access {
    /// Whether a caller of `kind` (or none) passes the route check.
    pub fn admits(&self, kind: Option<PrincipalKind>) -> bool {
        match (self, kind) {
            (Access::Public, _) => true,
            (Access::Only(kinds), Some(kind)) => kinds.contains(&kind),
            (Access::Only(_), None) => false,
        }
    }
}

/// One route of the node.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: Method,
    /// The path as the router spells it (`{param}` segments).
    pub path: &'static str,
    pub access: Access,
    /// Whether the handler also checks the resource belongs to the caller.
    pub owned: bool,
}

use PrincipalKind::{Admin, Agency, Applicant, Auditor};

const ADMIN: Access = Access::Only(&[Admin]);
const AGENCY: Access = Access::Only(&[Agency]);
const APPLICANT: Access = Access::Only(&[Applicant]);
const APPLICANT_OR_ADMIN: Access = Access::Only(&[Applicant, Admin]);
const APPLICANT_OR_AGENCY: Access = Access::Only(&[Applicant, Agency]);
const SIGNERS: Access = Access::Only(&[Applicant, Agency]);
const ANYONE_SIGNED_IN: Access = Access::Only(&[Admin, Auditor, Agency, Applicant]);
const ADMIN_OR_AUDITOR: Access = Access::Only(&[Admin, Auditor]);

macro_rules! route {
    ($method:ident $path:literal, $access:expr) => {
        Route { method: Method::$method, path: $path, access: $access, owned: false }
    };
    ($method:ident $path:literal, $access:expr, owned) => {
        Route { method: Method::$method, path: $path, access: $access, owned: true }
    };
}

/// Every route of the node and who may call it.
pub const ROUTES: &[Route] = &[
    route!(GET "/", Access::Public),
    route!(GET "/verify", Access::Public),
    route!(GET "/page.js", Access::Public),
    route!(GET "/page.css", Access::Public),
    route!(GET "/v1/me", ANYONE_SIGNED_IN),
    route!(GET "/openapi.json", Access::Public),
    route!(GET "/healthz", Access::Public),
    route!(GET "/readyz", Access::Public),
    route!(GET "/v1/node", Access::Public),
    route!(GET "/v1/chains/{chain}/checkpoint", Access::Public),
    route!(GET "/v1/chains/{chain}/entries/{index}", Access::Public),
    route!(GET "/v1/chains/{chain}/proofs/inclusion", Access::Public),
    route!(GET "/v1/chains/{chain}/proofs/consistency", Access::Public),
    route!(GET "/v1/chains/{chain}/tile/{*path}", Access::Public),
    route!(POST "/v1/chains/{chain}/entries", SIGNERS, owned),
    route!(GET "/v1/catalog", Access::Public),
    route!(GET "/v1/applications/totals", Access::Public),
    route!(POST "/v1/licenses/verify", Access::Public),
    route!(GET "/v1/licenses/{license}", Access::Public),
    route!(GET "/v1/licenses/{license}/qr.svg", Access::Public),
    route!(GET "/v1/licenses/{license}/qr.png", Access::Public),
    route!(POST "/v1/licenses/{license}/status", AGENCY, owned),
    route!(POST "/v1/licenses/{license}/renewal", AGENCY, owned),
    route!(GET "/v1/agencies", Access::Public),
    route!(POST "/v1/agencies", ADMIN),
    route!(POST "/v1/agencies/{agency}/key-rotation", ADMIN),
    route!(POST "/v1/agencies/{agency}/retirement", ADMIN),
    route!(POST "/v1/agencies/{agency}/licenses", AGENCY, owned),
    route!(GET "/v1/tokens", ADMIN),
    route!(POST "/v1/tokens", ADMIN),
    route!(DELETE "/v1/tokens/{token}", ADMIN),
    route!(GET "/v1/audit", ADMIN_OR_AUDITOR),
    route!(GET "/metrics", ADMIN_OR_AUDITOR),
    route!(POST "/v1/boxes", ADMIN),
    route!(GET "/v1/boxes/{box}", APPLICANT, owned),
    route!(DELETE "/v1/boxes/{box}", APPLICANT_OR_ADMIN, owned),
    route!(GET "/v1/boxes/{box}/documents", APPLICANT, owned),
    route!(POST "/v1/boxes/{box}/documents", APPLICANT, owned),
    route!(GET "/v1/boxes/{box}/documents/{document}/versions/{version}", APPLICANT, owned),
    route!(POST "/v1/boxes/{box}/grants", APPLICANT, owned),
    route!(DELETE "/v1/boxes/{box}/grants/{grant}", APPLICANT, owned),
    route!(GET "/v1/boxes/{box}/access-log", APPLICANT, owned),
    route!(GET "/v1/boxes/{box}/licenses", APPLICANT, owned),
    route!(POST "/v1/boxes/{box}/applications", APPLICANT, owned),
    route!(GET "/v1/boxes/{box}/plans/{matter}", APPLICANT, owned),
    route!(GET "/v1/boxes/{box}/bundles", APPLICANT, owned),
    route!(GET "/v1/applications/{application}", APPLICANT_OR_AGENCY, owned),
    route!(POST "/v1/applications/{application}/review", AGENCY, owned),
    route!(POST "/v1/applications/{application}/decision", AGENCY, owned),
    route!(POST "/v1/uses", AGENCY, owned),
    route!(POST "/v1/uses/prepare", AGENCY, owned),
    route!(POST "/v1/uses/signed", AGENCY, owned),
];

/// The table as ARCHITECTURE.md prints it (a test keeps the two equal).
pub fn markdown_table() -> String {
    let mut table = String::from("| method | path | who | resource |\n|---|---|---|---|\n");
    for route in ROUTES {
        let who = match route.access {
            Access::Public => "anyone".to_owned(),
            Access::Only(kinds) => kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
        };
        let resource = if route.owned { "own" } else { "" };
        table.push_str(&format!("| {} | `{}` | {who} | {resource} |\n", route.method, route.path));
    }
    table
}

/// The route `method` and `path` name in [`ROUTES`].
pub fn find(method: &Method, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.method == method && r.path == path)
}

/// The authenticated caller, if any: put in the request's extensions by
/// [`authorize`] for the handlers.
#[derive(Clone, Debug)]
pub struct Caller(pub Option<Principal>);

/// Reads the bearer token, checks the route table, and passes the caller
/// on. A token that does not authenticate is refused even on a public
/// route: presenting a bad credential is an error worth knowing.
pub async fn authorize(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(route) = request.extensions().get::<MatchedPath>().and_then(|m| find(request.method(), m.as_str())) else {
        // Every routed path is in the table (a test checks it); anything
        // else is refused rather than let through unchecked.
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", "this route has no access rule")
            .into_response();
    };
    let presented = match request.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            Some(token) => Some(token.trim().to_owned()),
            None => return unauthorized(&AuthError::Malformed),
        },
    };
    let caller = match presented {
        None => None,
        Some(token) => {
            let tokens = state.node.clone();
            match tokio::task::spawn_blocking(move || tokens.tokens.authenticate(&token)).await {
                Ok(Ok(info)) => Some(info.principal),
                Ok(Err(AuthError::Storage(e))) => return Problem::internal(e).into_response(),
                Ok(Err(e)) => return unauthorized(&e),
                Err(e) => return Problem::internal(e.to_string()).into_response(),
            }
        }
    };
    if !route.access.admits(caller.as_ref().map(Principal::kind)) {
        return match &caller {
            None => unauthorized(&AuthError::Missing),
            Some(p) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!("a token of kind {} may not call {} {}", p.kind(), route.method, route.path),
            )
            .into_response(),
        };
    }
    request.extensions_mut().insert(Caller(caller));
    next.run(request).await
}

fn unauthorized(e: &AuthError) -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required", e.to_string())
        .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    response
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Problem> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| Problem::internal("route reached without authorize"))
    }
}

/// The answer for a resource the caller may not see: the same as for one
/// that does not exist.
pub fn hidden(what: impl std::fmt::Display) -> Problem {
    Problem::not_found("not-found", format!("no {what}"))
}

impl Caller {
    /// The applicant of `box_id`; anyone else is told there is no such box.
    pub fn require_box(&self, box_id: safebox_vault::BoxId) -> Result<(), Problem> {
        match &self.0 {
            Some(Principal::Applicant { box_id: own }) if *own == box_id => Ok(()),
            _ => Err(hidden(format_args!("box {box_id}"))),
        }
    }

    /// The admin, or the applicant of `box_id`.
    pub fn require_box_or_admin(&self, box_id: safebox_vault::BoxId) -> Result<(), Problem> {
        match &self.0 {
            Some(Principal::Admin) => Ok(()),
            _ => self.require_box(box_id),
        }
    }

    /// The agency a token acts for, if it is an agency's.
    pub fn agency(&self) -> Option<&safebox_chain::AgencyCode> {
        match &self.0 {
            Some(Principal::Agency { agency }) => Some(agency),
            _ => None,
        }
    }

    /// Acting for `agency`; anyone else is told `what` does not exist.
    pub fn require_agency(
        &self,
        agency: &safebox_chain::AgencyCode,
        what: impl std::fmt::Display,
    ) -> Result<(), Problem> {
        match self.agency() {
            Some(own) if own == agency => Ok(()),
            _ => Err(hidden(what)),
        }
    }
}
