//! E-licenses over HTTP: verification by anyone (a credential online, or a
//! proof bundle against this node's key), a license's record on the chain,
//! its QR code pointing at the verify page, and the issuing agency's
//! issue, status changes and renewal.

use super::access::{hidden, Caller};
use super::boxes::parse_box;
use super::extract::{JsonBody, JsonBytes, PathParams};
use super::problem::Problem;
use super::AppState;
use crate::services::{LicenseRequest, StatusChange};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use safebox_chain::credential::{AreaCode, CivilDate, HolderCode, LicenseTypeCode};
use safebox_chain::state::{self, LicenseRecord};
use safebox_chain::verify::{verify_online, BundleVerifier, NodeVerifierKey, Verdict};
use safebox_chain::{AgencyCode, BoxRef, LicenseId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The path of the verify page a QR code points at.
pub const VERIFY_PAGE: &str = "/verify";

#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyAnswer {
    /// `online` for a credential checked against this node now, `bundle`
    /// for a proof bundle checked against this node's key.
    pub mode: &'static str,
    #[schema(value_type = Object)]
    pub verdict: Verdict,
}

/// Verifies a credential (the VC JSON) or a proof bundle (JSON with a
/// `format` member) sent as the body.
#[utoipa::path(post, path = "/v1/licenses/verify", tag = "licenses", request_body(content = Object, content_type = "application/json"), responses((status = 200, description = "every check, each with its detail or reason", body = VerifyAnswer), (status = 400, description = "not a credential or bundle", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn verify(State(app): State<AppState>, JsonBytes(bytes): JsonBytes) -> Result<Json<VerifyAnswer>, Problem> {
    // The text is verified as it was sent: a signature covers the canonical
    // form of exactly what the holder has, and the strict reader refuses
    // duplicate members that a parse into a map would silently drop.
    /// Only whether there is a top-level `format` member (a bundle).
    #[derive(Deserialize)]
    struct Probe {
        format: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request("bad-json", e.to_string()))?;
    let is_bundle = probe.format.is_some();
    let ledger = app.ledger.clone();
    let answer = tokio::task::spawn_blocking(move || {
        if is_bundle {
            let key = NodeVerifierKey::new(ledger.node_name(), ledger.node_key());
            let mut verifier = BundleVerifier::new(Some(key));
            verifier
                .verify(&bytes, Timestamp::now())
                .map(|verdict| VerifyAnswer { mode: "bundle", verdict })
                .map_err(|e| Problem::bad_request("bad-bundle", e.to_string()))
        } else {
            Ok(VerifyAnswer { mode: "online", verdict: verify_online(&ledger, &bytes, Timestamp::now()) })
        }
    })
    .await
    .map_err(|e| Problem::internal(e.to_string()))??;
    app.metrics.verification(answer.mode, answer.verdict.is_valid());
    Ok(Json(answer))
}

fn parse_license(text: &str) -> Result<LicenseId, Problem> {
    LicenseId::parse(text).map_err(|e| Problem::bad_request("bad-path", e.to_string()))
}

async fn record(app: &AppState, license: LicenseId) -> Result<LicenseRecord, Problem> {
    let ledger = app.ledger.clone();
    let shown = license.clone();
    tokio::task::spawn_blocking(move || state::license(&ledger.store().state(), &license))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(|e| Problem::internal(e.to_string()))?
        .ok_or_else(|| hidden(format_args!("license {shown}")))
}

/// What the license chain says of a license: public, as the chain is (the
/// holder only as a commitment).
#[utoipa::path(get, path = "/v1/licenses/{license}", operation_id = "show_license", tag = "licenses", params(("license" = String, Path)), responses((status = 200, description = "the license chain's record", body = Object), (status = 404, description = "no such license", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(app): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<LicenseRecord>, Problem> {
    Ok(Json(record(&app, parse_license(&id)?).await?))
}

fn verify_url(license: &LicenseId) -> String {
    format!("{VERIFY_PAGE}?license={license}")
}

fn qr(license: &LicenseId) -> Result<qrcode::QrCode, Problem> {
    qrcode::QrCode::new(verify_url(license).as_bytes()).map_err(|e| Problem::internal(e.to_string()))
}

/// A QR code (SVG) of the verify page's address for this license.
#[utoipa::path(get, path = "/v1/licenses/{license}/qr.svg", tag = "licenses", params(("license" = String, Path)), responses((status = 200, description = "a QR code of the verify page's address", body = String, content_type = "image/svg+xml"), (status = 404, description = "no such license", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn qr_svg(State(app): State<AppState>, PathParams(id): PathParams<String>) -> Result<Response, Problem> {
    let license = parse_license(&id)?;
    record(&app, license.clone()).await?;
    let svg = qr(&license)?.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The same QR code as a PNG (8 pixels a module, 4 modules of quiet zone).
