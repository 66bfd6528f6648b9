//! Reading files of a repo: tree listings, paths-info, download resolution, and the preupload
//! decision (regular or LFS) that precedes every commit.

use std::collections::HashMap;

use base64::Engine as _;
use stoa_types::RepoPath;

use crate::error::{CoreError, CoreResult};
use crate::gitattributes::{IgnoreRules, LfsRules};
use crate::hub::Hub;
use crate::lfs::LfsPointer;
use crate::ports::{EntryKind, GitEntry, ObjectId, Repo};

/// Pointer files written by git-lfs and Stoa are 126 to ~150 bytes; only blobs in this range
/// are read to check whether they are pointers.
const POINTER_SIZE_RANGE: std::ops::RangeInclusive<u64> = 100..=200;

/// A file or folder as the API presents it.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: String,
    pub kind: EntryKind,
    /// Git object id (for LFS files, the pointer blob's id).
    pub oid: ObjectId,
    /// Real content size (for LFS files, the object's size).
    pub size: u64,
    pub lfs: Option<LfsInfo>,
}

#[derive(Debug, Clone)]
pub struct LfsInfo {
    pub pointer: LfsPointer,
    pub pointer_size: u64,
}

#[derive(Debug, Clone)]
pub struct PreuploadItem {
    pub path: String,
    pub size: u64,
    pub sample: String,
}

#[derive(Debug, Clone)]
pub struct PreuploadDecision {
    pub path: String,
    pub lfs: bool,
    pub should_ignore: bool,
    pub oid: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PreuploadOutcome {
    pub commit: ObjectId,
    pub files: Vec<PreuploadDecision>,
}

fn upgrade_entry(git: &dyn crate::ports::GitStore, repo_id: &str, entry: GitEntry) -> CoreResult<FileEntry> {
    let mut lfs = None;
    let mut size = entry.size;
    if entry.kind == EntryKind::File && POINTER_SIZE_RANGE.contains(&entry.size) {
        let bytes = git.read_blob(repo_id, &entry.oid)?;
        if let Some(pointer) = LfsPointer::parse(&bytes) {
            size = pointer.size;
            lfs = Some(LfsInfo { pointer, pointer_size: entry.size });
        }
    }
    Ok(FileEntry { path: entry.path, kind: entry.kind, oid: entry.oid, size, lfs })
}

/// Every file of a commit (no folders), with LFS metadata.
pub(crate) fn all_files(
    git: &dyn crate::ports::GitStore,
    repo_id: &str,
    commit: &ObjectId,
) -> CoreResult<Vec<FileEntry>> {
    let entries = git.list_tree(repo_id, commit, None, true)?.unwrap_or_default();
    entries
        .into_iter()
        .filter(|entry| entry.kind == EntryKind::File)
        .map(|entry| upgrade_entry(git, repo_id, entry))
        .collect()
}

impl Hub {
    /// Lists a folder at a commit. `EntryNotFound` when the folder does not exist.
    pub async fn list_tree(
        &self,
        repo: &Repo,
        commit: &ObjectId,
        folder: Option<RepoPath>,
        recursive: bool,
    ) -> CoreResult<Vec<FileEntry>> {
        let repo_id = repo.id.clone();
        let commit = commit.clone();
        self.blocking(move |git| {
            let entries =
                git.list_tree(&repo_id, &commit, folder.as_ref(), recursive)?.ok_or_else(CoreError::entry_not_found)?;
            entries.into_iter().map(|entry| upgrade_entry(git, &repo_id, entry)).collect()
        })
        .await
    }

    /// The entries that exist among `paths` (missing ones are left out, as the Hub does).
    pub async fn paths_info(&self, repo: &Repo, commit: &ObjectId, paths: Vec<String>) -> CoreResult<Vec<FileEntry>> {
        let repo_id = repo.id.clone();
        let commit = commit.clone();
        self.blocking(move |git| {
            let mut found = Vec::new();
            for text in paths {
                let Ok(path) = RepoPath::parse(&text) else {
                    continue;
                };
                if let Some(entry) = git.entry(&repo_id, &commit, &path)? {
                    found.push(upgrade_entry(git, &repo_id, entry)?);
                }
            }
            Ok(found)
        })
        .await
    }

    /// One file at a commit, for download; `None` when it is missing or a folder.
    pub async fn file_at(&self, repo: &Repo, commit: &ObjectId, path: &str) -> CoreResult<Option<FileEntry>> {
        let Ok(path) = RepoPath::parse(path) else {
            return Ok(None);
        };
        let repo_id = repo.id.clone();
        let commit = commit.clone();
        self.blocking(move |git| match git.entry(&repo_id, &commit, &path)? {
            Some(entry) if entry.kind == EntryKind::File => Ok(Some(upgrade_entry(git, &repo_id, entry)?)),
            _ => Ok(None),
        })
        .await
    }

