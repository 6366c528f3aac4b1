//! Tokens over HTTP: the admin issues, lists and revokes them. A token's
//! secret is in the answer to its issue and nowhere else.

use super::extract::{JsonBody, PathParams};
use super::problem::Problem;
use super::AppState;
use crate::auth::{Principal, TokenId, TokenInfo};
use crate::services::ServiceError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

#[utoipa::path(get, path = "/v1/tokens", operation_id = "list_tokens", tag = "tokens", responses((status = 200, description = "every token (never its secret)", body = Vec<Object>), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list(State(app): State<AppState>) -> Result<Json<Vec<TokenInfo>>, Problem> {
    Ok(Json(app.run(|node| node.tokens.list().map_err(ServiceError::storage)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueToken {
    /// `{"kind": "admin" | "auditor"}`, `{"kind": "agency", "agency": …}` or
    /// `{"kind": "applicant", "box": …}`.
    #[schema(value_type = Object)]
    pub principal: Principal,
    pub label: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedTokenView {
    /// The bearer token: shown this once, stored only as a hash.
    pub token: String,
    #[schema(value_type = Object)]
    pub info: TokenInfo,
}

#[utoipa::path(post, path = "/v1/tokens", operation_id = "issue_token", tag = "tokens", request_body = IssueToken, responses((status = 201, description = "the token, shown once", body = IssuedTokenView), (status = 404, description = "no such agency or box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn issue(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<IssueToken>,
) -> Result<(StatusCode, Json<IssuedTokenView>), Problem> {
    let issued = app
        .run(move |node| {
            // A token for an agency or a box that does not exist would
            // authenticate and then find nothing: refuse it now.
            match &body.principal {
                Principal::Agency { agency } => {
                    safebox_chain::state::agency(&node.ledger.store().state(), agency)?
                        .ok_or_else(|| safebox_chain::state::Refusal::UnknownAgency(agency.clone()))?;
                }
                Principal::Applicant { box_id } => {
                    node.live_box(*box_id)?;
                }
                Principal::Admin | Principal::Auditor => {}
            }
            node.tokens.issue(body.principal, &body.label).map_err(ServiceError::storage)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedTokenView { token: issued.token.as_str().to_owned(), info: issued.info })))
}

#[utoipa::path(delete, path = "/v1/tokens/{token}", tag = "tokens", params(("token" = String, Path)), responses((status = 200, description = "revoked", body = Object), (status = 404, description = "no such token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn revoke(
    State(app): State<AppState>,
    PathParams(id): PathParams<String>,
) -> Result<Json<TokenInfo>, Problem> {
    let id =
        TokenId::parse(&id).ok_or_else(|| Problem::bad_request("bad-path", "a token id is 16 lowercase hex digits"))?;
    app.run(move |node| node.tokens.revoke(&id).map_err(ServiceError::storage))
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found("not-found", format!("no token {id}")))
}

/// `GET /v1/me`: whom the presented token stands for (a page signs in
/// with a token and learns which box or agency it acts for).
#[utoipa::path(get, path = "/v1/me", tag = "tokens", responses((status = 200, description = "the principal the token stands for", body = Object), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn me(caller: super::access::Caller) -> Result<Json<Principal>, Problem> {
    caller.0.map(Json).ok_or_else(|| Problem::internal("signed-in route without a caller"))
}
