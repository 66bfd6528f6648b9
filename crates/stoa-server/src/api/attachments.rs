//! `upload_attachment` (`POST /uploads`, raw bytes, answered with the file's URL as plain text)
//! and serving attachments (`GET /uploads/{sha256}.{ext}`). Served with the allow-listed type,
//! `nosniff` and a sandboxing CSP, so an upload is never a page of this origin.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stoa_core::CoreError;
use stoa_core::collab::attachments::MAX_ATTACHMENT_BYTES;
use stoa_core::ports::BlobKey;

use crate::AppState;
use crate::auth::Caller;
use crate::body::object_body;
use crate::error::{ApiError, ApiResult};

pub(crate) async fn upload_attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let limit = usize::try_from(MAX_ATTACHMENT_BYTES).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(CoreError::PayloadTooLarge(format!("Attachments are limited to {limit} bytes")), false)
    })?;
    let name = state
        .hub
        .upload_attachment(&caller.principal, content_type, bytes)
        .await
        .map_err(|error| caller.fail(error))?;
    let url = state.public_url.absolute(&format!("/uploads/{name}"));
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], url).into_response())
}

pub(crate) async fn get_attachment(
    State(state): State<AppState>,
    method: Method,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let fail = |error: CoreError| ApiError::new(error, false);
    let attachment = state.hub.open_attachment(&name).await.map_err(fail)?;
    let size = attachment.reader.size();
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        object_body(state.hub.blobs(), &BlobKey::Lfs(attachment.oid.clone()), attachment.reader, 0, size)
            .await
            .map_err(|error| fail(error.into()))?
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(attachment.content_type)),
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        // Content-addressed: the bytes behind a name never change.
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    Ok((StatusCode::OK, headers, body).into_response())
}
