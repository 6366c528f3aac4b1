//! Agencies over HTTP: the public registry, and the admin registering one
//! (with a key the node holds) or rotating its key.

use super::extract::{JsonBody, PathParams};
use super::problem::Problem;
use super::AppState;
use crate::services::ServiceError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use safebox_chain::state::AgencyRecord;
use safebox_chain::AgencyCode;
use serde::{Deserialize, Serialize};

/// Every agency the license chain registered, with its keys.
#[utoipa::path(get, path = "/v1/agencies", operation_id = "list_agencies", tag = "agencies", responses((status = 200, description = "every registered agency", body = Vec<Object>)))]
pub async fn list(State(app): State<AppState>) -> Result<Json<Vec<AgencyRecord>>, Problem> {
    let agencies = app
        .run(|node| {
            node.ledger
                .store()
                .state_with_prefix(b"agency/")
                .map(|row| {
                    let (_, value) = row.map_err(ServiceError::storage)?;
                    serde_json::from_slice::<AgencyRecord>(&value).map_err(ServiceError::storage)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(agencies))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAgency {
    /// Unified social credit code (GB 32100, with its check character).
    #[schema(value_type = String, pattern = "^[0-9A-HJ-NP-RTUW-Y]{18}$")]
    pub code: AgencyCode,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisteredAgency {
    #[schema(value_type = String)]
    pub code: AgencyCode,
    /// License-chain index of the registration or rotation.
    pub index: u64,
    /// The key that signs for the agency now (base64).
    pub key: String,
}

async fn current_key(app: &AppState, code: AgencyCode, index: u64) -> Result<RegisteredAgency, Problem> {
    app.run(move |node| {
        let state = node.ledger.store().state();
        let agency = safebox_chain::state::agency(&state, &code)?
            .ok_or_else(|| ServiceError::storage("agency missing right after its entry"))?;
        let key = safebox_chain::state::key_record(&state, &agency.current_key)?
            .ok_or_else(|| ServiceError::storage("agency key missing right after its entry"))?;
        Ok(RegisteredAgency { code, index, key: key.key.to_string() })
    })
    .await
}

/// The admin registers an agency; the node makes and keeps its key.
#[utoipa::path(post, path = "/v1/agencies", tag = "agencies", request_body = RegisterAgency, responses((status = 201, description = "registered", body = RegisteredAgency), (status = 409, description = "already registered", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn register(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<RegisterAgency>,
) -> Result<(StatusCode, Json<RegisteredAgency>), Problem> {
    let code = body.code.clone();
    let appended = app.run(move |node| node.register_agency(&body.code, &body.name)).await?;
    Ok((StatusCode::CREATED, Json(current_key(&app, code, appended.index).await?)))
}

/// The admin rotates an agency's key (held by the node).
#[utoipa::path(post, path = "/v1/agencies/{agency}/key-rotation", tag = "agencies", params(("agency" = String, Path)), responses((status = 200, description = "rotated", body = RegisteredAgency), (status = 404, description = "no such agency", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "the node holds no key for it", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn rotate_key(
    State(app): State<AppState>,
    PathParams(code): PathParams<String>,
) -> Result<Json<RegisteredAgency>, Problem> {
    let code = AgencyCode::parse(&code).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let agency = code.clone();
    let appended = app.run(move |node| node.rotate_agency_key(&agency)).await?;
    Ok(Json(current_key(&app, code, appended.index).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Retired {
    #[schema(value_type = String)]
    pub code: AgencyCode,
    /// License-chain index of `agency.retired`.
    pub index: u64,
}

/// The admin retires an agency: its key signs nothing from now on.
#[utoipa::path(post, path = "/v1/agencies/{agency}/retirement", tag = "agencies", params(("agency" = String, Path)), responses((status = 200, description = "retired", body = Retired), (status = 404, description = "no such agency", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "already retired", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn retire(
    State(app): State<AppState>,
    PathParams(code): PathParams<String>,
) -> Result<Json<Retired>, Problem> {
    let code = AgencyCode::parse(&code).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let agency = code.clone();
    let appended = app.run(move |node| node.retire_agency(&agency)).await?;
    Ok(Json(Retired { code, index: appended.index }))
}
