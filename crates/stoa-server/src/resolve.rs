//! `HEAD` / `GET /{P}{id}/resolve/{rev}/{path}`: file metadata and content (hub-api.md §3.6).
//! Served from the API origin, so the token and `Range` stay under Stoa's control; exact `206`
//! answers; LFS content streamed from the object store, never buffered whole.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stoa_core::CoreError;
use stoa_core::ports::{BlobKey, ObjectReader};

use crate::AppState;
use crate::auth::Caller;
use crate::body::{RunSource, XorbRun, object_body, xet_range_body};
use crate::endpoint::RepoRef;
use crate::error::ApiResult;

/// A `Range` header resolved against the content size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    Full,
    /// Inclusive bounds.
    Partial {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// Single ranges only (`a-b`, `a-`, `-n`); anything else is ignored and the whole file served,
/// as RFC 9110 allows. An end beyond the file is clamped; a start at or past the end is 416.
pub(crate) fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|value| value.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return RangeRequest::Full;
        };
        if suffix == 0 || size == 0 {
            return RangeRequest::Unsatisfiable;
        }
        return RangeRequest::Partial { start: size.saturating_sub(suffix), end: size - 1 };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end,
            _ => return RangeRequest::Full,
        }
    };
    if start >= size {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial { start, end: end.min(size - 1) }
}

/// Content types for the few formats browsers display; everything else downloads. User files
/// are never rendered as HTML from this origin.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "json" => "application/json",
        "txt" | "md" | "csv" | "py" | "yaml" | "yml" | "jsonl" | "html" | "htm" | "svg" | "xml" | "js" => {
            "text/plain; charset=utf-8"
        }
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn content_disposition(path: &str) -> HeaderValue {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    // Markup a browser could render (HTML, SVG, XML, scripts) is only ever a download, even
    // though it is also sent as text/plain with nosniff (security.md §7.1).
    let extension = name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default();
    let disposition = if matches!(extension.as_str(), "html" | "htm" | "xhtml" | "svg" | "xml" | "js") {
        "attachment"
    } else {
        "inline"
    };
    header_value(&format!("{disposition}; filename*=UTF-8''{encoded}; filename=\"{ascii}\";"))
}

/// Rebuilds bytes `start..start+length` of a Xet file for a client that does not speak Xet.
pub(crate) async fn xet_bridge(
    hub: &stoa_core::Hub,
    file_hash: &stoa_xet::XetHash,
    start: u64,
    length: u64,
) -> Result<Body, CoreError> {
    if length == 0 {
        return Ok(Body::empty());
    }
    let plan = hub.plan_file(file_hash, Some((start, Some(start + length - 1)))).await?;
    let mut runs = Vec::with_capacity(plan.plan.terms.len());
    for term in &plan.plan.terms {
        let source = match hub.blobs().open_xorb(&term.xorb).await? {
            ObjectReader::LocalFile { path, .. } => RunSource::File(path),
            ObjectReader::Remote { .. } => RunSource::Remote(hub.blobs().clone(), term.xorb),
        };
        runs.push(XorbRun { source, start: term.byte_start, end: term.byte_end });
    }
    Ok(xet_range_body(runs, plan.plan.offset_into_first_range, length))
}

/// One download = one count. huggingface_hub marks every request of a download with
/// `X-HF-Download-Counter` and always sends a HEAD before its GET, so for it the HEAD counts;
/// other clients (curl, git-lfs, browsers) count on their GET. Ranged reads past the start are
/// parts of a fetch already counted.
fn is_one_fetch(method: &Method, headers: &HeaderMap, range: RangeRequest) -> bool {
    let from_hub_client = headers.contains_key("x-hf-download-counter");
    if method == Method::HEAD {
        return from_hub_client;
    }
    !from_hub_client && matches!(range, RangeRequest::Full | RangeRequest::Partial { start: 0, .. })
}

