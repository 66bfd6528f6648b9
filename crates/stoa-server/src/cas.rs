//! The Xet CAS, served by the same binary under `{public_url}/xet` (xet.md §4, plan §5), and
//! the Hub routes that hand out its tokens. Optional CAS routes answer 404, which makes the
//! client fall back (a 501 on the xorb-grant routes would fail uploads).

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use stoa_core::CoreError;
use stoa_core::ports::BlobKey;
use stoa_core::xet::token::CasScope;
use stoa_xet::{MAX_SHARD_BYTES, MAX_XORB_BYTES, XetHash};

use crate::AppState;
use crate::auth::{Caller, token_from};
use crate::body::object_body;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/xorbs/{prefix}/{hash}", post(upload_xorb))
        .route("/v1/shards", post(upload_shard))
        .route("/v1/reconstructions/{file_id}", get(get_reconstruction))
        .route("/v1/telemetry", post(telemetry))
        .route("/v1/chunks/{prefix}/{hash}", get(global_dedup))
        .route("/fetch/{xorb}", get(fetch_xorb_range))
        .fallback(not_offered)
}

/// Global dedup, xorb grants, v2 routes: not offered. 404 is what makes the client fall back.
async fn not_offered() -> ApiError {
    ApiError::new(CoreError::NotFound("not offered by this CAS".to_owned()), false)
}

pub(crate) async fn telemetry() -> Json<serde_json::Value> {
    Json(json!({}))
}

fn scope(state: &AppState, headers: &HeaderMap) -> ApiResult<CasScope> {
    let token = token_from(headers);
    state.hub.cas_scope(token.as_deref()).map_err(|error| ApiError::new(error, true))
}

fn parse_hash(text: &str) -> ApiResult<XetHash> {
    XetHash::parse_hex(text).ok_or_else(|| ApiError::bad_request(format!("invalid Xet hash '{text}'")))
}

async fn read_limited(body: Body, limit: usize) -> ApiResult<Vec<u8>> {
    axum::body::to_bytes(body, limit)
        .await
        .map(|bytes| bytes.to_vec())
        .map_err(|_| ApiError::new(CoreError::PayloadTooLarge(format!("the body is larger than {limit} bytes")), false))
}

/// `GET /xet/v1/chunks/default/{chunk}`: a keyed shard when the chunk is known, 404 otherwise
/// (the client treats every error as "no match").
async fn global_dedup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((prefix, hash)): Path<(String, String)>,
) -> ApiResult<Response> {
    let scope = scope(&state, &headers)?;
    if prefix != "default" && prefix != "default-merkledb" {
        return Err(ApiError::bad_request(format!("unknown prefix '{prefix}'")));
    }
    let chunk = parse_hash(&hash)?;
    match state.hub.dedup_answer(&scope, &chunk).await.map_err(|error| ApiError::new(error, false))? {
        Some(answer) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], answer).into_response()),
        None => Err(ApiError::new(CoreError::NotFound("no match".to_owned()), false)),
    }
}

