//! Documents over HTTP, streamed both ways: the applicant uploads and reads
//! their own, and an agency reads one under a grant, which is recorded on
//! the service chain before the first byte leaves.
//!
//! The vault reads from a `Read` and writes to a `Write` on the blocking
//! pool; the bridges here connect those to the request and response bodies
//! through a bounded pipe, so memory stays flat whatever the size.

use super::access::Caller;
use super::boxes::parse_box;
use super::extract::{JsonBody, JsonBytes, PathParams, QueryParams};
use super::problem::Problem;
use super::AppState;
use crate::services::{ServiceError, UseRequest};
use crate::Node;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::TryStreamExt;
use safebox_chain::{BoxRef, DocumentRef, GrantId, MatterCode, Purpose};
use safebox_vault::{DocumentId, DocumentMeta, DocumentType, NewDocument, Version};
use serde::Deserialize;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio_util::io::{ReaderStream, StreamReader, SyncIoBridge};

/// The largest upload accepted (the vault streams any size; this bounds
/// what one request may make the node store).
pub const MAX_UPLOAD_BYTES: u64 = 4 << 30;
/// Buffer between the vault's writer and the response body.
const PIPE_BYTES: usize = 256 << 10;

#[utoipa::path(get, path = "/v1/boxes/{box}/documents", operation_id = "list_documents", tag = "documents", params(("box" = String, Path)), responses((status = 200, description = "every version of every document", body = Vec<Object>), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<DocumentMeta>>, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    Ok(Json(app.run(move |node| node.documents(box_id)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// The document type (`id-card`, `lease`, …).
    #[serde(rename = "type")]
    #[param(value_type = String)]
    pub document_type: Option<String>,
    /// The file name shown to people.
    pub name: Option<String>,
}

/// Counts what passes, and fails the read once more than the limit came
/// or once the request was abandoned (timed out, client gone), so that the
/// vault drops the upload instead of storing it after the caller was told
/// it failed.
struct Bounded<R> {
    inner: R,
    left: u64,
    abandoned: Arc<AtomicBool>,
}

/// Marks the upload abandoned when the handler's future is dropped before
/// the upload finished.
struct AbandonOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.abandoned.load(Ordering::SeqCst) {
            return Err(io::Error::other("the request was abandoned before the upload finished"));
        }
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("the upload is larger than {MAX_UPLOAD_BYTES} bytes"))
        })?;
        Ok(n)
    }
}

#[utoipa::path(post, path = "/v1/boxes/{box}/documents", tag = "documents", params(("box" = String, Path), ("type" = String, Query, description = "document type"), ("name" = String, Query, description = "file name")), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, description = "stored", body = Object), (status = 400, description = "bad type or name", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "no such box", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn upload(
    State(app): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<UploadQuery>,
    request: Request,
) -> Result<(StatusCode, Json<DocumentMeta>), Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let missing = |what: &str| Problem::bad_request("missing-parameter", format!("query parameter {what} is required"));
    let document_type = DocumentType::new(query.document_type.ok_or_else(|| missing("type"))?)
        .map_err(|e| Problem::bad_request("invalid", e.to_string()))?;
    let media_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let new = NewDocument { document_type, name: query.name.ok_or_else(|| missing("name"))?, media_type };
    let stream = request.into_body().into_data_stream().map_err(io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let abandoned = Arc::new(AtomicBool::new(false));
    let mut guard = AbandonOnDrop { flag: abandoned.clone(), armed: true };
    let bounded = Bounded { inner: reader, left: MAX_UPLOAD_BYTES, abandoned };
    let meta = app.run(move |node| node.upload_document(box_id, &new, bounded)).await?;
    // Finished: nothing left to abandon.
    guard.armed = false;
    Ok((StatusCode::CREATED, Json(meta)))
}