#[utoipa::path(get, path = "/v1/licenses/{license}/qr.png", tag = "licenses", params(("license" = String, Path)), responses((status = 200, description = "the same QR code", body = Vec<u8>, content_type = "image/png"), (status = 404, description = "no such license", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn qr_png(State(app): State<AppState>, PathParams(id): PathParams<String>) -> Result<Response, Problem> {
    let license = parse_license(&id)?;
    record(&app, license.clone()).await?;
    let code = qr(&license)?;
    let png = png_of(&code).map_err(|e| Problem::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

fn png_of(code: &qrcode::QrCode) -> Result<Vec<u8>, png::EncodingError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QUIET) * SCALE, (i / modules + QUIET) * SCALE);
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Change {
    Suspend,
    Resume,
    Revoke,
    Cancel,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeStatus {
    pub change: Change,
    /// Why, in the agency's words; recorded on the chain and shown to
    /// verifiers.
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// Index of the entry on its chain.
    pub index: u64,
}

/// The issuing agency suspends, resumes, revokes or cancels a license.
#[utoipa::path(post, path = "/v1/licenses/{license}/status", tag = "licenses", params(("license" = String, Path)), request_body = ChangeStatus, responses((status = 200, description = "recorded", body = Recorded), (status = 404, description = "no such license of the caller's agency", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "an illegal transition", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn change_status(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<ChangeStatus>,
) -> Result<Json<Recorded>, Problem> {
    let license = parse_license(&id)?;
    let record = record(&app, license.clone()).await?;
    caller.require_agency(&record.issued.agency, format_args!("license {license}"))?;
    let change = match body.change {
        Change::Suspend => StatusChange::Suspend,
        Change::Resume => StatusChange::Resume,
        Change::Revoke => StatusChange::Revoke,
        Change::Cancel => StatusChange::Cancel,
    };
    let appended = app.run(move |node| node.change_license_status(&license, change, &body.reason)).await?;
    Ok(Json(Recorded { index: appended.index }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    /// The signed credential (W3C VC 2.0, eddsa-jcs-2022).
    #[schema(value_type = Object)]
    pub credential: Value,
    /// License-chain index of the issuance.
    pub index: u64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Renew {
    /// The holder's box, as the chain names it.
    #[serde(rename = "box")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
    pub box_ref: BoxRef,
    #[schema(value_type = String)]
    pub validity_start: CivilDate,
    #[schema(value_type = Option<String>)]
    pub validity_end: Option<CivilDate>,
}

/// The issuing agency renews a license its holder's box holds.
#[utoipa::path(post, path = "/v1/licenses/{license}/renewal", tag = "licenses", params(("license" = String, Path)), request_body = Renew, responses((status = 201, description = "the new version", body = IssuedView), (status = 404, description = "no such license of the caller's agency", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn renew(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Renew>,
) -> Result<(StatusCode, Json<IssuedView>), Problem> {
    let license = parse_license(&id)?;
    let record = record(&app, license.clone()).await?;
    caller.require_agency(&record.issued.agency, format_args!("license {license}"))?;
    let agency = record.issued.agency;
    let issued = app
        .run(move |node| {
            let box_id = node.box_id_of(&body.box_ref)?;
            node.renew_license(&agency, box_id, &license, body.validity_start, body.validity_end)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedView { credential: issued.license.to_json(), index: issued.appended.index })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// The holder's box, as the chain names it.
    #[serde(rename = "box")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
    pub box_ref: BoxRef,
    #[schema(value_type = String)]
    pub license_type: LicenseTypeCode,
    pub license_name: String,
    pub holder_name: String,
    /// `{"type": "111" | "001", "code": …}`.
    #[schema(value_type = Object)]
    pub holder_code: HolderCode,
    #[schema(value_type = String)]
    pub validity_start: CivilDate,
    #[schema(value_type = Option<String>)]
    pub validity_end: Option<CivilDate>,
    #[schema(value_type = String)]
    pub jurisdiction_code: AreaCode,
}

/// An agency issues a license into a box.
#[utoipa::path(post, path = "/v1/agencies/{agency}/licenses", operation_id = "issue_license", tag = "licenses", params(("agency" = String, Path)), request_body = Issue, responses((status = 201, description = "issued into the box", body = IssuedView), (status = 404, description = "not the caller's agency, or no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn issue(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(agency): PathParams<String>,
    JsonBody(body): JsonBody<Issue>,
) -> Result<(StatusCode, Json<IssuedView>), Problem> {
    let agency = AgencyCode::parse(&agency).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    caller.require_agency(&agency, format_args!("agency {agency}"))?;
    let issued = app
        .run(move |node| {
            let box_id = node.box_id_of(&body.box_ref)?;
            let request = LicenseRequest {
                license_type: body.license_type,
                license_name: body.license_name,
                holder_name: body.holder_name,
                holder_code: body.holder_code,
                validity_start: body.validity_start,
                validity_end: body.validity_end,
                jurisdiction_code: body.jurisdiction_code,
            };
            node.issue_license(&agency, box_id, request)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedView { credential: issued.license.to_json(), index: issued.appended.index })))
}

/// The licenses the applicant's box holds (current version of each type).
#[utoipa::path(get, path = "/v1/boxes/{box}/licenses", tag = "licenses", params(("box" = String, Path)), responses((status = 200, description = "the credentials the box holds", body = Vec<Object>), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn of_box(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<Value>>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let held = app.run(move |node| node.box_licenses(box_id)).await?;
    Ok(Json(held.iter().map(|h| h.license.to_json()).collect()))
}

/// Offline proof bundles of every license the box holds, sharing one
/// checkpoint and one status snapshot.
#[utoipa::path(get, path = "/v1/boxes/{box}/bundles", tag = "licenses", params(("box" = String, Path)), responses((status = 200, description = "offline proof bundles of the box's licenses", body = Vec<Object>), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn bundles_of_box(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<Value>>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let bundles = app
        .run(move |node| {
            let held: Vec<_> = node.box_licenses(box_id)?.into_iter().map(|h| h.license).collect();
            node.proof_bundles(&held)
        })
        .await?;
    bundles
        .iter()
        .map(|b| serde_json::from_slice(&b.to_json_bytes()).map_err(|e| Problem::internal(e.to_string())))
        .collect::<Result<Vec<Value>, _>>()
        .map(Json)
}