/// `GET /api/{T}/{id}/xet-{read|write}-token/{rev}`: the token in the JSON body (read by hf_xet)
/// and in `X-Xet-*` headers (read by huggingface_hub's download path).
pub(crate) async fn xet_token(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    write: bool,
    revision: &str,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    // PR uploads name the revision `None`; they target the default branch.
    let pr_upload = write && query.flag("create_pr") && revision == "None";
    if !pr_upload {
        let resolved = state.hub.resolve_revision(&repo, revision).await.map_err(|error| caller.fail(error))?;
        if write && resolved.branch_ref.is_none() {
            return Err(caller.fail(CoreError::RevisionNotFound(revision.to_owned())));
        }
    }
    let token = state.hub.xet_token(&caller.principal, &repo, write).await.map_err(|error| caller.fail(error))?;
    let cas_url = format!("{}/xet", state.public_url.base());
    let mut response =
        Json(json!({"accessToken": token.token, "exp": token.expires, "casUrl": cas_url})).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-xet-access-token", token.token.clone()),
        ("x-xet-token-expiration", token.expires.to_string()),
        ("x-xet-cas-url", cas_url),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /xet/v1/xorbs/default/{hash}`: verified against its name before it is stored.
async fn upload_xorb(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((prefix, hash)): Path<(String, String)>,
    body: Body,
) -> ApiResult<Json<serde_json::Value>> {
    let scope = scope(&state, &headers)?;
    if prefix != "default" {
        return Err(ApiError::bad_request(format!("unknown xorb prefix '{prefix}'")));
    }
    let hash = parse_hash(&hash)?;
    let body = read_limited(body, MAX_XORB_BYTES).await?;
    let inserted = state.hub.receive_xorb(&scope, &hash, body).await.map_err(|error| ApiError::new(error, false))?;
    Ok(Json(json!({"was_inserted": inserted})))
}

/// `POST /xet/v1/shards`: registers files; `result` 1 when something new was registered.
async fn upload_shard(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<serde_json::Value>> {
    let scope = scope(&state, &headers)?;
    let body = read_limited(body, MAX_SHARD_BYTES).await?;
    let new_files = state.hub.register_shard(&scope, &body).await.map_err(|error| ApiError::new(error, false))?;
    Ok(Json(json!({"result": u8::from(new_files > 0)})))
}

/// `Range: bytes=a-b` or `bytes=a-` for reconstructions; anything else is refused.
fn reconstruction_range(headers: &HeaderMap) -> ApiResult<Option<(u64, Option<u64>)>> {
    let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default();
    let parsed = text.strip_prefix("bytes=").and_then(|spec| spec.split_once('-')).and_then(|(start, end)| {
        let start = start.trim().parse::<u64>().ok()?;
        let end = if end.trim().is_empty() { None } else { Some(end.trim().parse::<u64>().ok()?) };
        end.is_none_or(|end| end >= start).then_some((start, end))
    });
    parsed.map(Some).ok_or_else(|| ApiError::bad_request(format!("unsupported range '{text}'")))
}

fn fetch_purpose(xorb: &XetHash, start: u64, end: u64) -> String {
    format!("xet-fetch\n{xorb}\n{start}\n{end}")
}

/// `GET /xet/v1/reconstructions/{file_id}`: which byte ranges of which xorbs rebuild the file.
async fn get_reconstruction(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file_id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let scope = scope(&state, &headers)?;
    let file_hash = parse_hash(&file_id)?;
    let range = reconstruction_range(&headers)?;
    let plan =
        state.hub.reconstruction(&scope, &file_hash, range).await.map_err(|error| ApiError::new(error, false))?;
    let expires = stoa_types::time::now_unix() + state.hub.settings().xet_token_ttl_seconds;
    let mut terms = Vec::with_capacity(plan.plan.terms.len());
    let mut fetch_info: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for term in &plan.plan.terms {
        let xorb = term.xorb.hex();
        terms.push(json!({
            "hash": xorb,
            "unpacked_length": term.unpacked_length,
            "range": {"start": term.chunk_start, "end": term.chunk_end},
        }));
        let signature = state.hub.signer().sign(&fetch_purpose(&term.xorb, term.byte_start, term.byte_end), expires);
        let url = state.public_url.absolute(&format!(
            "/xet/fetch/{xorb}?range={}-{}&exp={expires}&sig={signature}",
            term.byte_start, term.byte_end
        ));
        fetch_info.entry(xorb).or_default().push(json!({
            "range": {"start": term.chunk_start, "end": term.chunk_end},
            "url": url,
            "url_range": {"start": term.byte_start, "end": term.byte_end},
        }));
    }
    Ok(Json(json!({
        "offset_into_first_range": plan.plan.offset_into_first_range,
        "terms": terms,
        "fetch_info": fetch_info,
    })))
}

/// `GET /xet/fetch/{xorb}?range=S-E&exp=T&sig=H`: signed, unauthenticated range reads of a xorb,
/// never outside the signed range (the footer holds raw chunk hashes).
async fn fetch_xorb_range(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(xorb): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let xorb = parse_hash(&xorb)?;
    let params = QueryParams::parse(query.as_deref());
    let signed = params
        .get("range")
        .and_then(|range| range.split_once('-'))
        .and_then(|(start, end)| Some((start.parse::<u64>().ok()?, end.parse::<u64>().ok()?)));
    let expires = params.get("exp").and_then(|value| value.parse::<i64>().ok()).unwrap_or_default();
    let signature = params.get("sig").unwrap_or_default();
    let now = stoa_types::time::now_unix();
    let Some((signed_start, signed_end)) = signed.filter(|_| {
        let (start, end) = signed.unwrap_or_default();
        state.hub.signer().verify(&fetch_purpose(&xorb, start, end), expires, signature, now)
    }) else {
        return Err(ApiError::new(CoreError::Forbidden("invalid or expired fetch URL".to_owned()), false));
    };
    let (start, end) = match headers.get(header::RANGE).and_then(|value| value.to_str().ok()) {
        None => (signed_start, signed_end),
        Some(text) => text
            .strip_prefix("bytes=")
            .and_then(|spec| spec.split_once('-'))
            .and_then(|(start, end)| Some((start.parse::<u64>().ok()?, end.parse::<u64>().ok()?)))
            .filter(|(start, end)| *start >= signed_start && end <= &signed_end && start <= end)
            .ok_or_else(|| ApiError::bad_request("the range lies outside the signed range"))?,
    };
    let reader = state.hub.blobs().open_xorb(&xorb).await.map_err(|error| ApiError::new(error.into(), false))?;
    let size = reader.size();
    if end >= size {
        return Err(ApiError::new(CoreError::RangeNotSatisfiable { size }, false));
    }
    let length = end - start + 1;
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
        response_headers.insert(header::CONTENT_RANGE, value);
    }
    let body = object_body(state.hub.blobs(), &BlobKey::Xorb(xorb), reader, start, length)
        .await
        .map_err(|error| ApiError::new(error.into(), false))?;
    Ok((StatusCode::PARTIAL_CONTENT, response_headers, body).into_response())
}
