//! The scanning part of the metadata store. Reports travel as JSON text: the store keeps them,
//! only the domain reads them.

use async_trait::async_trait;

use crate::ports::StoreError;

/// A cached verdict on one file content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFileScan {
    pub scanner_version: i64,
    pub status: String,
    pub report: String,
}

/// A file held back from download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    pub path: String,
    pub reason: String,
    pub created_at: i64,
}

/// What a namespace does with dangerous and with unscannable files (`warn`, `quarantine`,
/// `reject`), stored as the policy's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub dangerous: String,
    pub unscannable: String,
}

#[async_trait]
pub trait ScanStore: Send + Sync {
    async fn file_scans(&self, content_keys: &[String]) -> Result<Vec<(String, StoredFileScan)>, StoreError>;
    /// Inserts or replaces the verdict on a content.
    async fn put_file_scan(&self, content_key: &str, scan: &StoredFileScan, now: i64) -> Result<(), StoreError>;
    async fn commit_scan(&self, repo_id: &str, commit: &str) -> Result<Option<String>, StoreError>;
    async fn put_commit_scan(&self, repo_id: &str, commit: &str, summary: &str, now: i64) -> Result<(), StoreError>;
    /// Holds a content of a repo back (a no-op when it already is, or was released).
    async fn quarantine_file(
        &self,
        repo_id: &str,
        content_key: &str,
        path: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The hold on a content of a repo, unless released.
    async fn quarantined(&self, repo_id: &str, content_key: &str) -> Result<Option<Quarantine>, StoreError>;
    /// The hold on the content a committed Xet file of the repo stands for, unless released
    /// (Xet clients download by file hash, not by path).
    async fn quarantined_xet_file(&self, repo_id: &str, file_hash: &str) -> Result<Option<Quarantine>, StoreError>;
    /// Releases every hold of a repo on files at `path`; `false` when none was held.
    async fn release_quarantine(&self, repo_id: &str, path: &str, now: i64) -> Result<bool, StoreError>;
    async fn scan_policy(&self, namespace: &str) -> Result<Option<StoredPolicy>, StoreError>;
    async fn set_scan_policy(&self, namespace: &str, policy: &StoredPolicy) -> Result<(), StoreError>;
}
