//! Classic Git LFS (hub-api.md §3.12, xet.md §9): the batch endpoint, and the self-authorising
//! URLs it hands out for uploads (basic and multipart), completion and downloads.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use stoa_core::CoreError;
use stoa_core::lfs::Sha256Oid;
use stoa_core::lfs_batch::{
    BatchAction, LfsOperation, direct_completion_purpose, download_purpose, upload_purpose, verify_purpose,
};
use stoa_core::ports::{BlobKey, ByteStream, DirectUpload};
use stoa_types::wire::{LfsAction, LfsBatchRequest, LfsBatchResponse, LfsCompletion, LfsObjectAnswer, LfsObjectError};

use crate::AppState;
use crate::auth::Caller;
use crate::body::object_body;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::resolve::{RangeRequest, parse_range};

const LFS_CONTENT_TYPE: &str = "application/vnd.git-lfs+json";

fn lfs_json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(LFS_CONTENT_TYPE))], body).into_response()
}

fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

struct SignedUrls<'a> {
    state: &'a AppState,
    expires: i64,
}

impl SignedUrls<'_> {
    fn sign(&self, path: &str, purpose: &str) -> String {
        let signature = self.state.hub.signer().sign(purpose, self.expires);
        self.state.public_url.absolute(&format!("{path}?expires={}&sig={signature}", self.expires))
    }
}

/// Checks `expires` and `sig` of a signed URL against the purpose it must have been made for.
fn check_signature(state: &AppState, query: Option<&str>, purpose: &str) -> ApiResult<()> {
    let params = QueryParams::parse(query);
    let expires = params.get("expires").and_then(|value| value.parse::<i64>().ok()).unwrap_or_default();
    let signature = params.get("sig").unwrap_or_default();
    let now = stoa_types::time::now_unix();
    if state.hub.signer().verify(purpose, expires, signature, now) {
        Ok(())
    } else {
        Err(ApiError::new(CoreError::Forbidden("invalid or expired signed URL".to_owned()), false))
    }
}

fn parse_oid(text: &str) -> ApiResult<Sha256Oid> {
    Sha256Oid::parse(text).ok_or_else(|| ApiError::bad_request(format!("invalid object id '{text}'")))
}

