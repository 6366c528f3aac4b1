//! Boxes over HTTP: opened by the admin (with a token for the applicant),
//! seen and erased by their applicant, grants given and withdrawn, and the
//! access log of who used what.

use super::access::Caller;
use super::extract::{JsonBody, PathParams};
use super::problem::Problem;
use super::AppState;
use crate::auth::Principal;
use crate::services::{GrantTerms, ServiceError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::prelude::*;
use safebox_chain::{AgencyCode, GrantId, InclusionProof, MatterCode, PublicKey, Purpose, Timestamp};
use safebox_vault::{BoxId, DocumentType};
use serde::{Deserialize, Serialize};

/// Longest a grant may be given for over HTTP: a year.
const MAX_GRANT_SECONDS: u64 = 366 * 24 * 3600;

pub(crate) fn parse_box(text: &str) -> Result<BoxId, Problem> {
    BoxId::parse(text).map_err(|e| Problem::bad_request("bad-path", e.to_string()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBox {
    /// Citizen ID number or unified social credit code; used only for the
    /// box's keyed commitment, stored nowhere.
    #[schema(pattern = "^[A-Za-z0-9]{1,64}$")]
    pub applicant_code: String,
    /// The applicant's own Ed25519 key (base64), when they sign on their
    /// device; otherwise the node holds the box's key.
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
    pub device_key: Option<PublicKey>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenedBox {
    #[schema(value_type = String)]
    pub r#box: BoxId,
    /// How the service chain names the box.
    #[schema(value_type = String)]
    pub box_ref: safebox_chain::BoxRef,
    #[schema(value_type = String)]
    pub applicant_key: PublicKey,
    /// Service-chain index of `box.opened`.
    pub index: u64,
    /// The applicant's bearer token, shown once.
    pub token: String,
}

#[utoipa::path(post, path = "/v1/boxes", tag = "boxes", request_body = OpenBox, responses((status = 409, description = "the device key is already in use", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 201, description = "opened, with the applicant's token", body = OpenedBox), (status = 400, description = "bad applicant code", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn open(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<OpenBox>,
) -> Result<(StatusCode, Json<OpenedBox>), Problem> {
    let opened = app
        .run(move |node| {
            let opened = node.open_box(&body.applicant_code, body.device_key)?;
            let token = node
                .tokens
                .issue(Principal::Applicant { box_id: opened.box_id }, "applicant")
                .map_err(ServiceError::storage)?;
            Ok(OpenedBox {
                r#box: opened.box_id,
                box_ref: opened.box_ref,
                applicant_key: opened.applicant_key,
                index: opened.appended.index,
                token: token.token.as_str().to_owned(),
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BoxView {
    #[schema(value_type = String)]
    pub r#box: BoxId,
    #[schema(value_type = String)]
    pub box_ref: safebox_chain::BoxRef,
    /// Key id of the key that signs the applicant's grants.
    pub applicant_key: String,
    pub opened_at: u64,
    /// How many times an agency read one of its documents.
    pub uses: u64,
}

#[utoipa::path(get, path = "/v1/boxes/{box}", operation_id = "show_box", tag = "boxes", params(("box" = String, Path)), responses((status = 200, description = "the box", body = BoxView), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<BoxView>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let view = app
        .run(move |node| {
            let (box_ref, record) = node.live_box(box_id)?;
            Ok(BoxView {
                r#box: box_id,
                box_ref,
                applicant_key: record.applicant_key.to_string(),
                opened_at: record.opened_at,
                uses: record.uses,
            })
        })
        .await?;
    Ok(Json(view))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Service-chain index of `box.erased`, or none when it was recorded
    /// before.
    pub index: Option<u64>,
}

#[utoipa::path(delete, path = "/v1/boxes/{box}", tag = "boxes", params(("box" = String, Path)), responses((status = 200, description = "erased", body = Erased), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn erase(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Erased>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box_or_admin(box_id)?;
    let appended = app.run(move |node| node.erase_box(box_id)).await?;
    Ok(Json(Erased { index: appended.map(|a| a.index) }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveGrant {
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUW-Y]{18}$")]
    pub agency: AgencyCode,
    /// Document types of the box the agency may read (every version).
    #[schema(value_type = Vec<String>)]
    pub documents: Vec<DocumentType>,
    #[schema(value_type = String, pattern = "^[!-~]{1,64}$")]
    pub matter: MatterCode,
    #[schema(value_type = String)]
    pub purpose: Purpose,
    /// How long the grant stands, in seconds (at most a year).
    #[schema(minimum = 1, maximum = 31622400)]
    pub valid_for_seconds: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GivenGrant {
    #[schema(value_type = String)]
    pub grant: GrantId,
    pub index: u64,
    pub expires: u64,
}

#[utoipa::path(post, path = "/v1/boxes/{box}/grants", tag = "boxes", params(("box" = String, Path)), request_body = GiveGrant, responses((status = 201, description = "given", body = GivenGrant), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "refused by the chain's rules", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn give_grant(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<GiveGrant>,
) -> Result<(StatusCode, Json<GivenGrant>), Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    if body.valid_for_seconds == 0 || body.valid_for_seconds > MAX_GRANT_SECONDS {
        return Err(Problem::bad_request("invalid", format!("valid_for_seconds must be 1 to {MAX_GRANT_SECONDS}")));
    }
    let given = app
        .run(move |node| {
            let documents =
                body.documents.iter().map(|t| node.document_ref(box_id, t)).collect::<Result<Vec<_>, _>>()?;
            let expires = Timestamp(Timestamp::now().0 + body.valid_for_seconds * 1000);
            let terms =
                GrantTerms { agency: body.agency, documents, matter: body.matter, purpose: body.purpose, expires };
            let given = node.give_grant(box_id, terms)?;
            Ok(GivenGrant { grant: given.grant, index: given.appended.index, expires: expires.0 })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(given)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Withdrawn {
    pub index: u64,
}

#[utoipa::path(delete, path = "/v1/boxes/{box}/grants/{grant}", tag = "boxes", params(("box" = String, Path), ("grant" = String, Path)), responses((status = 409, description = "refused by the chain's rules (a grant withdrawn or expired)", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 200, description = "withdrawn", body = Withdrawn), (status = 404, description = "no such grant of the box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn withdraw_grant(
    State(app): State<AppState>,
    caller: Caller,
    PathParams((id, grant)): PathParams<(String, String)>,
) -> Result<Json<Withdrawn>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let grant = GrantId::parse(&grant).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let appended = app
        .run(move |node| {
            // A grant of another box is answered as one that does not exist.
            let (box_ref, _) = node.live_box(box_id)?;
            match safebox_chain::service_state::grant(&node.ledger.store().state(), &grant)? {
                Some(record) if record.given.box_ref == box_ref => node.withdraw_grant(box_id, grant),
                _ => Err(safebox_chain::state::Refusal::UnknownGrant(grant).into()),
            }
        })
        .await?;
    Ok(Json(Withdrawn { index: appended.index }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccessLogView {
    /// The service chain's signed checkpoint every proof leads to.
    pub checkpoint: String,
    pub uses: Vec<UseView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UseView {
    pub index: u64,
    /// Milliseconds since the Unix epoch.
    pub time: u64,
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUW-Y]{18}$")]
    pub agency: AgencyCode,
    #[schema(value_type = String, pattern = "^[!-~]{1,64}$")]
    pub matter: MatterCode,
    #[schema(value_type = String)]
    pub purpose: Purpose,
    #[schema(value_type = String)]
    pub grant: GrantId,
    #[schema(value_type = String)]
    pub document: safebox_chain::DocumentRef,
    /// The entry's canonical bytes, base64.
    pub entry: String,
    #[schema(value_type = Object)]
    pub proof: InclusionProof,
}

#[utoipa::path(get, path = "/v1/boxes/{box}/access-log", tag = "boxes", params(("box" = String, Path)), responses((status = 200, description = "every use, with proofs", body = AccessLogView), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn access_log(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<AccessLogView>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let log = app.run(move |node| node.access_log(box_id)).await?;
    Ok(Json(AccessLogView {
        checkpoint: String::from_utf8_lossy(&log.checkpoint).into_owned(),
        uses: log
            .uses
            .into_iter()
            .map(|u| UseView {
                index: u.index,
                time: u.time.0,
                agency: u.used.agency,
                matter: u.used.matter,
                purpose: u.used.purpose,
                grant: u.used.grant,
                document: u.used.document,
                entry: BASE64_STANDARD.encode(&u.entry),
                proof: u.proof,
            })
            .collect(),
    }))
}
