//! The `scan-commit` job: every file of a commit gets a verdict, read once per content and
//! scanner version; the commit's summary is stored, then the namespace's policy applies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;

use super::analyse::analyse_file;
use super::policy::Action;
use super::store::StoredFileScan;
use super::summary::{self, CommitSummary, ScannedFile};
use super::{AvReport, FileReport, SCANNER_VERSION, content_key};
use crate::error::{CoreError, CoreResult};
use crate::files::FileEntry;
use crate::formats::containers::RandomAccess;
use crate::hub::Hub;
use crate::ports::{EntryKind, ObjectId, Repo};

/// Whether a commit's scan is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitScanState {
    /// Queued or running (or the commit predates scanning and nothing asked for it yet).
    Pending,
    Done(CommitSummary),
}

#[derive(Deserialize)]
struct ScanPayload {
    repo_id: String,
    commit: String,
    /// The ref's target before the move: the commits in between are scanned too.
    #[serde(default)]
    since: Option<String>,
}

fn internal(error: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(error.to_string())
}

impl Hub {
    /// Runs one `scan-commit` job. A repo deleted since is nothing to do.
    pub(crate) async fn run_scan_job(&self, payload: &str) -> CoreResult<()> {
        let payload: ScanPayload = serde_json::from_str(payload).map_err(internal)?;
        let Some(repo) = self.meta.repo_by_id(&payload.repo_id).await? else {
            return Ok(());
        };
        let commit = ObjectId::from_hex(&payload.commit).ok_or_else(|| internal("bad commit id in scan job"))?;
        // The head first: its verdict is what repo info shows.
        self.scan_commit(&repo, &commit).await?;
        if let Some(since) = payload.since.as_deref().and_then(ObjectId::from_hex) {
            for older in self.new_commits(&repo.id, &commit, Some(since), false).await? {
                if older != commit && self.meta.commit_scan(&repo.id, &older.to_string()).await?.is_none() {
                    self.scan_commit(&repo, &older).await?;
                }
            }
        }
        Ok(())
    }

    async fn new_commits(
        &self,
        repo_id: &str,
        tip: &ObjectId,
        exclude: Option<ObjectId>,
        exclude_refs: bool,
    ) -> CoreResult<Vec<ObjectId>> {
        let (repo_id, tip) = (repo_id.to_owned(), tip.clone());
        self.blocking(move |git| {
            Ok(git.new_commits(&repo_id, &tip, exclude.as_ref(), exclude_refs, super::MAX_NEW_COMMITS)?)
        })
        .await
    }

    /// Scans a commit, stores its summary, and quarantines what the policy holds back.
    /// Returns the summary and, per file with dangerous imports, their names.
    pub(crate) async fn scan_commit(
        &self,
        repo: &Repo,
        commit: &ObjectId,
    ) -> CoreResult<(CommitSummary, Vec<(String, String)>)> {
        let view = self.commit_view(repo, commit).await?;
        let files: Vec<&FileEntry> = view.files.iter().filter(|file| file.kind == EntryKind::File).collect();
        let keys: Vec<String> = files.iter().map(|file| content_key(file)).collect();
        let mut reports = self.file_reports(&keys).await?;
        let mut started = HashSet::new();
        for (file, key) in files.iter().zip(&keys) {
            if reports.contains_key(key) || !started.insert(key.clone()) {
                continue;
            }
            let report = self.scan_file(repo, file).await?;
            let stored = StoredFileScan {
                scanner_version: SCANNER_VERSION,
                status: report.status().as_str().to_owned(),
                report: serde_json::to_string(&report).map_err(internal)?,
            };
            self.meta.put_file_scan(key, &stored, stoa_types::time::now_unix()).await?;
            reports.insert(key.clone(), report);
        }
        let mut summary = CommitSummary::default();
        let mut with_paths: Vec<(&str, &FileReport)> = Vec::new();
        let mut details = Vec::new();
        for (file, key) in files.iter().zip(&keys) {
            let Some(report) = reports.get(key) else { continue };
            summary.files.push(ScannedFile {
                path: file.path.clone(),
                content_key: key.clone(),
                status: report.status(),
            });
            with_paths.push((file.path.as_str(), report));
            if let Some(pickle) = &report.pickle {
                let dangerous: Vec<String> = pickle
                    .imports
                    .iter()
                    .filter(|import| import.safety == "dangerous")
                    .map(|import| format!("{}.{}", import.module, import.name))
                    .collect();
                details.push((file.path.clone(), dangerous.join(", ")));
            }
        }
        let shards = match files.iter().find(|file| file.path == summary::SAFETENSORS_INDEX) {
            Some(index) => self.read_index(repo, index).await.map_or_else(
                |error| {
                    summary.notes.push(error);
                    None
                },
                Some,
            ),
            None => None,
        };
        summary.safetensors = summary::safetensors_totals(&with_paths, shards.as_ref(), &mut summary.notes);
        summary.gguf = summary::gguf_summary(&with_paths);
        // Holds first: once the summary says "done", every file it quarantines is held back.
        let policy = self.scan_policy(&repo.namespace).await?;
        if summary.files.iter().any(|file| policy.action_for(file.status) == Action::Quarantine) {
            self.quarantine_files(repo, policy, &summary).await?;
        }
        let text = serde_json::to_string(&summary).map_err(internal)?;
        self.meta.put_commit_scan(&repo.id, &commit.to_string(), &text, stoa_types::time::now_unix()).await?;
        Ok((summary, details))
    }

