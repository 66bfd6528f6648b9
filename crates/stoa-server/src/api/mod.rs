//! Handlers of the Hub API, one module per client operation, and the dispatcher for the
//! repo-shaped paths parsed by [`crate::endpoint`].

pub(crate) mod access_requests;
pub(crate) mod accounts;
pub(crate) mod attachments;
pub(crate) mod collections;
pub(crate) mod commit;
pub(crate) mod discussions;
pub(crate) mod lifecycle;
pub(crate) mod list_repos;
pub(crate) mod orgs;
pub(crate) mod preupload;
pub(crate) mod refs;
pub(crate) mod repo_info;
pub(crate) mod repos;
pub(crate) mod security;
pub(crate) mod social;
pub(crate) mod tree;
pub(crate) mod validate_yaml;
pub(crate) mod whoami;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stoa_core::CoreError;
use stoa_core::collab::lifecycle::FoundRepo;

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::{self, Endpoint};
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::{git_http, lfs, resolve};

/// JSON request bodies other than commits are small; this bounds what is buffered.
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn read_body(body: Body) -> ApiResult<bytes::Bytes> {
    axum::body::to_bytes(body, MAX_JSON_BODY).await.map_err(|error| {
        ApiError::new(CoreError::PayloadTooLarge(format!("request body too large or unreadable: {error}")), false)
    })
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))
}

/// A JSON body the client may also leave out entirely (then the defaults apply).
pub(crate) fn parse_json_or_default<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { parse_json(bytes) }
}

/// Visibility as the clients send it: `visibility` ("public"/"private", newer clients) or the
/// older `private` flag. `None` when neither is given.
pub(crate) fn requested_privacy(visibility: Option<&str>, private: Option<bool>) -> ApiResult<Option<bool>> {
    match visibility {
        Some("private") => Ok(Some(true)),
        Some("public") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad_request(format!("unsupported visibility '{other}'"))),
        None => Ok(private),
    }
}

/// `HEAD /api/telemetry/...`: fire-and-forget, always fine.
pub(crate) async fn telemetry() -> StatusCode {
    StatusCode::OK
}

fn method_not_allowed() -> ApiError {
    ApiError::new(CoreError::BadRequest("method not allowed on this endpoint".to_owned()), false)
}

/// Routes every path that names a repo.
pub(crate) async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let query = QueryParams::parse(parts.uri.query());
    let Some(endpoint) = endpoint::parse(parts.uri.path()) else {
        // Not an API path: a web page, or nothing.
        let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
        return match stoa_web::page(&state.web, Request::from_parts(parts, body)).await {
            Some(page) => page,
            None => ApiError::not_found_route(method.as_str(), &path).into_response(),
        };
    };
    let repo = endpoint.repo().clone();
    let result = route(&state, &parts.method, &parts.headers, endpoint, query, body).await;
    match result {
        Ok(response) => response,
        Err(error) if error.is_repo_not_found() => {
            match redirect_to_moved(&state, &parts.headers, &repo, &parts.uri).await {
                Some(redirect) => redirect,
                None => error.into_response(),
            }
        }
        Err(error) => error.into_response(),
    }
}

/// A repo that was moved answers under its old name with a redirect to the same path under its
/// new name (relative, as the Hub does), for callers who may read it; to everyone else the old
/// name is as missing as any other.
async fn redirect_to_moved(
    state: &AppState,
    headers: &HeaderMap,
    repo: &endpoint::RepoRef,
    uri: &axum::http::Uri,
) -> Option<Response> {
    let principal = crate::auth::principal(state, headers).await.ok()?;
    let moved = match state.hub.find_repo_or_moved(&principal, repo.repo_type, &repo.id).await.ok()? {
        FoundRepo::Moved(moved) => moved,
        FoundRepo::Here(_) => return None,
    };
    let path = uri.path();
    let old = format!("/{}", repo.id);
    let at = path.find(&format!("{old}/")).or_else(|| path.ends_with(&old).then(|| path.len() - old.len()))?;
    let mut location = format!("{}/{}{}", &path[..at], moved.full_name(), &path[at + old.len()..]);
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).ok()?);
    Some(response)
}

