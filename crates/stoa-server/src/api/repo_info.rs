//! `GET /api/{T}/{id}[/revision/{rev}]`: `model_info`, `dataset_info`, `space_info`,
//! `repo_exists`, `revision_exists`, and the revision lookup of `snapshot_download`.

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use stoa_core::files::FileEntry;
use stoa_core::ports::Repo;
use stoa_core::repos::RepoSnapshot;
use stoa_types::RepoType;
use stoa_types::time::format_unix;
use stoa_types::wire::{Sibling, SiblingLfs};

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;
use crate::query::QueryParams;

pub(crate) fn siblings_json(files: &[FileEntry], with_metadata: bool) -> Value {
    let siblings: Vec<Sibling> = files
        .iter()
        .map(|file| Sibling {
            rfilename: file.path.clone(),
            size: with_metadata.then_some(file.size),
            blob_id: with_metadata.then(|| file.oid.to_string()),
            lfs: file.lfs.as_ref().filter(|_| with_metadata).map(|info| SiblingLfs {
                sha256: info.pointer.oid.to_string(),
                size: info.pointer.size,
                pointer_size: info.pointer_size,
            }),
        })
        .collect();
    serde_json::to_value(siblings).unwrap_or_default()
}

/// The fields every listing item and repo info share.
pub(crate) fn repo_summary(repo: &Repo) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("_id".to_owned(), json!(repo.id));
    object.insert("id".to_owned(), json!(repo.full_name()));
    object.insert("author".to_owned(), json!(repo.namespace));
    object.insert("private".to_owned(), json!(repo.private));
    object.insert("gated".to_owned(), repo.gated.as_ref().map_or(json!(false), |mode| json!(mode)));
    object.insert("disabled".to_owned(), json!(false));
    object.insert("downloads".to_owned(), json!(repo.downloads));
    object.insert("downloadsAllTime".to_owned(), json!(repo.downloads_all_time));
    object.insert("likes".to_owned(), json!(repo.likes));
    object.insert("trendingScore".to_owned(), json!(0));
    object.insert("tags".to_owned(), json!(repo.tags));
    object.insert("createdAt".to_owned(), json!(format_unix(repo.created_at)));
    object.insert("lastModified".to_owned(), json!(format_unix(repo.last_modified)));
    object
}

/// Repo info at a revision, as the Hub shapes it.
pub(crate) fn repo_json(snapshot: &RepoSnapshot, with_metadata: bool) -> Map<String, Value> {
    let files: &[FileEntry] = &snapshot.view.files;
    let mut object = repo_summary(&snapshot.repo);
    object.insert("sha".to_owned(), json!(snapshot.view.info.id.to_string()));
    object.insert("lastModified".to_owned(), json!(format_unix(snapshot.view.info.time)));
    object.insert("siblings".to_owned(), siblings_json(files, with_metadata));
    if let Some(card) = &snapshot.view.card_data {
        let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
        let tags = stoa_core::cards::revision_tags(snapshot.repo.repo_type, card, &paths, &snapshot.repo.tags);
        object.insert("tags".to_owned(), json!(tags));
        object.insert("cardData".to_owned(), Value::Object(card.clone()));
        let copy = |object: &mut Map<String, Value>, key: &str| {
            if let Some(value) = card.get(key).filter(|value| value.is_string()) {
                object.insert(key.to_owned(), value.clone());
            }
        };
        match snapshot.repo.repo_type {
            RepoType::Model => {
                copy(&mut object, "library_name");
                copy(&mut object, "pipeline_tag");
            }
            RepoType::Space => copy(&mut object, "sdk"),
            RepoType::Dataset => {}
        }
    }
    object
}

/// With `expand=...`, only the requested keys (plus the ids) are returned.
pub(crate) fn apply_expand(mut object: Map<String, Value>, expand: &[String]) -> Map<String, Value> {
    if expand.is_empty() {
        return object;
    }
    object.retain(|key, _| key == "id" || key == "_id" || expand.iter().any(|wanted| wanted == key));
    object
}

pub(crate) async fn repo_info(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: Option<&str>,
    query: &QueryParams,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let repo = caller.repo(state, &repo_ref).await?;
    let snapshot = state.hub.repo_snapshot(repo, revision.unwrap_or("main")).await.map_err(fail)?;
    let with_metadata = query.flag("blobs");
    let expand = query.all("expand");
    let mut object = repo_json(&snapshot, with_metadata);
    let wants = |key: &str| expand.iter().any(|wanted| wanted == key);
    crate::api::security::add_repo_info_fields(
        state,
        &caller,
        &snapshot.repo,
        &snapshot.view.info.id,
        &mut object,
        query.flag("securityStatus") || wants("securityRepoStatus"),
        wants("childrenModelCount"),
    )
    .await?;
    let object = apply_expand(object, &expand);
    Ok(Json(Value::Object(object)).into_response())
}
