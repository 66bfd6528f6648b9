//! `POST /api/repos/create` and `DELETE /api/repos/delete`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use stoa_core::CoreError;
use stoa_core::repos::CreateRepo;
use stoa_types::wire::{CreateRepoRequest, CreateRepoResponse, DeleteRepoRequest};
use stoa_types::{RepoId, RepoType};

use crate::AppState;
use crate::api::{parse_json, read_body, requested_privacy};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

fn repo_type_of(text: Option<&str>) -> ApiResult<RepoType> {
    match text {
        None => Ok(RepoType::Model),
        Some(text) => RepoType::parse(text).map_err(|error| ApiError::bad_request(error.to_string())),
    }
}

fn is_private(request: &CreateRepoRequest) -> ApiResult<Option<bool>> {
    requested_privacy(request.visibility.as_deref(), request.private)
}

pub(crate) async fn create_repo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<CreateRepoResponse>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: CreateRepoRequest = parse_json(&read_body(body).await?)?;
    let repo_type = repo_type_of(request.repo_type.as_deref())?;
    let private = is_private(&request)?;
    let create = CreateRepo {
        repo_type,
        namespace: request.organization.clone(),
        name: request.name.clone(),
        private,
        space_sdk: request.sdk.clone(),
    };
    match state.hub.create_repo(&caller.principal, create).await {
        Ok(repo) => Ok(Json(CreateRepoResponse {
            url: state.public_url.repo(repo_type, &repo.full_name()),
            name: repo.full_name(),
            id: repo.id,
        })),
        Err(CoreError::RepoExists(repo_type, id)) => {
            // The client with exist_ok=True reads `url` from this very 409.
            let url = state.public_url.repo(repo_type, &id.to_string());
            Err(caller.fail(CoreError::RepoExists(repo_type, id)).with_body_field("url", url.into()))
        }
        Err(error) => Err(caller.fail(error)),
    }
}

pub(crate) async fn delete_repo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: DeleteRepoRequest = parse_json(&read_body(body).await?)?;
    let repo_type = repo_type_of(request.repo_type.as_deref())?;
    let namespace = match (&request.organization, caller.principal.user()) {
        (Some(namespace), _) => namespace.clone(),
        (None, Some(user)) => user.name.clone(),
        (None, None) => return Err(ApiError::new(CoreError::RepoNotFound, true)),
    };
    let Ok(id) = RepoId::new(&namespace, &request.name) else {
        return Err(caller.fail(CoreError::RepoNotFound));
    };
    state.hub.delete_repo(&caller.principal, repo_type, &id).await.map_err(|error| caller.fail(error))?;
    Ok(Json(serde_json::json!({})))
}