    async fn scan_file(&self, repo: &Repo, file: &FileEntry) -> CoreResult<FileReport> {
        let source = self.file_source(repo, file).await?;
        let path = file.path.clone();
        let reader = Arc::clone(&source);
        let mut report =
            tokio::task::spawn_blocking(move || analyse_file(&path, reader.as_ref())).await.map_err(internal)?;
        if let Some(scanner) = &self.virus_scanner {
            if file.size <= scanner.max_bytes() {
                let len = usize::try_from(file.size).map_err(internal)?;
                let bytes = tokio::task::spawn_blocking(move || source.read_at(0, len)).await.map_err(internal)?;
                match scanner.scan(bytes.map_err(internal)?).await {
                    Ok(names) => report.av = Some(AvReport { virus_found: !names.is_empty(), virus_names: names }),
                    // A broken antivirus must not stop scanning; the file simply has no AV verdict.
                    Err(error) => report.notes.push(format!("antivirus unavailable: {error}")),
                }
            } else {
                report.notes.push(format!("larger than the antivirus accepts ({} bytes)", scanner.max_bytes()));
            }
        }
        Ok(report)
    }

    async fn read_index(&self, repo: &Repo, index: &FileEntry) -> Result<std::collections::BTreeSet<String>, String> {
        if index.size > summary::MAX_INDEX_BYTES {
            return Err(format!("{} is larger than {} bytes", index.path, summary::MAX_INDEX_BYTES));
        }
        let source = self.file_source(repo, index).await.map_err(|error| error.to_string())?;
        let len = usize::try_from(index.size).map_err(|error| error.to_string())?;
        let bytes = tokio::task::spawn_blocking(move || source.read_at(0, len))
            .await
            .map_err(|error| error.to_string())?
            .map_err(|error| error.to_string())?;
        summary::index_shards(&bytes)
    }

    /// Cached reports of the current scanner version, by content key.
    pub async fn file_reports(&self, keys: &[String]) -> CoreResult<HashMap<String, FileReport>> {
        let unique: Vec<String> = keys.iter().collect::<HashSet<_>>().into_iter().cloned().collect();
        let mut reports = HashMap::new();
        for (key, stored) in self.meta.file_scans(&unique).await? {
            if stored.scanner_version != SCANNER_VERSION {
                continue;
            }
            if let Ok(report) = serde_json::from_str::<FileReport>(&stored.report) {
                reports.insert(key, report);
            }
        }
        Ok(reports)
    }

    /// The scan of a commit, if done.
    pub async fn commit_scan_state(&self, repo: &Repo, commit: &ObjectId) -> CoreResult<CommitScanState> {
        let Some(text) = self.meta.commit_scan(&repo.id, &commit.to_string()).await? else {
            return Ok(CommitScanState::Pending);
        };
        let summary = serde_json::from_str(&text).map_err(internal)?;
        Ok(CommitScanState::Done(summary))
    }

    /// The safetensors and GGUF figures of a scanned commit (`None` while pending).
    pub async fn commit_scan_metadata(
        &self,
        repo: &Repo,
        commit: &ObjectId,
    ) -> CoreResult<Option<summary::CommitMetadata>> {
        let Some(text) = self.meta.commit_scan(&repo.id, &commit.to_string()).await? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(&text).map_err(internal)?))
    }

    /// Refuses a commit before its ref moves when the namespace rejects what it holds. Only
    /// namespaces with a `reject` policy pay for scanning inside the commit.
    pub(crate) async fn enforce_reject_policy(&self, repo_id: &str, commit: &str) -> CoreResult<()> {
        let Some(repo) = self.meta.repo_by_id(repo_id).await? else {
            return Ok(());
        };
        let policy = self.scan_policy(&repo.namespace).await?;
        if policy.dangerous != Action::Reject && policy.unscannable != Action::Reject {
            return Ok(());
        }
        let Some(commit) = ObjectId::from_hex(commit) else {
            return Ok(());
        };
        // Every commit no ref reaches yet: a file added and removed again inside one push is
        // still downloadable by its commit id.
        for new in self.new_commits(&repo.id, &commit, None, true).await? {
            let (summary, details) = self.scan_commit(&repo, &new).await?;
            if let Some(error) = Self::rejection(policy, &summary, &details) {
                tracing::warn!(repo = %repo.full_name(), commit = %new, error = %error, "commit rejected by the scanning policy");
                return Err(error);
            }
        }
        Ok(())
    }
}
