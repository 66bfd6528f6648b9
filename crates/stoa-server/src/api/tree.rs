//! `GET /api/{T}/{id}/tree/{rev}[/{path}]` (`list_repo_tree`, `list_repo_files`,
//! `snapshot_download`, `HfFileSystem.ls`) and `POST .../paths-info/{rev}` (`get_paths_info`).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use stoa_core::CoreError;
use stoa_core::files::FileEntry;
use stoa_core::ports::EntryKind;
use stoa_types::RepoPath;
use stoa_types::wire::{EntryLfs, LastCommit, TreeEntry};

use crate::AppState;
use crate::api::parse_json;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;
use crate::query::QueryParams;

const TREE_PAGE: usize = 1000;
/// `expand=true` walks history for every entry, so pages are smaller (as on the Hub).
const EXPANDED_TREE_PAGE: usize = 50;
const MAX_PATHS_INFO: usize = 1000;

fn tree_entry(file: &FileEntry) -> TreeEntry {
    TreeEntry {
        kind: match file.kind {
            EntryKind::File => "file",
            EntryKind::Directory => "directory",
        },
        oid: file.oid.to_string(),
        size: file.size,
        path: file.path.clone(),
        lfs: file.lfs.as_ref().map(|info| EntryLfs {
            oid: info.pointer.oid.to_string(),
            size: info.pointer.size,
            pointer_size: info.pointer_size,
        }),
        last_commit: None,
        xet_hash: None,
        security_file_status: None,
    }
}

/// Marks the LFS entries that are stored through Xet with their file hash.
async fn add_xet_hashes(
    state: &AppState,
    repo: &stoa_core::ports::Repo,
    entries: &mut [TreeEntry],
) -> Result<(), CoreError> {
    let oids: Vec<String> = entries.iter().filter_map(|entry| entry.lfs.as_ref().map(|lfs| lfs.oid.clone())).collect();
    let xet_files = state.hub.xet_files_of(repo, &oids).await?;
    for entry in entries.iter_mut() {
        if let Some(lfs) = &entry.lfs {
            entry.xet_hash = xet_files.get(&lfs.oid).map(|hash| hash.hex());
        }
    }
    Ok(())
}

pub(crate) async fn list_repo_tree(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    path: Option<&str>,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    let resolved = hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let folder = match path {
        Some(text) => Some(RepoPath::parse(text).map_err(|_| fail(CoreError::entry_not_found()))?),
        None => None,
    };
    let entries = hub.list_tree(&repo, &resolved.commit, folder, query.flag("recursive")).await.map_err(fail)?;
    let offset: usize = query.get("cursor").and_then(|cursor| cursor.parse().ok()).unwrap_or(0);
    let expand = query.flag("expand");
    let page_size = if expand { EXPANDED_TREE_PAGE } else { TREE_PAGE };
    let mut page: Vec<TreeEntry> = entries.iter().skip(offset).take(page_size).map(tree_entry).collect();
    add_xet_hashes(state, &repo, &mut page).await.map_err(fail)?;
    if expand {
        add_last_commits(state, &repo, &resolved.commit, &mut page).await.map_err(fail)?;
        crate::api::security::add_security_statuses(state, &mut page).await?;
    }
    let next = offset + page.len();
    let mut response = Json(page).into_response();
    if next < entries.len() {
        let url = state.public_url.absolute(&format!(
            "/api/{}/{}/tree/{}{}?{}",
            repo.repo_type.plural(),
            repo.full_name(),
            percent_encoding::utf8_percent_encode(revision, percent_encoding::NON_ALPHANUMERIC),
            path.map(|path| format!(
                "/{}",
                percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
            ))
            .unwrap_or_default(),
            query.with("cursor", &next.to_string())
        ));
        if let Ok(link) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
            response.headers_mut().insert(header::LINK, link);
        }
    }
    Ok(response)
}

async fn add_last_commits(
    state: &AppState,
    repo: &stoa_core::ports::Repo,
    commit: &stoa_core::ports::ObjectId,
    entries: &mut [TreeEntry],
) -> Result<(), CoreError> {
    let paths = entries.iter().map(|entry| entry.path.clone()).collect();
    let commits = state.hub.last_commits(repo, commit, paths).await?;
    for entry in entries {
        entry.last_commit = commits.get(&entry.path).map(|info| LastCommit {
            id: info.id.to_string(),
            title: info.title.clone(),
            date: stoa_types::time::format_unix(info.time),
        });
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct PathsInfoJson {
    paths: Vec<String>,
    #[serde(default)]
    expand: bool,
}

/// Paths and the expand flag from a form body (`paths=a&paths=b&expand=false`, the Python
/// client) or JSON (`{"paths": [...], "expand": bool}`, huggingface.js).
fn requested_paths(headers: &HeaderMap, body: &[u8]) -> ApiResult<(Vec<String>, bool)> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        let request: PathsInfoJson = parse_json(body)?;
        return Ok((request.paths, request.expand));
    }
    let form = QueryParams::parse(std::str::from_utf8(body).ok());
    Ok((form.all("paths"), form.flag("expand")))
}

pub(crate) async fn get_paths_info(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let (paths, expand) = requested_paths(headers, &body)?;
    if paths.len() > MAX_PATHS_INFO {
        return Err(fail(CoreError::PayloadTooLarge(format!("at most {MAX_PATHS_INFO} paths per request"))));
    }
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    let resolved = hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let entries = hub.paths_info(&repo, &resolved.commit, paths).await.map_err(fail)?;
    let mut entries: Vec<TreeEntry> = entries.iter().map(tree_entry).collect();
    add_xet_hashes(state, &repo, &mut entries).await.map_err(fail)?;
    if expand {
        add_last_commits(state, &repo, &resolved.commit, &mut entries).await.map_err(fail)?;
        crate::api::security::add_security_statuses(state, &mut entries).await?;
    }
    Ok(Json(entries).into_response())
}