/// `POST /{P}{id}.git/info/lfs/objects/batch`.
pub(crate) async fn batch(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error: CoreError| caller.fail(error);
    let request: LfsBatchRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("invalid LFS batch request: {error}")))?;
    if request.hash_algo.as_deref().is_some_and(|algo| algo != "sha256") {
        return Err(ApiError::bad_request("only the sha256 hash algorithm is supported"));
    }
    let operation = match request.operation.as_str() {
        "upload" => LfsOperation::Upload,
        "download" => LfsOperation::Download,
        other => {
            return Err(ApiError::bad_request(format!("unknown LFS operation '{other}'")));
        }
    };
    let repo = caller.repo(state, &repo_ref).await?;
    let objects = request.objects.iter().map(|object| (object.oid.clone(), object.size)).collect();
    let plans = state.hub.lfs_batch(&caller.principal, &repo, operation, objects).await.map_err(fail)?;

    let ttl = state.hub.settings().signed_url_ttl_seconds;
    let urls = SignedUrls { state, expires: stoa_types::time::now_unix() + ttl };
    let offers_multipart = request.transfers.iter().any(|transfer| transfer == "multipart");
    let mut uses_multipart = false;
    let mut answers = Vec::with_capacity(plans.len());
    for plan in plans {
        let mut actions = BTreeMap::new();
        let mut error = None;
        match plan.action {
            BatchAction::AlreadyStored => {}
            BatchAction::Upload => {
                let oid = parse_oid(&plan.oid)?;
                let multipart = offers_multipart && plan.size > state.lfs.multipart_threshold_bytes;
                let direct = match state.lfs.direct_uploads {
                    true => {
                        let part_size = multipart.then_some(state.lfs.multipart_chunk_bytes);
                        state.hub.lfs_start_direct_upload(&repo, &oid, plan.size, part_size).await.map_err(fail)?
                    }
                    false => None,
                };
                let upload = if let Some(direct) = direct {
                    uses_multipart |= matches!(direct, DirectUpload::Parts { .. });
                    direct_action(&urls, &repo.id, &oid, plan.size, state.lfs.multipart_chunk_bytes, direct)
                } else if multipart {
                    uses_multipart = true;
                    multipart_action(&urls, &repo.id, &oid, plan.size, state.lfs.multipart_chunk_bytes)
                } else {
                    let path = format!("/lfs/objects/{}/{oid}/{}", repo.id, plan.size);
                    let href = urls.sign(&path, &upload_purpose(&repo.id, &oid, plan.size));
                    LfsAction { href, header: BTreeMap::new(), expires_in: Some(ttl.unsigned_abs()) }
                };
                actions.insert("upload", upload);
                // Signed like the upload: git-lfs sends no credentials to action URLs.
                let verify_path = format!("/lfs/verify/{}/{oid}/{}", repo.id, plan.size);
                let verify_href = urls.sign(&verify_path, &verify_purpose(&repo.id, &oid, plan.size));
                actions.insert(
                    "verify",
                    LfsAction { href: verify_href, header: BTreeMap::new(), expires_in: Some(ttl.unsigned_abs()) },
                );
            }
            BatchAction::Download => {
                let oid = parse_oid(&plan.oid)?;
                let path = format!("/lfs/download/{}/{oid}", repo.id);
                let href = urls.sign(&path, &download_purpose(&repo.id, &oid));
                actions.insert(
                    "download",
                    LfsAction { href, header: BTreeMap::new(), expires_in: Some(ttl.unsigned_abs()) },
                );
            }
            BatchAction::Error { code, message } => error = Some(LfsObjectError { code, message }),
        }
        let authenticated = (!actions.is_empty()).then_some(true);
        answers.push(LfsObjectAnswer { oid: plan.oid, size: plan.size, authenticated, actions, error });
    }
    let transfer = if uses_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(StatusCode::OK, &LfsBatchResponse { transfer, objects: answers, hash_algo: "sha256" }))
}

fn multipart_action(urls: &SignedUrls<'_>, repo_id: &str, oid: &Sha256Oid, size: u64, chunk: u64) -> LfsAction {
    let upload_key = stoa_core::tokens::new_object_id();
    let purpose = format!("lfs-part\n{repo_id}\n{oid}\n{size}\n{upload_key}");
    let parts = size.div_ceil(chunk);
    let mut header = BTreeMap::new();
    header.insert("chunk_size".to_owned(), chunk.to_string());
    for part in 1..=parts {
        let path = format!("/lfs/parts/{repo_id}/{oid}/{size}/{upload_key}/{part}");
        header.insert(part.to_string(), urls.sign(&path, &purpose));
    }
    let href = urls.sign(&format!("/lfs/complete/{repo_id}/{oid}/{size}/{upload_key}"), &purpose);
    LfsAction { href, header, expires_in: None }
}

/// Upload action pointing straight at the object store; a multipart one completes through Stoa,
/// which assembles and checks the parts.
fn direct_action(
    urls: &SignedUrls<'_>,
    repo_id: &str,
    oid: &Sha256Oid,
    size: u64,
    chunk: u64,
    direct: DirectUpload,
) -> LfsAction {
    let expires_in = Some(urls.state.hub.settings().signed_url_ttl_seconds.unsigned_abs());
    match direct {
        DirectUpload::Single { url } => LfsAction { href: url, header: BTreeMap::new(), expires_in },
        DirectUpload::Parts { upload_id, urls: part_urls } => {
            let mut header = BTreeMap::new();
            header.insert("chunk_size".to_owned(), chunk.to_string());
            for (index, url) in part_urls.into_iter().enumerate() {
                header.insert((index + 1).to_string(), url);
            }
            let encoded: String = form_urlencoded::byte_serialize(upload_id.as_bytes()).collect();
            let purpose = direct_completion_purpose(repo_id, oid, size, &upload_id);
            let path = format!("/lfs/complete-direct/{repo_id}/{oid}/{size}");
            let signed = urls.sign(&path, &purpose);
            LfsAction { href: format!("{signed}&upload_id={encoded}"), header, expires_in: None }
        }
    }
}

