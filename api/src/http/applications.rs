//! The catalog and applications over HTTP: the applicant applies from
//! their box, the matter's agency reviews and decides, anyone reads the
//! totals of reuse the service chain records.

use super::access::{hidden, Caller};
use super::boxes::parse_box;
use super::extract::{JsonBody, PathParams};
use super::problem::Problem;
use super::AppState;
use crate::auth::Principal;
use crate::services::{AgencyDecision, Resolution, Submission};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::prelude::*;
use safebox_chain::application_state::{ApplicationRecord, ApplicationTotals};
use safebox_chain::credential::{AreaCode, CivilDate, HolderCode};
use safebox_chain::verify::Verdict;
use safebox_chain::{ApplicationId, GrantId, LicenseId, MatterCode};
use safebox_vault::{DocumentType, NewDocument};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The service catalog: matters and bundles.
#[utoipa::path(get, path = "/v1/catalog", tag = "applications", responses((status = 200, description = "matters and bundles", body = Object)))]
pub async fn catalog(State(app): State<AppState>) -> Json<Value> {
    let catalog = &app.catalog;
    Json(json!({
        "matters": catalog.matters().collect::<Vec<_>>(),
        "bundles": catalog.bundles().collect::<Vec<_>>(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TotalsView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub totals: ApplicationTotals,
    /// Share of required materials not submitted, in percent, computed
    /// from the service chain's totals.
    pub reduction_percent: f64,
}

/// Materials required, reused and submitted over every application.
#[utoipa::path(get, path = "/v1/applications/totals", tag = "applications", responses((status = 200, description = "materials required, reused and submitted", body = TotalsView)))]
pub async fn totals(State(app): State<AppState>) -> Result<Json<TotalsView>, Problem> {
    let totals = app.run(|node| node.application_totals()).await?;
    Ok(Json(TotalsView { reduction_percent: totals.reduction_percent(), totals }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    #[schema(value_type = String)]
    pub document_type: DocumentType,
    pub name: String,
    pub media_type: String,
    /// The document's bytes, base64.
    pub content: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Apply {
    #[schema(value_type = String, pattern = "^[!-~]{1,64}$")]
    pub matter: MatterCode,
    /// Documents submitted with the application; every other material is
    /// taken from the box.
    #[serde(default)]
    pub submissions: Vec<SubmissionBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub name: String,
    /// `held_license`, `stored_document`, `submitted` (or, in a plan,
    /// `missing`: to be submitted).
    pub provided: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub license: Option<LicenseId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub document_type: Option<DocumentType>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    #[schema(value_type = String)]
    pub application: ApplicationId,
    #[schema(value_type = String, pattern = "^[!-~]{1,64}$")]
    pub matter: MatterCode,
    pub materials: Vec<MaterialView>,
    pub required: u64,
    pub reused: u64,
    pub submitted: u64,
    #[schema(value_type = Option<String>)]
    pub grant: Option<GrantId>,
    /// Service-chain index of `application.opened`.
    pub index: u64,
}

/// The applicant applies for a matter from their box.
#[utoipa::path(post, path = "/v1/boxes/{box}/applications", tag = "applications", params(("box" = String, Path)), request_body = Apply, responses((status = 201, description = "opened", body = ApplicationView), (status = 404, description = "no such box or matter", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "a required material is missing", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn apply(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Apply>,
) -> Result<(StatusCode, Json<ApplicationView>), Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let mut submissions = Vec::new();
    for s in body.submissions {
        let content = BASE64_STANDARD.decode(s.content.as_bytes()).map_err(|e| {
            Problem::bad_request("invalid", format!("submission {}: content is not base64: {e}", s.document_type))
        })?;
        let document = NewDocument { document_type: s.document_type, name: s.name, media_type: s.media_type };
        submissions.push(Submission { document, content });
    }
    let catalog = app.catalog.clone();
    let report = app.run(move |node| node.apply(&catalog, box_id, &body.matter, submissions)).await?;
    let materials = report.materials.into_iter().map(material_view).collect();
    Ok((
        StatusCode::CREATED,
        Json(ApplicationView {
            application: report.application,
            matter: report.matter,
            materials,
            required: report.required,
            reused: report.reused,
            submitted: report.submitted,
            grant: report.grant,
            index: report.opened.index,
        }),
    ))
}

/// An application as the service chain records it, for its applicant or
/// its agency; anyone else is told there is none.
async fn owned_application(app: &AppState, caller: &Caller, id: &str) -> Result<ApplicationRecord, Problem> {
    let id = ApplicationId::parse(id).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let caller = caller.clone();
    app.run(move |node| {
        let record = node.application(&id)?;
        let visible = match &caller.0 {
            Some(Principal::Agency { agency }) => agency == &record.opened.agency,
            Some(Principal::Applicant { box_id }) => node.box_ref(*box_id).is_ok_and(|r| r == record.opened.box_ref),
            _ => false,
        };
        Ok(visible.then_some(record))
    })
    .await?
    .ok_or_else(|| hidden(format_args!("application {id}")))
}

#[utoipa::path(get, path = "/v1/applications/{application}", operation_id = "show_application", tag = "applications", params(("application" = String, Path)), responses((status = 200, description = "the application as the service chain records it", body = Object), (status = 404, description = "no such application", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ApplicationRecord>, Problem> {
    Ok(Json(owned_application(&app, &caller, &id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// Each document read under the grant, with its use entry's index.
    pub documents: Vec<ReadView>,
    /// Each reused license, verified again now.
    #[schema(value_type = Vec<Object>)]
    pub licenses: Vec<(LicenseId, Verdict)>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadView {
    pub use_index: u64,
    pub document_type: String,
    pub name: String,
    pub size: u64,
}

/// The agency reviews: reads every document (each read recorded) and
/// verifies every reused license again.
#[utoipa::path(post, path = "/v1/applications/{application}/review", tag = "applications", params(("application" = String, Path)), responses((status = 409, description = "refused by the chain's rules (a grant withdrawn or expired)", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 200, description = "documents read, licenses verified", body = ReviewView), (status = 404, description = "no such application", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn review(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<ReviewView>, Problem> {
    let record = owned_application(&app, &caller, &id).await?;
    let application = record.opened.application;
    let review = app.run(move |node| node.review_application(&application)).await?;
    Ok(Json(ReviewView {
        documents: review
            .documents
            .into_iter()
            .map(|r| ReadView {
                use_index: r.appended.index,
                document_type: r.document.document_type.to_string(),
                name: r.document.name,
                size: r.document.size,
            })
            .collect(),
        licenses: review.licenses,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decide {
    /// Approve; a matter with an output license issues it to this holder.
    Approve {
        holder_name: String,
        #[schema(value_type = Object)]
        holder_code: HolderCode,
        #[schema(value_type = Option<String>)]
        #[serde(default)]
        validity_end: Option<CivilDate>,
        #[schema(value_type = String)]
        jurisdiction_code: AreaCode,
    },
    Reject {
        reason: String,
    },
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    /// Service-chain index of `application.decided`.
    pub index: u64,
    /// The license an approval issued into the applicant's box.
    #[schema(value_type = Option<Object>)]
    pub license: Option<Value>,
}

#[utoipa::path(post, path = "/v1/applications/{application}/decision", tag = "applications", params(("application" = String, Path)), request_body = Decide, responses((status = 200, description = "decided", body = DecisionView), (status = 404, description = "no such application", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "already decided", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn decide(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Decide>,
) -> Result<Json<DecisionView>, Problem> {
    let record = owned_application(&app, &caller, &id).await?;
    let application = record.opened.application;
    let decision = match body {
        Decide::Approve { holder_name, holder_code, validity_end, jurisdiction_code } => {
            AgencyDecision::Approve { holder_name, holder_code, validity_end, jurisdiction: jurisdiction_code }
        }
        Decide::Reject { reason } => AgencyDecision::Reject { reason },
    };
    let catalog = app.catalog.clone();
    let report = app.run(move |node| node.decide_application(&catalog, &application, decision)).await?;
    Ok(Json(DecisionView { index: report.decided.index, license: report.license.map(|l| l.license.to_json()) }))
}

/// Where each material of `matter` would come from if the applicant
/// applied now with nothing submitted: what the page shows first.
#[utoipa::path(get, path = "/v1/boxes/{box}/plans/{matter}", tag = "applications", params(("box" = String, Path), ("matter" = String, Path)), responses((status = 200, description = "where each material would come from", body = Vec<MaterialView>), (status = 404, description = "no such box or matter", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn plan(
    State(app): State<AppState>,
    caller: Caller,
    PathParams((id, matter)): PathParams<(String, String)>,
) -> Result<Json<Vec<MaterialView>>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let matter = MatterCode::parse(&matter).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let catalog = app.catalog.clone();
    let materials = app
        .run(move |node| {
            let matter = catalog.matter(&matter).ok_or(crate::services::ServiceError::UnknownMatter(matter.clone()))?;
            node.resolve_materials(matter, box_id, &Default::default())
        })
        .await?;
    Ok(Json(materials.into_iter().map(material_view).collect()))
}

fn material_view(m: crate::services::ResolvedMaterial) -> MaterialView {
    let (provided, license, document_type) = match m.resolution {
        Resolution::HeldLicense(license) => ("held_license", Some(license), None),
        Resolution::StoredDocument(t) => ("stored_document", None, Some(t)),
        Resolution::Submitted(t) => ("submitted", None, Some(t)),
        Resolution::Missing { document_type, .. } => ("missing", None, Some(document_type)),
    };
    MaterialView { name: m.name, provided, license, document_type }
}
