//! Gated repos: `GET /api/{T}/{id}/user-access-request/{pending|accepted|rejected}`
//! (`list_pending_access_requests` & co.), `POST .../user-access-request/handle`
//! (`accept_access_request`, `reject_access_request`, `cancel_access_request`),
//! `POST .../user-access-request/grant` (`grant_access`), Stoa's
//! `POST .../user-access-request/request` (what the web form sends), and
//! `GET /api/{T}/{id}/auth-check[/write]` (hub-api.md §4.9).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use stoa_core::CoreError;
use stoa_core::identity::gating::{REQUESTS_PER_PAGE, RequestRef};
use stoa_core::identity::store::{AccessRequest, RequestStatus};

use crate::AppState;
use crate::api::parse_json;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

fn request_json(request: &AccessRequest) -> Value {
    json!({
        "user": {
            "user": request.user.name,
            "fullname": request.user.fullname,
            "email": request.user.email,
        },
        "requestId": request.id,
        "status": request.status.as_str(),
        "timestamp": stoa_types::time::format_millis(request.updated_at),
        "fields": request.fields,
        "rejectionReason": request.rejection_reason,
    })
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandleBody {
    user: Option<String>,
    request_id: Option<String>,
    status: String,
    rejection_reason: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct GrantBody {
    user: String,
}

#[derive(Debug, Default, serde::Deserialize)]
struct RequestBody {
    #[serde(default)]
    fields: Map<String, Value>,
}

pub(crate) async fn user_access_request(
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
        (Method::GET, [status_name]) => {
            let status = RequestStatus::parse(status_name).ok_or_else(|| {
                ApiError::new(CoreError::NotFound(format!("No such request list: {status_name}")), false)
            })?;
            let page: u64 = query.get("p").and_then(|page| page.parse().ok()).unwrap_or(0);
            let requests = hub.list_access_requests(principal, &repo, status, page).await.map_err(fail)?;
            let mut response = Json(Value::Array(requests.iter().map(request_json).collect())).into_response();
            // A full page may have a next one; the client follows `Link`.
            if requests.len() as u64 == REQUESTS_PER_PAGE {
                let url = state.public_url.absolute(&format!(
                    "/api/{}/{}/user-access-request/{status_name}?{}",
                    repo.repo_type.plural(),
                    repo.full_name(),
                    query.with("p", &(page + 1).to_string())
                ));
                if let Ok(link) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
                    response.headers_mut().insert(header::LINK, link);
                }
            }
            return Ok(response);
        }
        (Method::POST, ["handle"]) => {
            let request: HandleBody = parse_json(body)?;
            let status = RequestStatus::parse(&request.status)
                .ok_or_else(|| ApiError::bad_request("status must be accepted, rejected or pending"))?;
            let who = match (request.user, request.request_id) {
                (_, Some(id)) => RequestRef::RequestId(id),
                (Some(user), None) => RequestRef::User(user),
                (None, None) => return Err(ApiError::bad_request("name the request by user or requestId")),
            };
            hub.handle_access_request(principal, &repo, &who, status, request.rejection_reason.as_deref())
                .await
                .map_err(fail)?;
            json!({})
        }
        (Method::POST, ["grant"]) => {
            let request: GrantBody = parse_json(body)?;
            let granted = hub.grant_access(principal, &repo, &request.user).await.map_err(fail)?;
            request_json(&granted)
        }
        (Method::POST, ["request"]) => {
            let request: RequestBody = crate::api::parse_json_or_default(body)?;
            let saved = hub.request_access(principal, &repo, &request.fields).await.map_err(fail)?;
            request_json(&saved)
        }
        _ => return Err(ApiError::not_found_route(method.as_str(), "user-access-request")),
    };
    Ok(Json(answer).into_response())
}

/// `GET /api/{T}/{id}/auth-check[/write]`: 200 when the caller may read the contents (or write).
pub(crate) async fn auth_check(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    write: bool,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let checked = if write {
        caller.principal.check_write(&repo)
    } else {
        state.hub.check_content_read(&caller.principal, &repo).await
    };
    checked.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})).into_response())
}
