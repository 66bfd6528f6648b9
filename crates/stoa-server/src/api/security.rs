//! What scanning and lineage show through the API: the Hub's shapes (`securityRepoStatus`,
//! per-file `securityFileStatus`, `safetensors`, `gguf`, `baseModels`, `childrenModelCount`)
//! and Stoa's own reports (`GET /api/{T}/{id}/scan/{rev}`, `GET /api/models/{id}/lineage`).

use std::collections::HashMap;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use stoa_core::access::RepoLevel;
use stoa_core::lineage::Lineage;
use stoa_core::ports::{ObjectId, Repo};
use stoa_core::scan::summary::CommitMetadata;
use stoa_core::scan::{CommitScanState, FileReport, FileStatus};
use stoa_types::RepoType;
use stoa_types::wire::TreeEntry;

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;

/// `securityFileStatus`: all three keys always present (the client indexes them).
pub(crate) fn file_status_json(report: Option<&FileReport>) -> Value {
    let Some(report) = report else {
        return json!({"status": "queued", "avScan": null, "pickleImportScan": null});
    };
    let av_scan = report.av.as_ref().map(|av| json!({"virusFound": av.virus_found, "virusNames": av.virus_names}));
    let pickle = report.pickle.as_ref().map(|pickle| {
        json!({
            "highestSafetyLevel": pickle.highest,
            "imports": pickle.imports.iter().map(|import| json!({
                "module": import.module, "name": import.name, "safety": import.safety,
            })).collect::<Vec<_>>(),
        })
    });
    json!({"status": report.status().as_str(), "avScan": av_scan, "pickleImportScan": pickle})
}

/// Adds `securityFileStatus` to tree or paths-info entries of files.
pub(crate) async fn add_security_statuses(state: &AppState, entries: &mut [TreeEntry]) -> ApiResult<()> {
    let key_of = |entry: &TreeEntry| match &entry.lfs {
        Some(lfs) => stoa_core::scan::lfs_content_key(&lfs.oid),
        None => stoa_core::scan::git_content_key(&entry.oid),
    };
    let keys: Vec<String> = entries.iter().filter(|entry| entry.kind == "file").map(key_of).collect();
    let reports = state.hub.file_reports(&keys).await.map_err(|error| crate::error::ApiError::new(error, false))?;
    for entry in entries.iter_mut().filter(|entry| entry.kind == "file") {
        entry.security_file_status = Some(file_status_json(reports.get(&key_of(entry))));
    }
    Ok(())
}

/// `securityRepoStatus` of a commit.
fn repo_status_json(state: &CommitScanState) -> Value {
    match state {
        CommitScanState::Pending => json!({"scansDone": false, "filesWithIssues": []}),
        CommitScanState::Done(summary) => json!({
            "scansDone": true,
            "filesWithIssues": summary.files_with_issues().map(|(file, level)| json!({
                "path": file.path, "level": level,
            })).collect::<Vec<_>>(),
        }),
    }
}

fn gguf_json(metadata: &CommitMetadata) -> Option<Value> {
    metadata.gguf.as_ref().map(|gguf| {
        let mut object = json!({"total": gguf.total, "architecture": gguf.architecture});
        if let Some(context) = gguf.context_length {
            object["context_length"] = json!(context);
        }
        if let Some(quantization) = &gguf.quantization {
            object["quantization"] = json!(quantization);
        }
        object
    })
}

