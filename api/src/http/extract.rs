//! Extractors that answer malformed paths and queries with a problem
//! document instead of axum's plain-text rejections.

use super::problem::Problem;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Path parameters, or a 400 problem.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| PathParams(v))
            .map_err(|e| Problem::bad_request("bad-path", e.body_text()))
    }
}

/// Query parameters, or a 400 problem.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| QueryParams(v))
            .map_err(|e| Problem::bad_request("bad-query", e.body_text()))
    }
}

/// A JSON body, or a problem: 415 without a JSON content type, 413 over
/// the body limit, 400 when it does not parse or has the wrong shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;
    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        use axum::extract::rejection::JsonRejection;
        axum::Json::<T>::from_request(request, state).await.map(|axum::Json(v)| JsonBody(v)).map_err(|e| {
            let kind = match &e {
                JsonRejection::MissingJsonContentType(_) => "not-json",
                JsonRejection::JsonSyntaxError(_) => "bad-json",
                JsonRejection::JsonDataError(_) => "bad-body",
                JsonRejection::BytesRejection(_) => "body-unreadable",
                _ => "bad-body",
            };
            // A body of the wrong shape is as malformed as one that does
            // not parse: 400 (axum says 422; this node keeps 422 for what is
            // well formed but refused, a missing material).
            let status = match &e {
                JsonRejection::JsonDataError(_) => axum::http::StatusCode::BAD_REQUEST,
                _ => e.status(),
            };
            Problem::new(status, kind, "The request body is not valid", e.body_text())
        })
    }
}

/// A JSON body kept as the bytes that were sent (415 without a JSON content
/// type): for what is verified or signed as sent, where a parse into a map
/// and back would cost a second parse and drop duplicate members.
pub struct JsonBytes(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBytes {
    type Rejection = Problem;
    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not-json",
                "The request body is not valid",
                "send the body as application/json",
            ));
        }
        axum::body::Bytes::from_request(request, state)
            .await
            .map(JsonBytes)
            .map_err(|e| Problem::new(e.status(), "body-unreadable", "The request body is not valid", e.body_text()))
    }
}