pub(crate) async fn resolve(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    path: &str,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error: CoreError| caller.fail(error);
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    hub.check_file_read(&caller.principal, &repo, path).await.map_err(fail)?;
    let resolved = hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let commit = resolved.commit.to_string();
    let Some(entry) = hub.file_at(&repo, &resolved.commit, path).await.map_err(fail)? else {
        return Err(fail(CoreError::entry_not_found()).with_header("x-repo-commit", &commit));
    };
    hub.check_not_quarantined(&repo, &entry).await.map_err(fail)?;

    let mut response_headers = HeaderMap::new();
    response_headers.insert("x-repo-commit", header_value(&commit));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    response_headers.insert(header::CONTENT_DISPOSITION, content_disposition(path));
    response_headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response_headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    let size = entry.size;
    let xet_file = match &entry.lfs {
        Some(info) => hub.xet_file_of(&repo, info.pointer.oid.as_str()).await.map_err(fail)?,
        None => None,
    };
    if let Some(file_hash) = &xet_file {
        // Xet clients fetch through the CAS; the refresh route hands them a read token.
        let route = state.public_url.absolute(&format!(
            "/api/{}/{}/xet-read-token/{commit}",
            repo.repo_type.plural(),
            repo.full_name()
        ));
        response_headers.insert("x-xet-hash", header_value(&file_hash.hex()));
        response_headers.insert(header::LINK, header_value(&format!("<{route}>; rel=\"xet-auth\"")));
    }
    match &entry.lfs {
        Some(info) => {
            let etag = format!("\"{}\"", info.pointer.oid);
            response_headers.insert(header::ETAG, header_value(&etag));
            response_headers.insert("x-linked-etag", header_value(&etag));
            response_headers.insert("x-linked-size", header_value(&size.to_string()));
        }
        None => {
            response_headers.insert(header::ETAG, header_value(&format!("\"{}\"", entry.oid)));
        }
    }

    let range = parse_range(headers.get(header::RANGE).and_then(|value| value.to_str().ok()), size);
    if is_one_fetch(method, headers, range)
        && let Err(error) = hub.record_download(&repo, path).await
    {
        tracing::warn!(error = %error, "download not counted");
    }
    let (status, start, length) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Partial { start, end } => {
            response_headers.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{size}")));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            return Err(fail(CoreError::RangeNotSatisfiable { size }).with_header("x-repo-commit", &commit));
        }
    };
    response_headers.insert(header::CONTENT_LENGTH, header_value(&length.to_string()));

    let body = match &entry.lfs {
        Some(info) => {
            let key = BlobKey::Lfs(info.pointer.oid.clone());
            // Stored whole unless only Xet has it; then the bridge rebuilds it.
            let whole = match (xet_file.is_some(), state.redirect_downloads) {
                (false, true) => None,
                _ => match hub.blobs().open(&info.pointer.oid).await {
                    Ok(reader) => Some(reader),
                    Err(stoa_core::ports::StorageError::NotFound) if xet_file.is_some() => None,
                    Err(error) => return Err(fail(error.into())),
                },
            };
            if state.redirect_downloads
                && (whole.is_some() || xet_file.is_none())
                && let Some(location) =
                    hub.blobs().presigned_get(&key, redirect_ttl(state)).await.map_err(|error| fail(error.into()))?
            {
                return Ok(redirect(response_headers, &location));
            }
            match (method == Method::HEAD, whole, &xet_file) {
                (true, _, _) => Body::empty(),
                (false, Some(reader), _) => {
                    object_body(hub.blobs(), &key, reader, start, length).await.map_err(|error| fail(error.into()))?
                }
                (false, None, Some(file_hash)) => xet_bridge(hub, file_hash, start, length).await.map_err(fail)?,
                (false, None, None) => {
                    let reader = hub.blobs().open(&info.pointer.oid).await.map_err(|error| fail(error.into()))?;
                    object_body(hub.blobs(), &key, reader, start, length).await.map_err(|error| fail(error.into()))?
                }
            }
        }
        None if method == Method::HEAD => Body::empty(),
        None => {
            let bytes = hub.read_git_blob(&repo, &entry.oid).await.map_err(fail)?;
            let start = usize::try_from(start).unwrap_or(usize::MAX).min(bytes.len());
            let end = usize::try_from(start as u64 + length).unwrap_or(usize::MAX).min(bytes.len());
            Body::from(bytes[start..end].to_vec())
        }
    };
    Ok((status, response_headers, body).into_response())
}

/// How long a redirect's presigned URL stays valid: long enough for a slow multi-GB download
/// to start and resume.
fn redirect_ttl(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_secs(state.hub.settings().signed_url_ttl_seconds.unsigned_abs())
}

/// `302` to the object store, keeping the metadata headers: huggingface_hub reads the size and
/// ETag from the redirect itself (`X-Linked-Size`, `X-Linked-Etag`) and drops its token when
/// following it to another origin.
fn redirect(mut headers: HeaderMap, location: &str) -> Response {
    headers.remove(header::CONTENT_RANGE);
    headers.remove(header::CONTENT_TYPE);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    headers.insert(header::LOCATION, header_value(location));
    (StatusCode::FOUND, headers).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range(None, 100), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=10-19"), 100), RangeRequest::Partial { start: 10, end: 19 });
        assert_eq!(parse_range(Some("bytes=90-200"), 100), RangeRequest::Partial { start: 90, end: 99 });
        assert_eq!(parse_range(Some("bytes=50-"), 100), RangeRequest::Partial { start: 50, end: 99 });
        assert_eq!(parse_range(Some("bytes=-10"), 100), RangeRequest::Partial { start: 90, end: 99 });
        assert_eq!(parse_range(Some("bytes=-1000"), 100), RangeRequest::Partial { start: 0, end: 99 });
        assert_eq!(parse_range(Some("bytes=100-"), 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-"), 0), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=5-2"), 100), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Full);
    }
}
