//! `GET /api/{T}/{id}/refs` (`list_repo_refs`), `GET .../commits/{rev}` (`list_repo_commits`),
//! `POST`/`DELETE .../branch/{branch}` (`create_branch`, `delete_branch`) and `.../tag/...`
//! (`create_tag`, `delete_tag`).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::ports::GitRef;
use stoa_core::refs::BranchStart;

use crate::AppState;
use crate::api::{parse_json, parse_json_or_default};
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

/// Commits per page of the log (the client follows `Link` headers).
const COMMITS_PAGE: usize = 50;

fn ref_json(git_ref: &GitRef, short: bool) -> Value {
    let name = if short { git_ref.name.splitn(3, '/').nth(2).unwrap_or(&git_ref.name) } else { &git_ref.name };
    json!({"name": name, "ref": git_ref.name, "targetCommit": git_ref.commit().to_string()})
}

pub(crate) async fn list_repo_refs(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let listing = state.hub.list_refs(&caller.principal, &repo).await.map_err(|error| caller.fail(error))?;
    let short = |refs: &[GitRef]| refs.iter().map(|git_ref| ref_json(git_ref, true)).collect::<Vec<_>>();
    let mut body = json!({
        "branches": short(&listing.branches),
        "converts": short(&listing.converts),
        "tags": short(&listing.tags),
    });
    if query.flag("include_prs") {
        body["pullRequests"] = listing.pull_requests.iter().map(|git_ref| ref_json(git_ref, false)).collect();
    }
    Ok(Json(body).into_response())
}

/// Text for the `formatted` HTML fields: escaped, never interpreted.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub(crate) async fn list_repo_commits(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let page: usize = query.get("p").and_then(|page| page.parse().ok()).unwrap_or(0);
    let skip = page.saturating_mul(COMMITS_PAGE);
    let commits = match query.get("path").filter(|path| !path.trim_matches('/').is_empty()) {
        Some(path) => state.hub.list_path_commits(&repo, revision, path, skip, COMMITS_PAGE).await,
        None => state.hub.list_commits(&repo, revision, skip, COMMITS_PAGE).await,
    }
    .map_err(|error| caller.fail(error))?;
    let formatted = query.all("expand").iter().any(|field| field == "formatted");
    let items: Vec<Value> = commits
        .commits
        .iter()
        .map(|commit| {
            let mut item = json!({
                "id": commit.id.to_string(),
                "title": commit.title,
                "message": commit.message,
                "date": stoa_types::time::format_unix(commit.time),
                "authors": [{"user": commit.author}],
            });
            if formatted {
                item["formatted"] =
                    json!({"title": escape_html(&commit.title), "message": escape_html(&commit.message)});
            }
            item
        })
        .collect();
    let mut response = Json(items).into_response();
    if commits.has_more {
        let url = state.public_url.absolute(&format!(
            "/api/{}/{}/commits/{}?{}",
            repo.repo_type.plural(),
            repo.full_name(),
            percent_encoding::utf8_percent_encode(revision, percent_encoding::NON_ALPHANUMERIC),
            query.with("p", &(page + 1).to_string())
        ));
        if let Ok(link) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
            response.headers_mut().insert(header::LINK, link);
        }
    }
    Ok(response)
}

#[derive(Debug, Default, serde::Deserialize)]
struct CreateBranchBody {
    #[serde(rename = "startingPoint")]
    starting_point: Option<String>,
    #[serde(default, rename = "emptyBranch")]
    empty_branch: bool,
}

/// `POST` creates the branch (body `{}` or `{"startingPoint": rev}`), `DELETE` removes it.
pub(crate) async fn branch(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    branch: &str,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let fail = |error| caller.fail(error);
    if method == Method::DELETE {
        state.hub.delete_branch(&caller.principal, &repo, branch).await.map_err(fail)?;
    } else {
        let request: CreateBranchBody = parse_json_or_default(body)?;
        let start = match (request.empty_branch, request.starting_point.as_deref()) {
            (true, Some(_)) => return Err(ApiError::bad_request("emptyBranch and startingPoint exclude each other")),
            (true, None) => BranchStart::Empty,
            (false, revision) => BranchStart::Revision(revision),
        };
        state.hub.create_branch(&caller.principal, &repo, branch, start).await.map_err(fail)?;
    }
    Ok(Json(json!({})).into_response())
}

#[derive(Debug, serde::Deserialize)]
struct CreateTagBody {
    tag: String,
    message: Option<String>,
}

/// `POST .../tag/{revision}` with `{"tag", "message"?}` tags the revision; `DELETE .../tag/{tag}`
/// removes the tag (the same path segment names the revision or the tag).
pub(crate) async fn tag(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    segment: &str,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let fail = |error| caller.fail(error);
    if method == Method::DELETE {
        state.hub.delete_tag(&caller.principal, &repo, segment).await.map_err(fail)?;
    } else {
        let request: CreateTagBody = parse_json(body)?;
        state
            .hub
            .create_tag(&caller.principal, &repo, segment, &request.tag, request.message.as_deref())
            .await
            .map_err(fail)?;
    }
    Ok(Json(json!({})).into_response())
}