/// `POST` completing a direct multipart upload: `{"oid", "parts": [{"partNumber", "etag"}]}`,
/// the ETags being those the object store answered for each part.
pub(crate) async fn complete_direct_multipart(
    State(state): State<AppState>,
    Path((repo_id, oid, size)): Path<(String, String, u64)>,
    RawQuery(query): RawQuery,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    let upload_id = QueryParams::parse(query.as_deref()).get("upload_id").unwrap_or_default().to_owned();
    check_signature(&state, query.as_deref(), &direct_completion_purpose(&repo_id, &oid, size, &upload_id))?;
    let parts = completion_parts(&oid, &body)?;
    state
        .hub
        .lfs_complete_direct_upload(&repo_id, &oid, size, &upload_id, &parts)
        .await
        .map_err(|error| ApiError::new(error, false))?;
    Ok(lfs_json(StatusCode::OK, &serde_json::json!({"oid": oid.as_str(), "size": size})))
}

fn completion_parts(oid: &Sha256Oid, body: &[u8]) -> ApiResult<Vec<(u32, String)>> {
    let completion: LfsCompletion = serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid completion body: {error}")))?;
    if completion.oid != oid.as_str() {
        return Err(ApiError::bad_request("the completion names another object"));
    }
    Ok(completion.parts.into_iter().map(|part| (part.part_number, part.etag)).collect())
}

/// `PUT` on a signed basic-upload URL: the raw bytes, no token.
pub(crate) async fn upload_object(
    State(state): State<AppState>,
    Path((repo_id, oid, size)): Path<(String, String, u64)>,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    check_signature(&state, query.as_deref(), &upload_purpose(&repo_id, &oid, size))?;
    state
        .hub
        .lfs_receive(&repo_id, &oid, size, body_stream(body))
        .await
        .map_err(|error| ApiError::new(error, false))?;
    Ok(StatusCode::OK.into_response())
}

/// `PUT` of one part of a multipart upload; the response carries the part's `ETag`.
pub(crate) async fn upload_part(
    State(state): State<AppState>,
    Path((repo_id, oid, size, upload, part)): Path<(String, String, u64, String, u32)>,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    check_signature(&state, query.as_deref(), &format!("lfs-part\n{repo_id}\n{oid}\n{size}\n{upload}"))?;
    let etag = state
        .hub
        .lfs_receive_part(&upload, part, body_stream(body))
        .await
        .map_err(|error| ApiError::new(error, false))?;
    let etag = HeaderValue::from_str(&format!("\"{etag}\"")).map_err(|_| ApiError::bad_request("invalid etag"))?;
    Ok((StatusCode::OK, [(header::ETAG, etag)]).into_response())
}

/// `POST` completing a multipart upload: `{"oid", "parts": [{"partNumber", "etag"}]}`.
pub(crate) async fn complete_multipart(
    State(state): State<AppState>,
    Path((repo_id, oid, size, upload)): Path<(String, String, u64, String)>,
    RawQuery(query): RawQuery,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    check_signature(&state, query.as_deref(), &format!("lfs-part\n{repo_id}\n{oid}\n{size}\n{upload}"))?;
    let parts = completion_parts(&oid, &body)?;
    state
        .hub
        .lfs_complete_parts(&repo_id, &upload, &oid, size, &parts)
        .await
        .map_err(|error| ApiError::new(error, false))?;
    Ok(lfs_json(StatusCode::OK, &serde_json::json!({"oid": oid.as_str(), "size": size})))
}

