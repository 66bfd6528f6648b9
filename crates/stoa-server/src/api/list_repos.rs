//! `GET /api/models`, `/api/datasets`, `/api/spaces` (`list_models` and friends): search,
//! author, tag filters, sort, `full`, `expand` and `Link` pagination (hub-api.md §3.5).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use stoa_core::ports::{RepoQuery, RepoSort};
use stoa_types::RepoType;

use crate::AppState;
use crate::api::repo_info::{apply_expand, repo_json, repo_summary};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

const MAX_PAGE: u64 = 1000;
/// Expand keys that need the repo's git data, not just its metadata row.
const GIT_BACKED_KEYS: &[&str] = &["sha", "siblings", "cardData", "library_name", "pipeline_tag", "sdk"];

pub(crate) async fn list_models(state: State<AppState>, headers: HeaderMap, query: RawQuery) -> ApiResult<Response> {
    list_repos(state, headers, query, RepoType::Model).await
}

pub(crate) async fn list_datasets(state: State<AppState>, headers: HeaderMap, query: RawQuery) -> ApiResult<Response> {
    list_repos(state, headers, query, RepoType::Dataset).await
}

pub(crate) async fn list_spaces(state: State<AppState>, headers: HeaderMap, query: RawQuery) -> ApiResult<Response> {
    list_repos(state, headers, query, RepoType::Space).await
}

fn sort_of(query: &QueryParams) -> ApiResult<RepoSort> {
    match query.get("sort") {
        None | Some("lastModified" | "last_modified") => Ok(RepoSort::LastModified),
        Some("createdAt" | "created_at") => Ok(RepoSort::CreatedAt),
        Some("downloads" | "trendingScore" | "trending_score") => Ok(RepoSort::Downloads),
        Some("likes") => Ok(RepoSort::Likes),
        Some("id" | "modelId") => Ok(RepoSort::Id),
        Some(other) => Err(ApiError::bad_request(format!("unsupported sort '{other}'"))),
    }
}

async fn list_repos(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    repo_type: RepoType,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let fail = |error| caller.fail(error);
    let query = QueryParams::parse(raw.as_deref());
    let limit = query.get("limit").and_then(|limit| limit.parse::<u64>().ok()).unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let offset = query.get("cursor").and_then(|cursor| cursor.parse::<u64>().ok()).unwrap_or(0);
    // `direction=1` is ascending; the default (and 2.4.0, which sends nothing) is descending.
    let descending = query.get("direction") != Some("1");
    let repo_query = RepoQuery {
        repo_type,
        search: query.all("search").into_iter().filter(|term| !term.is_empty()).collect(),
        author: query.get("author").map(str::to_owned),
        tags: query.all("filter"),
        sort: sort_of(&query)?,
        descending,
        offset,
        limit: limit + 1,
        viewer_user_id: None,
    };
    let mut repos = state.hub.list_repos(&caller.principal, repo_query).await.map_err(fail)?;
    let has_more = repos.len() as u64 > limit;
    repos.truncate(usize::try_from(limit).unwrap_or(usize::MAX));

    let expand = query.all("expand");
    let full = query.flag("full");
    let with_card = query.flag("cardData");
    let needs_git = full || with_card || expand.iter().any(|key| GIT_BACKED_KEYS.contains(&key.as_str()));
    let mut items = Vec::with_capacity(repos.len());
    for repo in repos {
        let object = if needs_git {
            let snapshot = state.hub.repo_snapshot(repo, "main").await.map_err(fail)?;
            repo_json(&snapshot, false)
        } else {
            repo_summary(&repo)
        };
        items.push(Value::Object(apply_expand(object, &expand)));
    }
    let count = items.len() as u64;
    let mut response = Json(items).into_response();
    if has_more {
        let next = format!("/api/{}?{}", repo_type.plural(), query.with("cursor", &(offset + count).to_string()));
        let url = state.public_url.absolute(&next);
        if let Ok(link) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
            response.headers_mut().insert(header::LINK, link);
        }
    }
    Ok(response)
}
