//! Likes (`POST`/`DELETE /api/{T}/{id}/like`, `list_repo_likers`, `list_liked_repos`) and the
//! activity log (`GET /api/{T}/{id}/activity`, `GET /api/users/{user}/activity`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::collab::store::ActivityRecord;

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;
use crate::query::QueryParams;

/// Page size when the client gives no `limit`.
const DEFAULT_PAGE: u64 = 100;

/// `(offset, limit)` from `?p=`/`?offset=` and `?limit=`.
fn page(query: &QueryParams) -> (u64, u64) {
    let number = |key: &str| query.get(key).and_then(|value| value.parse::<u64>().ok());
    let limit = number("limit").unwrap_or(DEFAULT_PAGE).max(1);
    let offset = number("offset").or_else(|| number("p").map(|page| page * limit)).unwrap_or(0);
    (offset, limit)
}

pub(crate) async fn like(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    repo_ref: RepoRef,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let outcome = if method == Method::DELETE {
        state.hub.unlike(&caller.principal, &repo).await
    } else {
        state.hub.like(&caller.principal, &repo).await
    };
    outcome.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})).into_response())
}

pub(crate) async fn list_repo_likers(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let (offset, limit) = page(query);
    let likers = state.hub.likers(&caller.principal, &repo, offset, limit).await.map_err(|error| caller.fail(error))?;
    let items: Vec<Value> = likers
        .iter()
        .map(|(user, _)| json!({"user": user.name, "fullname": user.fullname, "avatarUrl": "", "type": "user"}))
        .collect();
    Ok(Json(items).into_response())
}

/// `GET /api/users/{user}/likes`.
pub(crate) async fn list_liked_repos(
    State(state): State<AppState>,
    Path(user): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let (offset, limit) = page(&QueryParams::parse(raw.as_deref()));
    let liked =
        state.hub.liked_repos(&caller.principal, &user, offset, limit).await.map_err(|error| caller.fail(error))?;
    let items: Vec<Value> = liked
        .iter()
        .map(|(repo, at)| {
            json!({
                "createdAt": stoa_types::time::format_millis(*at),
                "repo": {"name": repo.full_name(), "type": repo.repo_type.as_str()},
            })
        })
        .collect();
    Ok(Json(items).into_response())
}

fn activity_json(record: &ActivityRecord) -> Value {
    json!({
        "id": record.entry.id,
        "type": record.entry.kind,
        "actor": record.actor,
        "createdAt": stoa_types::time::format_millis(record.entry.created_at),
        "repo": {"name": record.repo_name, "type": record.repo_type.as_str()},
        "data": record.entry.data,
    })
}

pub(crate) async fn repo_activity(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let (offset, limit) = page(query);
    let records =
        state.hub.repo_activity(&caller.principal, &repo, offset, limit).await.map_err(|error| caller.fail(error))?;
    Ok(Json(records.iter().map(activity_json).collect::<Vec<_>>()).into_response())
}

/// `GET /api/users/{user}/activity`.
pub(crate) async fn user_activity(
    State(state): State<AppState>,
    Path(user): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let (offset, limit) = page(&QueryParams::parse(raw.as_deref()));
    let records =
        state.hub.user_activity(&caller.principal, &user, offset, limit).await.map_err(|error| caller.fail(error))?;
    Ok(Json(records.iter().map(activity_json).collect::<Vec<_>>()).into_response())
}
