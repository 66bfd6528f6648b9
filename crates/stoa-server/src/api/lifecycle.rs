//! `update_repo_settings` (`PUT /api/{T}/{id}/settings`), `move_repo` (`POST /api/repos/move`),
//! `duplicate_repo` (`POST /api/{T}/{id}/duplicate`), `super_squash_history`
//! (`POST /api/{T}/{id}/super-squash/{branch}`) and Stoa's compare
//! (`GET /api/{T}/{id}/compare/{base}..{head}`).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::CoreError;
use stoa_core::collab::lifecycle::RepoSettings;
use stoa_core::ports::FileChangeKind;
use stoa_types::RepoType;

use crate::AppState;
use crate::api::{parse_json, parse_json_or_default, read_body, requested_privacy};
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsBody {
    private: Option<bool>,
    visibility: Option<String>,
    gated: Option<Value>,
    discussions_disabled: Option<bool>,
}

pub(crate) async fn update_repo_settings(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let request: SettingsBody = parse_json(body)?;
    let gated = match request.gated {
        None => None,
        Some(Value::Bool(false)) => Some(None),
        Some(Value::String(mode)) => Some(Some(mode)),
        Some(other) => {
            return Err(ApiError::bad_request(format!("gated must be \"auto\", \"manual\" or false, got {other}")));
        }
    };
    let private = requested_privacy(request.visibility.as_deref(), request.private)?;
    let settings = RepoSettings { private, discussions_disabled: request.discussions_disabled, gated };
    state.hub.update_repo_settings(&caller.principal, &repo, &settings).await.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoveBody {
    from_repo: String,
    to_repo: String,
    #[serde(rename = "type")]
    repo_type: Option<String>,
}

pub(crate) async fn move_repo(State(state): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: MoveBody = parse_json(&read_body(body).await?)?;
    let repo_type = match request.repo_type.as_deref() {
        None => RepoType::Model,
        Some(text) => RepoType::parse(text).map_err(|error| ApiError::bad_request(error.to_string()))?,
    };
    let repo = state
        .hub
        .move_repo(&caller.principal, repo_type, &request.from_repo, &request.to_repo)
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({"url": state.public_url.repo(repo_type, &repo.full_name())})))
}

#[derive(Debug, serde::Deserialize)]
struct DuplicateBody {
    repository: String,
    private: Option<bool>,
    visibility: Option<String>,
}

pub(crate) async fn duplicate_repo(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let source = caller.repo(state, &repo_ref).await?;
    let request: DuplicateBody = parse_json(body)?;
    let private = requested_privacy(request.visibility.as_deref(), request.private)?;
    match state.hub.duplicate_repo(&caller.principal, &source, &request.repository, private).await {
        Ok(repo) => Ok(Json(json!({"url": state.public_url.repo(repo.repo_type, &repo.full_name())})).into_response()),
        Err(CoreError::RepoExists(repo_type, id)) => {
            // With exist_ok the client reads `url` from this 409.
            let url = state.public_url.repo(repo_type, &id.to_string());
            Err(caller.fail(CoreError::RepoExists(repo_type, id)).with_body_field("url", url.into()))
        }
        Err(error) => Err(caller.fail(error)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct SquashBody {
    message: Option<String>,
}

pub(crate) async fn super_squash_history(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    branch: &str,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let request: SquashBody = parse_json_or_default(body)?;
    let commit = state
        .hub
        .super_squash(&caller.principal, &repo, branch, request.message.as_deref().unwrap_or_default())
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({"commitId": commit.to_string()})).into_response())
}

pub(crate) async fn compare(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    spec: &str,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let Some((base, head)) = spec.split_once("..") else {
        return Err(ApiError::bad_request("compare takes two revisions: <base>..<head>"));
    };
    let comparison =
        state.hub.compare(&caller.principal, &repo, base, head).await.map_err(|error| caller.fail(error))?;
    let files: Vec<Value> = comparison
        .files
        .iter()
        .map(|file| {
            let status = match file.kind {
                FileChangeKind::Added => "added",
                FileChangeKind::Modified => "modified",
                FileChangeKind::Deleted => "deleted",
            };
            json!({"path": file.path, "status": status, "oldSize": file.old_size, "newSize": file.new_size})
        })
        .collect();
    Ok(Json(json!({
        "base": comparison.base.to_string(),
        "head": comparison.head.to_string(),
        "files": files,
        "diff": comparison.diff,
    }))
    .into_response())
}
