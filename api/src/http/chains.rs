//! The chains' read API: node identity, checkpoints, entries, proofs and
//! C2SP tiles. Reads are a few RocksDB point lookups, served inline.

use super::extract::{PathParams, QueryParams};
use super::problem::Problem;
use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use safebox_chain::checkpoint;
use safebox_chain::ledger::ReadError;
use safebox_chain::state;
use safebox_chain::tiles::{self, TileError, TileRequest};
use safebox_chain::ChainId;
use serde::{Deserialize, Serialize};

fn parse_chain(name: &str) -> Result<ChainId, Problem> {
    name.parse().map_err(|e: safebox_chain::chain_id::UnknownChain| Problem::not_found("no-such-chain", e.to_string()))
}

fn parse_number(what: &str, text: &str) -> Result<u64, Problem> {
    text.parse::<u64>().map_err(|_| {
        Problem::bad_request(
            "bad-number",
            format!(
                "{what} must be a whole number from 0 to 2^64-1, got {:?}",
                text.chars().take(32).collect::<String>()
            ),
        )
    })
}

fn read_problem(e: ReadError) -> Problem {
    match e {
        ReadError::NoSuchEntry { .. } => Problem::not_found("no-such-entry", e.to_string()),
        ReadError::SizeBeyondHead { .. } => Problem::bad_request("size-beyond-head", e.to_string()),
        ReadError::Proof(_) => Problem::bad_request("bad-proof-request", e.to_string()),
        ReadError::Storage(s) => Problem::internal(s.to_string()),
    }
}

/// One chain as `/v1/node` describes it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChainInfo {
    #[schema(value_type = String)]
    pub chain: ChainId,
    pub origin: String,
    /// The signed-note key id (hex) of the node key under this origin.
    pub key_id: String,
    /// The verifier key line tlog clients configure (`origin+id+key`).
    pub verifier_key: String,
    pub size: u64,
}

/// `GET /v1/node` body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    pub name: String,
    #[schema(value_type = String)]
    pub node_key: safebox_chain::PublicKey,
    #[schema(value_type = Option<String>)]
    pub root_key: Option<safebox_chain::PublicKey>,
    pub chains: Vec<ChainInfo>,
}

#[utoipa::path(get, path = "/v1/node", tag = "chains", responses((status = 200, description = "the node and its chains", body = NodeInfo)))]
pub async fn node_info(State(app): State<AppState>) -> Result<Json<NodeInfo>, Problem> {
    let ledger = &app.ledger;
    let genesis = state::genesis(&ledger.store().state()).map_err(|e| Problem::internal(e.to_string()))?;
    let mut chains = Vec::new();
    for chain in ChainId::ALL {
        let origin = ledger.origin(chain);
        let size = ledger.head(chain).map_err(|e| Problem::internal(e.to_string()))?.size;
        chains.push(ChainInfo {
            chain,
            key_id: format!("{:08x}", checkpoint::note_key_id(&origin, &ledger.node_key())),
            verifier_key: checkpoint::verifier_key(&origin, &ledger.node_key()),
            origin,
            size,
        });
    }
    Ok(Json(NodeInfo {
        name: ledger.node_name().to_owned(),
        node_key: ledger.node_key(),
        root_key: genesis.map(|g| g.root_key),
        chains,
    }))
}