/// `GET` on a signed download URL (git-lfs), with `Range`.
pub(crate) async fn download_object(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((repo_id, oid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    check_signature(&state, query.as_deref(), &download_purpose(&repo_id, &oid))?;
    let fail = |error: CoreError| ApiError::new(error, false);
    let (whole_file, size) = match state.hub.blobs().open(&oid).await {
        Ok(reader) => {
            let size = reader.size();
            (Some(reader), size)
        }
        Err(stoa_core::ports::StorageError::NotFound) => {
            let xet = state.hub.xet_file_by_repo_id(&repo_id, oid.as_str()).await.map_err(fail)?;
            let Some((_, size)) = xet else {
                return Err(fail(CoreError::EntryNotFound("Object does not exist".to_owned())));
            };
            (None, size)
        }
        Err(error) => return Err(fail(error.into())),
    };
    let range = parse_range(headers.get(header::RANGE).and_then(|value| value.to_str().ok()), size);
    let (status, start, length, content_range) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, size, None),
        RangeRequest::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1, Some(format!("bytes {start}-{end}/{size}")))
        }
        RangeRequest::Unsatisfiable => {
            return Err(ApiError::new(CoreError::RangeNotSatisfiable { size }, false));
        }
    };
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(content_range) = content_range.and_then(|text| HeaderValue::from_str(&text).ok()) {
        response_headers.insert(header::CONTENT_RANGE, content_range);
    }
    let body = match (method == Method::HEAD, whole_file) {
        (true, _) => Body::empty(),
        (false, Some(reader)) => object_body(state.hub.blobs(), &BlobKey::Lfs(oid.clone()), reader, start, length)
            .await
            .map_err(|error| fail(error.into()))?,
        (false, None) => {
            let (file_hash, _) = state
                .hub
                .xet_file_by_repo_id(&repo_id, oid.as_str())
                .await
                .map_err(fail)?
                .ok_or_else(|| fail(CoreError::EntryNotFound("Object does not exist".to_owned())))?;
            crate::resolve::xet_bridge(&state.hub, &file_hash, start, length).await.map_err(fail)?
        }
    };
    Ok((status, response_headers, body).into_response())
}

/// `POST` on a signed verify URL: is the object stored with this size? (A direct upload into
/// the object store is checked and published here.)
pub(crate) async fn verify_signed(
    State(state): State<AppState>,
    Path((repo_id, oid, size)): Path<(String, String, u64)>,
    RawQuery(query): RawQuery,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let oid = parse_oid(&oid)?;
    check_signature(&state, query.as_deref(), &verify_purpose(&repo_id, &oid, size))?;
    let object: stoa_types::wire::LfsObjectSpec = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("invalid verify body: {error}")))?;
    if object.oid != oid.as_str() || object.size != size {
        return Err(ApiError::bad_request("the verify body names another object"));
    }
    let fail = |error: CoreError| ApiError::new(error, false);
    if state.hub.lfs_verify_signed(&repo_id, &oid, size).await.map_err(fail)? {
        Ok(lfs_json(StatusCode::OK, &serde_json::json!({"oid": object.oid, "size": size})))
    } else {
        Err(fail(CoreError::EntryNotFound(format!("object {oid} of {size} bytes was not uploaded"))))
    }
}

/// `POST .../objects/verify` with the token: is the object stored with this size?
pub(crate) async fn verify(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error: CoreError| caller.fail(error);
    let object: stoa_types::wire::LfsObjectSpec = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("invalid verify body: {error}")))?;
    let oid = parse_oid(&object.oid)?;
    let repo = caller.repo(state, &repo_ref).await?;
    if state.hub.lfs_verify(&caller.principal, &repo, &oid, object.size).await.map_err(fail)? {
        Ok(lfs_json(StatusCode::OK, &serde_json::json!({"oid": object.oid, "size": object.size})))
    } else {
        Err(fail(CoreError::EntryNotFound(format!("object {oid} of {} bytes was not uploaded", object.size))))
    }
}

/// The locking API. Stoa holds no locks: listing and push-time verification answer empty, and
/// taking a lock is refused with the "not supported" answer git-lfs understands.
pub(crate) async fn locks(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    method: &Method,
    verify: bool,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    caller.repo(state, &repo_ref).await?;
    if verify {
        return Ok(lfs_json(StatusCode::OK, &serde_json::json!({"ours": [], "theirs": []})));
    }
    if method == Method::GET {
        return Ok(lfs_json(StatusCode::OK, &serde_json::json!({"locks": []})));
    }
    Ok(lfs_json(
        StatusCode::NOT_IMPLEMENTED,
        &serde_json::json!({"message": "file locking is not supported by this server"}),
    ))
}
