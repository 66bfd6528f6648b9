//! `POST /api/{T}/{id}/commit/{rev}` (`create_commit`, `upload_file`, `upload_folder`,
//! `delete_file`): an ndjson body streamed to disk as it arrives (hub-api.md §3.10).

use axum::Json;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use stoa_core::CoreError;
use stoa_core::commit::parse_operations;
use stoa_core::ndjson::{NdjsonError, read_ndjson};
use stoa_types::wire::CommitResponse;

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

pub(crate) async fn create_commit(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    query: &QueryParams,
    body: Body,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    let create_pr = query.flag("create_pr");
    // Refuse before reading what may be hundreds of MB.
    hub.check_commit_allowed(&caller.principal, &repo, revision, create_pr).await.map_err(fail)?;
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let lines = read_ndjson(stream, &hub.blobs().scratch_dir()).await.map_err(|error| match error {
        NdjsonError::Malformed(message) => ApiError::bad_request(message),
        NdjsonError::Io(error) => ApiError::bad_request(format!("the commit body could not be read: {error}")),
    })?;
    let operations = parse_operations(lines).map_err(fail)?;
    let result = hub.create_commit(&caller.principal, &repo, revision, operations, create_pr).await.map_err(
        |error| match error {
            CoreError::RevisionNotFound(_) => fail(CoreError::RevisionNotFound(revision.to_owned())),
            other => fail(other),
        },
    )?;
    let commit_url = format!("{}/commit/{}", state.public_url.repo(repo.repo_type, &repo.full_name()), result.commit);
    let repo_url = state.public_url.repo(repo.repo_type, &repo.full_name());
    Ok(Json(CommitResponse {
        success: true,
        commit_oid: result.commit.to_string(),
        commit_url,
        hook_output: String::new(),
        pull_request_url: result.pull_request.map(|num| format!("{repo_url}/discussions/{num}")),
    })
    .into_response())
}