    /// The `lastCommit` of each path at `commit`.
    pub async fn last_commits(
        &self,
        repo: &Repo,
        commit: &ObjectId,
        paths: Vec<String>,
    ) -> CoreResult<HashMap<String, crate::ports::CommitInfo>> {
        let repo_id = repo.id.clone();
        let commit = commit.clone();
        self.blocking(move |git| Ok(git.last_commits(&repo_id, &commit, &paths)?)).await
    }

    /// Reads a git blob (regular files, which are bounded by the push and commit limits).
    pub async fn read_git_blob(&self, repo: &Repo, oid: &ObjectId) -> CoreResult<Vec<u8>> {
        let repo_id = repo.id.clone();
        let oid = oid.clone();
        self.blocking(move |git| Ok(git.read_blob(&repo_id, &oid)?)).await
    }

    /// Counts a download if the path is one of the type's query files (hub-api.md appendix).
    pub async fn record_download(&self, repo: &Repo, path: &str) -> CoreResult<()> {
        if self.download_rules.counts(repo.repo_type, path) {
            let day = stoa_types::time::now_unix().div_euclid(86_400);
            self.meta.count_download(&repo.id, day).await?;
        }
        Ok(())
    }

    /// Decides, per file, whether the client sends it inline or as an LFS object.
    pub async fn preupload(
        &self,
        repo: &Repo,
        commit: &ObjectId,
        items: Vec<PreuploadItem>,
        git_ignore: Option<String>,
    ) -> CoreResult<PreuploadOutcome> {
        let repo_id = repo.id.clone();
        let commit_id = commit.clone();
        let paths: Vec<String> = items.iter().map(|item| item.path.clone()).collect();
        let (attributes, ignore, existing) = self
            .blocking(move |git| {
                let read = |name: &str| -> CoreResult<Option<String>> {
                    let path = RepoPath::parse(name).expect("constant path is valid");
                    match git.entry(&repo_id, &commit_id, &path)? {
                        Some(entry) if entry.kind == EntryKind::File && entry.size <= 1024 * 1024 => {
                            Ok(Some(String::from_utf8_lossy(&git.read_blob(&repo_id, &entry.oid)?).into_owned()))
                        }
                        _ => Ok(None),
                    }
                };
                let attributes = read(".gitattributes")?.unwrap_or_default();
                let ignore = match git_ignore {
                    Some(text) => Some(text),
                    None => read(".gitignore")?,
                };
                let mut existing = HashMap::new();
                for text in paths {
                    let Ok(path) = RepoPath::parse(&text) else {
                        continue;
                    };
                    if let Some(entry) = git.entry(&repo_id, &commit_id, &path)?
                        && entry.kind == EntryKind::File
                    {
                        existing.insert(text, upgrade_entry(git, &repo_id, entry)?);
                    }
                }
                Ok((attributes, ignore, existing))
            })
            .await?;
        let lfs_rules = LfsRules::parse(&attributes);
        let ignore_rules = ignore.map(|text| IgnoreRules::parse(&text));
        let mut files = Vec::with_capacity(items.len());
        for item in items {
            RepoPath::parse(&item.path)?;
            let wants_lfs = item.size > 0
                && (lfs_rules.is_lfs(&item.path)
                    || item.size > self.settings.max_git_blob_bytes
                    || sample_is_binary(&item.sample));
            let lfs = wants_lfs;
            let should_ignore = ignore_rules.as_ref().is_some_and(|rules| rules.is_ignored(&item.path));
            let oid = existing.get(&item.path).map(|entry| match &entry.lfs {
                Some(info) if lfs => info.pointer.oid.to_string(),
                _ => entry.oid.to_string(),
            });
            files.push(PreuploadDecision { path: item.path, lfs, should_ignore, oid });
        }
        Ok(PreuploadOutcome { commit: commit.clone(), files })
    }
}

/// The Hub treats a sample with a NUL byte as binary content.
fn sample_is_binary(sample: &str) -> bool {
    base64::engine::general_purpose::STANDARD.decode(sample).is_ok_and(|bytes| bytes.contains(&0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_samples_are_detected() {
        assert!(sample_is_binary("AAEC"));
        assert!(!sample_is_binary("aGVsbG8="));
        assert!(!sample_is_binary("not base64!"));
    }
}