/// The scan-derived and lineage fields of repo info: `safetensors` and `gguf` once the commit
/// is scanned, `securityRepoStatus` when asked for, `baseModels` / `childrenModelCount` for models.
pub(crate) async fn add_repo_info_fields(
    state: &AppState,
    caller: &Caller,
    repo: &Repo,
    commit: &ObjectId,
    object: &mut Map<String, Value>,
    security_status: bool,
    children_count: bool,
) -> ApiResult<()> {
    let fail = |error| caller.fail(error);
    // Only `securityRepoStatus` needs the file list; the common case reads the figures alone.
    let metadata = if security_status {
        let scan = state.hub.commit_scan_state(repo, commit).await.map_err(fail)?;
        object.insert("securityRepoStatus".to_owned(), repo_status_json(&scan));
        match &scan {
            CommitScanState::Done(summary) => Some(CommitMetadata::from(summary)),
            CommitScanState::Pending => None,
        }
    } else {
        state.hub.commit_scan_metadata(repo, commit).await.map_err(fail)?
    };
    if let Some(metadata) = &metadata {
        if let Some(totals) = &metadata.safetensors {
            object.insert("safetensors".to_owned(), json!({"parameters": totals.parameters, "total": totals.total}));
        }
        if let Some(gguf) = gguf_json(metadata) {
            object.insert("gguf".to_owned(), gguf);
        }
    }
    if repo.repo_type == RepoType::Model {
        let parents = stoa_core::lineage::parents_of(&repo.tags);
        if let Some(first) = parents.first() {
            let models: Vec<Value> = parents.iter().map(|parent| json!({"id": parent.id})).collect();
            object.insert("baseModels".to_owned(), json!({"relation": first.relation, "models": models}));
        }
        // Four tag lookups: only when asked for, as on the Hub.
        if children_count {
            let children = state.hub.children_model_count(&caller.principal, repo).await.map_err(fail)?;
            object.insert("childrenModelCount".to_owned(), json!(children));
        }
    }
    Ok(())
}

/// `GET /api/{T}/{id}/scan/{rev}`: every file's verdict and findings; secrets only for writers.
pub(crate) async fn scan_report(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let repo = caller.repo(state, &repo_ref).await?;
    let resolved = state.hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let writer = caller.principal.level(&repo) >= RepoLevel::Write;
    let scan = state.hub.commit_scan_state(&repo, &resolved.commit).await.map_err(fail)?;
    let mut body = json!({"commit": resolved.commit.to_string(), "scansDone": false, "files": []});
    if let CommitScanState::Done(summary) = &scan {
        let keys: Vec<String> = summary.files.iter().map(|file| file.content_key.clone()).collect();
        let reports: HashMap<String, FileReport> = state.hub.file_reports(&keys).await.map_err(fail)?;
        let files: Vec<Value> = summary
            .files
            .iter()
            .map(|file| {
                let report = reports.get(&file.content_key);
                let mut entry = file_status_json(report);
                entry["path"] = json!(file.path);
                entry["status"] = json!(file.status.as_str());
                entry["format"] = json!(report.and_then(|report| report.format.clone()));
                entry["unscannableReason"] =
                    json!(report.and_then(|report| report.pickle.as_ref()?.unscannable.clone()));
                entry["notes"] = json!(report.map(|report| report.notes.clone()).unwrap_or_default());
                if let Some(pickle) = report.and_then(|report| report.pickle.as_ref())
                    && !pickle.code_files.is_empty()
                {
                    entry["codeFiles"] = json!(pickle.code_files);
                }
                if writer {
                    entry["secrets"] = json!(
                        report
                            .map(|report| report
                                .secrets
                                .iter()
                                .map(|secret| json!({
                                    "kind": secret.kind, "line": secret.line, "redacted": secret.redacted,
                                }))
                                .collect::<Vec<_>>())
                            .unwrap_or_default()
                    );
                }
                entry
            })
            .collect();
        body["scansDone"] = json!(true);
        body["files"] = json!(files);
        body["notes"] = json!(summary.notes);
        body["issues"] = json!(summary.files.iter().filter(|file| file.status != FileStatus::Safe).count());
    }
    Ok(Json(body).into_response())
}

fn lineage_json(repo: &Repo, lineage: &Lineage) -> Value {
    json!({
        "id": repo.full_name(),
        "relation": lineage.relation(),
        "parents": lineage.parents.iter().map(|parent| json!({"id": parent.id, "relation": parent.relation})).collect::<Vec<_>>(),
        "ancestors": lineage.ancestors.iter().map(|ancestor| json!({
            "id": ancestor.id, "relation": ancestor.relation, "depth": ancestor.depth,
        })).collect::<Vec<_>>(),
        "children": lineage.children.iter().map(|child| json!({"id": child.id, "relation": child.relation})).collect::<Vec<_>>(),
        "childrenCount": lineage.children_count,
        "warnings": lineage.warnings,
    })
}

/// `GET /api/models/{id}/lineage`.
pub(crate) async fn lineage(state: &AppState, headers: &HeaderMap, repo_ref: RepoRef) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, &repo_ref).await?;
    let lineage = state.hub.lineage(&caller.principal, &repo).await.map_err(|error| caller.fail(error))?;
    Ok(Json(lineage_json(&repo, &lineage)).into_response())
}
