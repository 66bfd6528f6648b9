//! `/api/{T}/{id}/discussions[/...]`: `get_repo_discussions`, `create_discussion` /
//! `create_pull_request`, `get_discussion_details`, `comment_discussion`, `rename_discussion`,
//! `change_discussion_status`, `merge_pull_request`, `edit_discussion_comment` and
//! `hide_discussion_comment` (hub-api.md §4.7).

use axum::Json;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::CoreError;
use stoa_core::collab::discussions::{DiscussionDetails, DiscussionListing};
use stoa_core::collab::store::{Discussion, DiscussionEvent, DiscussionStatus};
use stoa_core::ports::Repo;

use crate::AppState;
use crate::api::{parse_json, parse_json_or_default};
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

fn author_json(name: &str) -> Value {
    json!({"name": name, "type": "user", "avatarUrl": "", "fullname": name, "isPro": false, "isHf": false, "isOwner": false})
}

fn item_json(repo: &Repo, discussion: &Discussion) -> Value {
    json!({
        "num": discussion.num,
        "title": discussion.title,
        "status": discussion.status.as_str(),
        "createdAt": stoa_types::time::format_millis(discussion.created_at),
        "isPullRequest": discussion.is_pull_request,
        "author": author_json(&discussion.author),
        "repo": {"name": repo.full_name(), "type": repo.repo_type.as_str()},
        "pinned": false,
        "numComments": discussion.num_comments,
        "topReactions": [],
    })
}

pub(crate) fn event_json(event: &DiscussionEvent) -> Value {
    json!({
        "id": event.id,
        "type": event.kind,
        "createdAt": stoa_types::time::format_millis(event.created_at),
        "author": author_json(&event.author),
        "data": event.data,
    })
}

fn details_json(repo: &Repo, details: &DiscussionDetails) -> Value {
    let discussion = &details.discussion;
    let mut body = item_json(repo, discussion);
    body["events"] = details.events.iter().map(event_json).collect();
    if discussion.is_pull_request {
        let mut changes = json!({"base": discussion.base_ref.clone().unwrap_or_else(|| "refs/heads/main".to_owned())});
        if let Some(merge_commit) = &discussion.merge_commit {
            changes["mergeCommitId"] = merge_commit.clone().into();
        }
        body["changes"] = changes;
        body["filesWithConflicts"] = details.conflicting_files.clone().into();
        if let Some(diff) = &details.diff {
            body["diff"] = diff.clone().into();
        }
    }
    body
}

#[derive(Debug, serde::Deserialize)]
struct CreateBody {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "pullRequest")]
    pull_request: bool,
}

#[derive(Debug, serde::Deserialize)]
struct CommentBody {
    comment: String,
}

#[derive(Debug, serde::Deserialize)]
struct TitleBody {
    title: String,
}

#[derive(Debug, serde::Deserialize)]
struct StatusBody {
    status: String,
    comment: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct MergeBody {
    comment: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct EditBody {
    content: String,
}

fn number(text: &str) -> ApiResult<u64> {
    text.parse().map_err(|_| ApiError::new(CoreError::NotFound(format!("Discussion #{text} not found")), false))
}

fn listing(query: &QueryParams) -> ApiResult<DiscussionListing> {
    let pull_requests = match query.get("type").unwrap_or("all") {
        "all" => None,
        "discussion" => Some(false),
        "pull_request" => Some(true),
        other => return Err(ApiError::bad_request(format!("invalid type '{other}'"))),
    };
    let open = match query.get("status").unwrap_or("all") {
        "all" => None,
        "open" => Some(true),
        "closed" => Some(false),
        other => return Err(ApiError::bad_request(format!("invalid status '{other}'"))),
    };
    let page = query.get("p").map_or(Ok(0), str::parse).map_err(|_| ApiError::bad_request("invalid page"))?;
    Ok(DiscussionListing { pull_requests, open, author: query.get("author").map(str::to_owned), page })
}

pub(crate) async fn discussions(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    rest: &[String],
    query: &QueryParams,
    body: &[u8],
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let fail = |error| caller.fail(error);
    let hub = &state.hub;
    let principal = &caller.principal;
    let segments: Vec<&str> = rest.iter().map(String::as_str).collect();
    let answer = match (method.clone(), segments.as_slice()) {
        (Method::GET, []) => {
            let (discussions, count, start) =
                hub.list_discussions(principal, &repo, &listing(query)?).await.map_err(fail)?;
            let items: Vec<Value> = discussions.iter().map(|discussion| item_json(&repo, discussion)).collect();
            json!({"discussions": items, "count": count, "start": start})
        }
        (Method::POST, []) => {
            let request: CreateBody = parse_json(body)?;
            let discussion = if request.pull_request {
                hub.create_pull_request(
                    principal,
                    &repo,
                    &request.title,
                    &request.description,
                    None,
                    DiscussionStatus::Draft,
                )
                .await
            } else {
                hub.create_discussion(principal, &repo, &request.title, &request.description).await
            }
            .map_err(fail)?;
            let url =
                format!("{}/discussions/{}", state.public_url.repo(repo.repo_type, &repo.full_name()), discussion.num);
            json!({"num": discussion.num, "url": url, "pullRequest": discussion.is_pull_request})
        }
        (Method::GET, [num]) => {
            let with_diff = query.flag("diff");
            let details = hub.discussion_details(principal, &repo, number(num)?, with_diff).await.map_err(fail)?;
            details_json(&repo, &details)
        }
        (Method::POST, [num, "comment"]) => {
            let request: CommentBody = parse_json(body)?;
            let event = hub.comment_discussion(principal, &repo, number(num)?, &request.comment).await.map_err(fail)?;
            json!({"newMessage": event_json(&event)})
        }
        (Method::POST, [num, "title"]) => {
            let request: TitleBody = parse_json(body)?;
            let event = hub.rename_discussion(principal, &repo, number(num)?, &request.title).await.map_err(fail)?;
            json!({"newTitle": event_json(&event)})
        }
        (Method::POST, [num, "status"]) => {
            let request: StatusBody = parse_json(body)?;
            let event = hub
                .change_discussion_status(principal, &repo, number(num)?, &request.status, request.comment.as_deref())
                .await
                .map_err(fail)?;
            json!({"newStatus": event_json(&event)})
        }
        (Method::POST, [num, "merge"]) => {
            // The client may send no body at all.
            let request: MergeBody = parse_json_or_default(body)?;
            hub.merge_pull_request(principal, &repo, number(num)?, request.comment.as_deref()).await.map_err(fail)?;
            json!({})
        }
        (Method::POST, [num, "comment", comment_id, "edit"]) => {
            let request: EditBody = parse_json(body)?;
            let event = hub
                .edit_discussion_comment(principal, &repo, number(num)?, comment_id, &request.content)
                .await
                .map_err(fail)?;
            json!({"updatedComment": event_json(&event)})
        }
        (Method::POST, [num, "comment", comment_id, "hide"]) => {
            let event = hub.hide_discussion_comment(principal, &repo, number(num)?, comment_id).await.map_err(fail)?;
            json!({"updatedComment": event_json(&event)})
        }
        _ => return Err(ApiError::not_found_route(method.as_str(), "discussions")),
    };
    Ok(Json(answer).into_response())
}