#[utoipa::path(get, path = "/v1/boxes/{box}/documents/{document}/versions/{version}", tag = "documents", params(("box" = String, Path), ("document" = String, Path), ("version" = String, Path)), responses((status = 200, description = "the document's bytes, streamed, with the media type it was stored with", body = Vec<u8>, content_type = "*/*"), (status = 404, description = "no such document version", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn download(
    State(app): State<AppState>,
    caller: Caller,
    PathParams((id, document, version)): PathParams<(String, String, u32)>,
) -> Result<Response, Problem> {
    let box_id = parse_box(&id)?;
    caller.require_box(box_id)?;
    let document = DocumentId::parse(&document).map_err(|e| Problem::bad_request("bad-path", e.to_string()))?;
    let version = Version(version);
    let meta = app
        .run(move |node| {
            node.live_box(box_id)?;
            Ok(node.vault.document(box_id, document, version)?)
        })
        .await?;
    let headers = [
        (header::CONTENT_TYPE, meta.media_type.clone()),
        (header::CONTENT_LENGTH, meta.size.to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}", percent_encode(&meta.name))),
    ];
    let body =
        stream_out(&app, move |node, mut out| node.read_own_document(box_id, document, version, &mut out).map(|_| ()))
            .await?;
    Ok((headers, body).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseBody {
    #[serde(rename = "box")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
    pub box_ref: BoxRef,
    #[schema(value_type = String, pattern = "^[0-9a-f]{32}$")]
    pub grant: GrantId,
    #[schema(value_type = String, pattern = "^[0-9a-f]{32}$")]
    pub document: DocumentRef,
    #[schema(value_type = String, pattern = "^[!-~]{1,64}$")]
    pub matter: MatterCode,
    #[schema(value_type = String)]
    pub purpose: Purpose,
}

impl UseBody {
    /// The read the calling agency asks for.
    fn request(self, agency: safebox_chain::AgencyCode) -> UseRequest {
        UseRequest {
            box_ref: self.box_ref,
            grant: self.grant,
            document: self.document,
            agency,
            matter: self.matter,
            purpose: self.purpose,
        }
    }
}

/// An agency reads a document under a grant: the node signs the use with
/// the agency's key it holds, records it, then streams the bytes.
#[utoipa::path(post, path = "/v1/uses", tag = "documents", request_body = UseBody, responses((status = 404, description = "no such box or grant", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 200, description = "the document's bytes, streamed after the use is on the service chain", body = Vec<u8>, content_type = "application/octet-stream"), (status = 409, description = "no usable grant", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn use_document(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<UseBody>,
) -> Result<Response, Problem> {
    let agency = caller.agency().cloned().ok_or_else(|| Problem::internal("agency route without an agency"))?;
    let request = body.request(agency);
    let body = stream_out(&app, move |node, mut out| {
        let key = node.agency_signing_key(&request.agency)?;
        node.read_with_agency_key(&request, &key, &mut out).map(|_| ())
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

/// A writer that says when the first byte is written.
struct FirstByte<W> {
    inner: W,
    signal: Option<oneshot::Sender<()>>,
}

impl<W: Write> Write for FirstByte<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            if let Some(signal) = self.signal.take() {
                let _ = signal.send(());
            }
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `work` on the blocking pool writing into the response body. An
/// error before the first byte is answered as a problem document; after
/// it, the body ends early (a declared length shows the truncation).
async fn stream_out(
    app: &AppState,
    work: impl FnOnce(&Node, &mut dyn Write) -> Result<(), ServiceError> + Send + 'static,
) -> Result<Body, Problem> {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let (first_tx, first_rx) = oneshot::channel();
    let node = app.node.clone();
    let bridge = SyncIoBridge::new(writer);
    let task = tokio::task::spawn_blocking(move || {
        let mut out = FirstByte { inner: bridge, signal: Some(first_tx) };
        let result = work(&node, &mut out);
        let flushed = out.flush();
        match (result, flushed) {
            (Err(e), _) => Err(e),
            (Ok(()), Err(e)) => Err(ServiceError::storage(e)),
            (Ok(()), Ok(())) => Ok(()),
        }
    });
    match first_rx.await {
        // Streaming has begun: later failures can only cut the body short.
        Ok(()) => {
            tokio::spawn(async move {
                if let Ok(Err(e)) = task.await {
                    tracing::warn!(error = %e, "a download stopped part way");
                }
            });
        }
        // Finished without writing: an empty document, or a refusal.
        Err(_) => match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(Problem::internal(e.to_string())),
        },
    }
    Ok(Body::from_stream(ReaderStream::new(reader)))
}

/// RFC 8187 encoding of a file name for `Content-Disposition`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PreparedUse {
    /// The unsigned `document.used` entry (its canonical JSON): the agency
    /// signs exactly these bytes with its current key and sends the entry
    /// back with `sig` to `POST /v1/uses/signed`.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

/// For an agency that signs on its own: the entry to sign for a read.
#[utoipa::path(post, path = "/v1/uses/prepare", tag = "documents", request_body = UseBody, responses((status = 404, description = "no such box or grant", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 200, description = "the entry to sign", body = PreparedUse), (status = 409, description = "no usable grant", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn prepare_use(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<UseBody>,
) -> Result<Json<PreparedUse>, Problem> {
    let agency = caller.agency().cloned().ok_or_else(|| Problem::internal("agency route without an agency"))?;
    let entry = app
        .run(move |node| {
            let state = node.ledger.store().state();
            let record = safebox_chain::state::agency(&state, &agency)?
                .ok_or_else(|| safebox_chain::state::Refusal::UnknownAgency(agency.clone()))?;
            let key = safebox_chain::state::key_record(&state, &record.current_key)?
                .ok_or_else(|| ServiceError::storage("the agency's current key has no record"))?
                .key;
            let request = body.request(agency);
            node.prepare_use(&request, &key)
        })
        .await?;
    let value = serde_json::from_slice(&entry.signing_bytes()).map_err(|e| Problem::internal(e.to_string()))?;
    Ok(Json(PreparedUse { entry: value }))
}

/// An agency's own signed `document.used`: recorded, then the bytes
/// stream, as for a read the node signs.
#[utoipa::path(post, path = "/v1/uses/signed", tag = "documents", request_body(content = Object, content_type = "application/json"), responses((status = 404, description = "no such box or grant", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 200, description = "the document's bytes, streamed after the use is on the service chain", body = Vec<u8>, content_type = "application/octet-stream"), (status = 400, description = "not a signed use by the caller's agency", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "refused by the chain's rules", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 401, description = "no valid token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "a token of a kind this route does not admit", body = crate::http::problem::Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn signed_use(
    State(app): State<AppState>,
    caller: Caller,
    JsonBytes(bytes): JsonBytes,
) -> Result<Response, Problem> {
    let agency = caller.agency().cloned().ok_or_else(|| Problem::internal("agency route without an agency"))?;
    let signed =
        safebox_chain::SignedEntry::from_json(&bytes).map_err(|e| Problem::bad_request("bad-entry", e.to_string()))?;
    match &signed.entry.payload {
        safebox_chain::payload::Payload::DocumentUsed(used) if used.agency == agency => {}
        _ => return Err(Problem::bad_request("wrong-kind", "expected a document.used entry of the caller's agency")),
    }
    let body =
        stream_out(&app, move |node, mut out| node.read_document_as_agency(signed, &mut out).map(|_| ())).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}