async fn route(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    endpoint: Endpoint,
    query: QueryParams,
    body: Body,
) -> ApiResult<Response> {
    // HEAD is answered like GET; hyper leaves the body out.
    let method_for_routing = if method == Method::HEAD { Method::GET } else { method.clone() };
    match (method_for_routing, endpoint) {
        (Method::GET, Endpoint::RepoInfo { repo, revision }) => {
            repo_info::repo_info(state, headers, repo, revision.as_deref(), &query).await
        }
        (Method::GET, Endpoint::ListRepoTree { repo, revision, path }) => {
            tree::list_repo_tree(state, headers, repo, &revision, path.as_deref(), &query).await
        }
        (Method::POST, Endpoint::GetPathsInfo { repo, revision }) => {
            tree::get_paths_info(state, headers, repo, &revision, read_body(body).await?).await
        }
        (Method::POST, Endpoint::PreuploadLfsFiles { repo, revision }) => {
            preupload::preupload_lfs_files(state, headers, repo, &revision, read_body(body).await?).await
        }
        (Method::POST, Endpoint::CreateCommit { repo, revision }) => {
            commit::create_commit(state, headers, repo, &revision, &query, body).await
        }
        (Method::GET, Endpoint::ListRepoRefs { repo }) => refs::list_repo_refs(state, headers, repo, &query).await,
        (Method::GET, Endpoint::ListRepoCommits { repo, revision }) => {
            refs::list_repo_commits(state, headers, repo, &revision, &query).await
        }
        (Method::POST | Method::DELETE, Endpoint::Branch { repo, branch }) => {
            refs::branch(state, method, headers, repo, &branch, &read_body(body).await?).await
        }
        (Method::POST | Method::DELETE, Endpoint::Tag { repo, segment }) => {
            refs::tag(state, method, headers, repo, &segment, &read_body(body).await?).await
        }
        (Method::POST, Endpoint::SuperSquash { repo, branch }) => {
            lifecycle::super_squash_history(state, headers, repo, &branch, &read_body(body).await?).await
        }
        (_, Endpoint::Discussions { repo, rest }) => {
            discussions::discussions(state, method, headers, repo, &rest, &query, &read_body(body).await?).await
        }
        (Method::PUT, Endpoint::Settings { repo }) => {
            lifecycle::update_repo_settings(state, headers, repo, &read_body(body).await?).await
        }
        (Method::POST | Method::DELETE, Endpoint::Like { repo }) => social::like(state, method, headers, repo).await,
        (Method::GET, Endpoint::Likers { repo }) => social::list_repo_likers(state, headers, repo, &query).await,
        (Method::POST, Endpoint::Duplicate { repo }) => {
            lifecycle::duplicate_repo(state, headers, repo, &read_body(body).await?).await
        }
        (Method::GET, Endpoint::Activity { repo }) => social::repo_activity(state, headers, repo, &query).await,
        (_, Endpoint::UserAccessRequest { repo, rest }) => {
            access_requests::user_access_request(state, method, headers, repo, &rest, &query, &read_body(body).await?)
                .await
        }
        (Method::GET, Endpoint::AuthCheck { repo, write }) => {
            access_requests::auth_check(state, headers, repo, write).await
        }
        (Method::GET, Endpoint::ScanReport { repo, revision }) => {
            security::scan_report(state, headers, repo, &revision).await
        }
        (Method::GET, Endpoint::Lineage { repo }) => security::lineage(state, headers, repo).await,
        (Method::GET, Endpoint::Compare { repo, spec }) => lifecycle::compare(state, headers, repo, &spec).await,
        (Method::GET, Endpoint::XetToken { repo, write, revision }) => {
            crate::cas::xet_token(state, headers, repo, write, &revision, &query).await
        }
        (_, Endpoint::NotYetImplemented { repo, operation }) => {
            // Missing and hidden repos still answer RepoNotFound, as the client expects.
            let caller = Caller::from_headers(state, headers).await?;
            caller.repo(state, &repo).await?;
            Err(caller.fail(CoreError::NotImplemented(format!("'{operation}' is not implemented by this server yet"))))
        }
        (Method::GET, Endpoint::Resolve { repo, revision, path }) => {
            resolve::resolve(state, method, headers, repo, &revision, &path).await
        }
        (Method::POST, Endpoint::LfsBatch { repo }) => lfs::batch(state, headers, repo, read_body(body).await?).await,
        (Method::POST, Endpoint::LfsVerify { repo }) => lfs::verify(state, headers, repo, read_body(body).await?).await,
        (_, Endpoint::LfsLocks { repo, verify }) => lfs::locks(state, headers, repo, method, verify).await,
        (Method::GET, Endpoint::GitInfoRefs { repo }) => git_http::info_refs(state, headers, repo, &query).await,
        (Method::POST, Endpoint::GitUploadPack { repo }) => git_http::upload_pack(state, headers, repo, body).await,
        (Method::POST, Endpoint::GitReceivePack { repo }) => git_http::receive_pack(state, headers, repo, body).await,
        _ => Err(method_not_allowed()),
    }
}
