//! The OpenAPI 3.1 document of the node's API, generated from the
//! handlers' own annotations and types (utoipa) and served at
//! `/openapi.json`. A test checks it names exactly the routes of the
//! access table; scripts/api-schema-test checks the node answers as it says.
//!
//! What every route shares is added here rather than in each annotation:
//! the answers the layers in front of the handlers give (401 for a token
//! that does not authenticate, on any route; 403; 503 when overloaded;
//! 400, 413 and 415 for malformed parameters and bodies) and the form of
//! each path parameter, which is the same type wherever its name appears.

use super::{agencies, applications, boxes, chains, documents, licenses, metrics, tokens};
use axum::Json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
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

/// The answers the layers in front of the handlers give, and the form of
/// the path parameters.
struct SharedAnswers;

/// A problem document answer.
fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

/// Adds `status` to `operation` unless its annotation says it already.
fn answer(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(description));
}

/// A string path parameter of this form.
fn text(pattern: &str, description: &str) -> Schema {
    Schema::Object(
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description)).build(),
    )
}

/// A whole number from `minimum` to `maximum`.
fn whole(minimum: usize, maximum: usize) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(utoipa::Number::UInt(minimum)))
            .maximum(Some(utoipa::Number::UInt(maximum)))
            .build(),
    )
}

/// The form of the path parameter `name` (each name is one type wherever
/// it appears), or `None` for a name this table does not know (a test
/// insists there is none).
pub fn path_parameter(name: &str) -> Option<Schema> {
    const HEX32: &str = "^[0-9a-f]{32}$";
    Some(match name {
        "chain" => Schema::Object(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["license", "service"])).build()),
        "index" => whole(0, u64::MAX as usize),
        "box" => text(HEX32, "a box id: 32 lowercase hex digits"),
        "document" => text(HEX32, "a document id: 32 lowercase hex digits"),
        "grant" => text(HEX32, "a grant id: 32 lowercase hex digits"),
        "application" => text(HEX32, "an application id: 32 lowercase hex digits"),
        "version" => whole(1, u32::MAX as usize),
        "token" => text("^[0-9a-f]{16}$", "a token id: 16 lowercase hex digits"),
        "matter" => text("^[!-~]{1,64}$", "a matter code: 1 to 64 printable ASCII characters, no spaces"),
        "license" => text("^[!-~]{1,128}$", "a license identifier: 1 to 128 printable ASCII characters, no spaces"),
        "agency" => text(
            "^[0-9A-HJ-NP-RTUW-Y]{18}$",
            "a unified social credit code (GB 32100): 18 characters, the last a check character",
        ),
        // The tile path spans segments: its example's slashes say so to
        // clients and test tools.
        "path" => Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(
                    r"^(?:[0-9]|[1-5][0-9]|6[0-3]|entries)/(?:x[0-9]{3}/){0,5}[0-9]{3}(?:\.p/(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))?$",
                ))
                .description(Some(
                    "a C2SP tlog-tiles path after tile/: the level (or entries), the index in groups of three digits, and .p/W for a partial tile",
                ))
                .examples(["0/000", "entries/000.p/5"])
                .build(),
        ),
        _ => return None,
    })
}

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            // Whatever reads or writes a box answers 410 once it is erased.
            let touches_a_box = path.contains("{box}") || path.starts_with("/v1/uses") || path.ends_with("/review");
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let mut has_parameters = false;
                let mut names_a_resource = false;
                for parameter in operation.parameters.iter_mut().flatten() {
                    has_parameters = true;
                    if parameter.parameter_in == ParameterIn::Path {
                        names_a_resource = true;
                        if let Some(schema) = path_parameter(&parameter.name) {
                            parameter.schema = Some(RefOr::T(schema));
                        }
                    }
                }
                if names_a_resource {
                    answer(operation, "404", "no such resource (or one the caller may not see)");
                }
                if touches_a_box {
                    answer(operation, "410", "the box was erased");
                }
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.keys().any(|c| c == "application/json"));
                if has_parameters || json_body {
                    answer(operation, "400", "a parameter or the body is not valid");
                }
                if json_body {
                    answer(operation, "413", "the body is larger than the node takes");
                    answer(operation, "415", "the body is not sent as application/json");
                }
                // The token is checked on every route, public ones included.
                answer(operation, "401", "the token presented does not authenticate");
                if operation.security.is_some() {
                    answer(operation, "403", "a token of a kind this route does not admit");
                }
                answer(operation, "503", "the node is busy or the request took too long; retry shortly");
            }
        }
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
    modifiers(&BearerTokens, &SharedAnswers),
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
