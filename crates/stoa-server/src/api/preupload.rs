//! `POST /api/{T}/{id}/preupload/{rev}`: for each file, `regular` (inline in the commit) or
//! `lfs` (sent through Xet or classic LFS, as the client chooses), plus `shouldIgnore` and the
//! current `oid` (hub-api.md §3.9).

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use stoa_core::files::PreuploadItem;
use stoa_types::wire::{PreuploadAnswer, PreuploadRequest, PreuploadResponse};

use crate::AppState;
use crate::api::parse_json;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;

pub(crate) async fn preupload_lfs_files(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    let request: PreuploadRequest = parse_json(&body)?;
    let resolved = hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let items = request
        .files
        .into_iter()
        .map(|file| PreuploadItem { path: file.path, size: file.size, sample: file.sample })
        .collect();
    let outcome = hub.preupload(&repo, &resolved.commit, items, request.git_ignore).await.map_err(fail)?;
    let files = outcome
        .files
        .into_iter()
        .map(|decision| PreuploadAnswer {
            path: decision.path,
            upload_mode: if decision.lfs { "lfs" } else { "regular" },
            should_ignore: decision.should_ignore,
            oid: decision.oid,
        })
        .collect();
    let response = Json(PreuploadResponse { files, commit_oid: outcome.commit.to_string() }).into_response();
    Ok(response)
}
