//! The OpenAPI 3.1 document of the node's API, generated from the
//! handlers' own annotations and types (utoipa) and served at
//! `/openapi.json`. A test checks it names exactly the routes of the
//! access table.

use super::{agencies, applications, boxes, chains, documents, licenses, metrics, tokens};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The bearer tokens every secured route takes.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("sbx_…").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Safebox node API",
        description = "One box, two chains: boxes and documents, grants and uses, e-licenses and their verification, applications, and the chains' read API. Errors are RFC 9457 problem documents.",
    ),
    paths(
        chains::node_info, chains::checkpoint, chains::entry, chains::inclusion, chains::consistency, chains::tile,
        chains::ready, chains::submit_entry, chains::audit,
        applications::catalog, applications::totals, applications::apply, applications::show, applications::review,
        applications::decide, applications::plan,
        licenses::verify, licenses::show, licenses::qr_svg, licenses::qr_png, licenses::change_status, licenses::renew,
        licenses::issue, licenses::of_box, licenses::bundles_of_box,
        agencies::list, agencies::register, agencies::rotate_key, agencies::retire,
        tokens::list, tokens::issue, tokens::revoke, tokens::me,
        boxes::open, boxes::show, boxes::erase, boxes::give_grant, boxes::withdraw_grant, boxes::access_log,
        documents::list, documents::upload, documents::download, documents::use_document, documents::prepare_use,
        documents::signed_use,
        metrics::scrape,
    ),
    modifiers(&BearerTokens),
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