#[utoipa::path(get, path = "/v1/chains/{chain}/checkpoint", tag = "chains", params(("chain" = String, Path)), responses((status = 200, description = "the latest signed checkpoint (C2SP signed note)", body = String, content_type = "text/plain; charset=utf-8"), (status = 404, description = "no such chain, or no checkpoint yet", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn checkpoint(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
) -> Result<Response, Problem> {
    let chain = parse_chain(&chain)?;
    let note = app
        .ledger
        .checkpoint(chain)
        .map_err(|e| Problem::internal(e.to_string()))?
        .ok_or_else(|| Problem::not_found("no-checkpoint", format!("the {chain} chain has no checkpoint yet")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

#[utoipa::path(get, path = "/v1/chains/{chain}/entries/{index}", tag = "chains", params(("chain" = String, Path), ("index" = String, Path)), responses((status = 200, description = "the entry's canonical JSON bytes", body = Object, content_type = "application/json"), (status = 400, description = "bad index", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "no such entry", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn entry(
    State(app): State<AppState>,
    PathParams((chain, index)): PathParams<(String, String)>,
) -> Result<Response, Problem> {
    let chain = parse_chain(&chain)?;
    let index = parse_number("index", &index)?;
    let bytes = app.ledger.entry(chain, index).map_err(read_problem)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

#[derive(Deserialize)]
pub struct InclusionQuery {
    index: Option<String>,
    size: Option<String>,
}

fn required(what: &str, value: Option<String>) -> Result<u64, Problem> {
    let text = value
        .ok_or_else(|| Problem::bad_request("missing-parameter", format!("query parameter {what} is required")))?;
    parse_number(what, &text)
}

#[utoipa::path(get, path = "/v1/chains/{chain}/proofs/inclusion", tag = "chains", params(("chain" = String, Path), ("index" = u64, Query, description = "leaf index"), ("size" = u64, Query, description = "tree size")), responses((status = 200, description = "an RFC 6962 inclusion proof", body = Object), (status = 400, description = "bad index or size", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn inclusion(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
    QueryParams(q): QueryParams<InclusionQuery>,
) -> Result<Json<safebox_chain::InclusionProof>, Problem> {
    let chain = parse_chain(&chain)?;
    let index = required("index", q.index)?;
    let size = required("size", q.size)?;
    app.metrics.proof("inclusion");
    app.ledger.inclusion_proof(chain, index, size).map(Json).map_err(read_problem)
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: Option<String>,
    to: Option<String>,
}

#[utoipa::path(get, path = "/v1/chains/{chain}/proofs/consistency", tag = "chains", params(("chain" = String, Path), ("from" = u64, Query, description = "old size (at least 1)"), ("to" = u64, Query, description = "new size")), responses((status = 200, description = "an RFC 6962 consistency proof", body = Object), (status = 400, description = "bad sizes", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn consistency(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
    QueryParams(q): QueryParams<ConsistencyQuery>,
) -> Result<Json<safebox_chain::ConsistencyProof>, Problem> {
    let chain = parse_chain(&chain)?;
    let from = required("from", q.from)?;
    let to = required("to", q.to)?;
    app.metrics.proof("consistency");
    app.ledger.consistency_proof(chain, from, to).map(Json).map_err(read_problem)
}

#[utoipa::path(get, path = "/v1/chains/{chain}/tile/{path}", tag = "chains", params(("chain" = String, Path), ("path" = String, Path)), responses((status = 200, description = "a C2SP tlog-tiles hash tile or entry bundle", body = Vec<u8>, content_type = "application/octet-stream"), (status = 400, description = "bad tile path", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "no such tile yet", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn tile(
    State(app): State<AppState>,
    PathParams((chain, path)): PathParams<(String, String)>,
) -> Result<Response, Problem> {
    let chain = parse_chain(&chain)?;
    let request = TileRequest::parse(&format!("tile/{path}"))
        .map_err(|e| Problem::bad_request("bad-tile-path", e.to_string()))?;
    let bytes = tiles::read_tile(&app.ledger, chain, request).map_err(|e| match e {
        TileError::BadPath(_) => Problem::bad_request("bad-tile-path", e.to_string()),
        TileError::NotYet(_) => Problem::not_found("no-such-tile", e.to_string()),
        TileError::Read(r) => read_problem(r),
    })?;
    // Full tiles never change: let mirrors and caches keep them.
    let cache = if request.width == 256 { "public, max-age=31536000, immutable" } else { "no-cache" };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], bytes).into_response())
}

/// Ready when the chains' heads and checkpoints can be read.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "not ready", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn ready(State(app): State<AppState>) -> Result<&'static str, Problem> {
    for chain in ChainId::ALL {
        app.ledger.head(chain).map_err(|e| {
            Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Not ready", e.to_string())
        })?;
    }
    Ok("ready")
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub index: u64,
}

/// A client-signed entry (the applicant's grant or withdrawal, an agency's
/// license entry): accepted when its author key belongs to the caller,
/// checked by the node's policy and the chain's rules.
#[utoipa::path(post, path = "/v1/chains/{chain}/entries", tag = "chains", params(("chain" = String, Path)), request_body(content = Object, content_type = "application/json"), responses((status = 201, description = "appended", body = Submitted), (status = 400, description = "not a valid entry, or not the caller's key", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "refused by the chain's rules", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn submit_entry(
    State(app): State<AppState>,
    caller: super::access::Caller,
    PathParams(chain): PathParams<String>,
    super::extract::JsonBytes(bytes): super::extract::JsonBytes,
) -> Result<(axum::http::StatusCode, Json<Submitted>), Problem> {
    use crate::auth::Principal;
    use safebox_chain::payload::Payload;
    use safebox_chain::state::KeyOwner;
    let chain = parse_chain(&chain)?;
    let signed =
        safebox_chain::SignedEntry::from_json(&bytes).map_err(|e| Problem::bad_request("bad-entry", e.to_string()))?;
    if signed.entry.chain != chain {
        return Err(Problem::bad_request(
            "wrong-chain",
            format!("the entry names the {} chain; it was sent to the {chain} chain", signed.entry.chain),
        ));
    }
    if matches!(signed.entry.payload, Payload::DocumentUsed(_)) {
        return Err(Problem::bad_request("wrong-kind", "a use is recorded by reading the document: POST /v1/uses"));
    }
    let appended = app
        .run(move |node| {
            let owner = state::key_record(&node.ledger.store().state(), &signed.entry.author)?.map(|r| r.owner);
            let own = match (&caller.0, owner) {
                (Some(Principal::Agency { agency }), Some(KeyOwner::Agency(of))) => *agency == of,
                (Some(Principal::Applicant { box_id }), Some(KeyOwner::Applicant(of))) => {
                    node.box_ref(*box_id).is_ok_and(|r| r == of)
                }
                _ => false,
            };
            if !own {
                return Err(crate::services::ServiceError::Invalid {
                    what: "author",
                    reason: "the entry's author key is not a key of the caller".into(),
                });
            }
            node.submit(signed)
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(Submitted { index: appended.index })))
}

/// Replays both chains from genesis (as `safebox audit`) and reports.
#[utoipa::path(get, path = "/v1/audit", tag = "operations", responses((status = 200, description = "the replay report, or the first discrepancy", body = Object), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn audit(State(app): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    let ledger = app.ledger.clone();
    let report = tokio::task::spawn_blocking(move || safebox_chain::replay::replay(ledger.store(), &mut |_, _| {}))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?;
    Ok(Json(match report {
        Ok(report) => serde_json::json!({ "intact": true, "report": report }),
        Err(discrepancy) => serde_json::json!({ "intact": false, "discrepancy": discrepancy }),
    }))
}
