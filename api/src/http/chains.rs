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
#[derive(Serialize)]
pub struct ChainInfo {
    pub chain: ChainId,
    pub origin: String,
    /// The signed-note key id (hex) of the node key under this origin.
    pub key_id: String,
    /// The verifier key line tlog clients configure (`origin+id+key`).
    pub verifier_key: String,
    pub size: u64,
}

/// `GET /v1/node` body.
#[derive(Serialize)]
pub struct NodeInfo {
    pub name: String,
    pub node_key: safebox_chain::PublicKey,
    pub root_key: Option<safebox_chain::PublicKey>,
    pub chains: Vec<ChainInfo>,
}

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

pub async fn checkpoint(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
) -> Result<Response, Problem> {
    let chain = parse_chain(&chain)?;
    let note = app
        .ledger
        .store()
        .checkpoint(chain)
        .map_err(|e| Problem::internal(e.to_string()))?
        .ok_or_else(|| Problem::not_found("no-checkpoint", format!("the {chain} chain has no checkpoint yet")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

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

pub async fn inclusion(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
    QueryParams(q): QueryParams<InclusionQuery>,
) -> Result<Json<safebox_chain::InclusionProof>, Problem> {
    let chain = parse_chain(&chain)?;
    let index = required("index", q.index)?;
    let size = required("size", q.size)?;
    app.ledger.inclusion_proof(chain, index, size).map(Json).map_err(read_problem)
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn consistency(
    State(app): State<AppState>,
    PathParams(chain): PathParams<String>,
    QueryParams(q): QueryParams<ConsistencyQuery>,
) -> Result<Json<safebox_chain::ConsistencyProof>, Problem> {
    let chain = parse_chain(&chain)?;
    let from = required("from", q.from)?;
    let to = required("to", q.to)?;
    app.ledger.consistency_proof(chain, from, to).map(Json).map_err(read_problem)
}

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
