//! Scanning what people upload (issue 8): every commit that lands queues a `scan-commit` job in
//! the same transaction as its ref's metadata ([`crate::ref_update`]); the job reads each file
//! of the commit once per content and scanner version ([`analyse`]), keeps a verdict per file,
//! sums safetensors parameters and reads GGUF headers ([`summary`]), and applies the
//! namespace's policy ([`policy`]).

pub mod analyse;
mod job;
pub mod policy;
mod read;
pub mod store;
pub mod summary;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::coordination::NewJob;
use crate::formats::pickle::Safety;

pub use job::CommitScanState;

/// Bumped whenever a rule changes what a verdict would be: cached verdicts of older versions
/// are recomputed on the next scan of a commit that holds the file.
pub const SCANNER_VERSION: i64 = 1;

/// The job kind that scans one commit.
pub const SCAN_COMMIT: &str = "scan-commit";

/// Commits scanned per ref move: a push of more is scanned at its newest commits only.
pub const MAX_NEW_COMMITS: usize = 100;

/// The job scanning `commit` of a repo and the commits it brings since `since` (the ref's
/// previous target), deduplicated per commit.
#[must_use]
pub fn scan_commit_job(repo_id: &str, commit: &str, since: Option<&str>) -> NewJob {
    NewJob {
        kind: SCAN_COMMIT.to_owned(),
        payload: serde_json::json!({"repo_id": repo_id, "commit": commit, "since": since}).to_string(),
        dedup_key: Some(format!("{repo_id}:{commit}")),
        run_at: stoa_types::time::now_unix(),
    }
}

/// An antivirus (ClamAV's clamd, configured by the operator).
#[async_trait::async_trait]
pub trait VirusScanner: Send + Sync + std::fmt::Debug {
    /// The names of what was found; empty when clean.
    async fn scan(&self, bytes: Vec<u8>) -> Result<Vec<String>, String>;
    /// Files above this are not sent (clamd refuses streams over its `StreamMaxLength`).
    fn max_bytes(&self) -> u64;
}

/// A file's verdict, worst last. The names are the Hub's `securityFileStatus.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Safe,
    Suspicious,
    /// A file that should hold pickles but could not be followed: never reported safe.
    Unscannable,
    /// A dangerous import (code runs when the file is loaded).
    Unsafe,
    /// Found by the antivirus.
    Infected,
}

impl FileStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Safe => "safe",
            Self::Suspicious => "suspicious",
            Self::Unscannable => "unscannable",
            Self::Unsafe => "unsafe",
            Self::Infected => "infected",
        }
    }

    /// The `level` of `securityRepoStatus.filesWithIssues`.
    #[must_use]
    pub fn issue_level(self) -> Option<&'static str> {
        match self {
            Self::Safe => None,
            Self::Suspicious => Some("suspicious"),
            Self::Unscannable => Some("unscannable"),
            Self::Unsafe => Some("dangerous"),
            Self::Infected => Some("infected"),
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Safe, Self::Suspicious, Self::Unscannable, Self::Unsafe, Self::Infected]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// How an import is classed, in the Hub's words (`innocuous`, `suspicious`, `dangerous`).
#[must_use]
pub fn safety_name(safety: Safety) -> &'static str {
    match safety {
        Safety::Safe => "innocuous",
        Safety::Suspicious => "suspicious",
        Safety::Dangerous => "dangerous",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub module: String,
    pub name: String,
    pub safety: String,
    pub called: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickleReport {
    /// `innocuous`, `suspicious` or `dangerous`.
    pub highest: String,
    pub imports: Vec<ImportReport>,
    pub unscannable: Option<String>,
    /// TorchScript sources inside an archive (run by the TorchScript runtime when loaded).
    #[serde(default)]
    pub code_files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvReport {
    pub virus_found: bool,
    pub virus_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetensorsReport {
    /// Elements per dtype.
    pub parameters: BTreeMap<String, u64>,
    pub tensor_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GgufReport {
    pub architecture: Option<String>,
    pub context_length: Option<i64>,
    pub quantization: Option<String>,
    pub parameters: u64,
    pub tensor_count: u64,
    pub suspicious_chat_template: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretReport {
    pub kind: String,
    pub line: usize,
    pub redacted: String,
}

/// Everything learnt about one file content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FileReport {
    pub format: Option<String>,
    pub pickle: Option<PickleReport>,
    pub av: Option<AvReport>,
    pub safetensors: Option<SafetensorsReport>,
    pub gguf: Option<GgufReport>,
    /// Shown to the repo's writers only.
    pub secrets: Vec<SecretReport>,
    /// Why a part of the file was not analysed or was found malformed.
    pub notes: Vec<String>,
}

impl FileReport {
    /// The verdict: the antivirus first, then the pickle imports, then malformed metadata.
    #[must_use]
    pub fn status(&self) -> FileStatus {
        if self.av.as_ref().is_some_and(|av| av.virus_found) {
            return FileStatus::Infected;
        }
        let mut status = FileStatus::Safe;
        if let Some(pickle) = &self.pickle {
            status = match pickle.highest.as_str() {
                "dangerous" => FileStatus::Unsafe,
                _ if pickle.unscannable.is_some() => FileStatus::Unscannable,
                "suspicious" => FileStatus::Suspicious,
                _ => FileStatus::Safe,
            };
        }
        if status == FileStatus::Safe && self.gguf.as_ref().is_some_and(|gguf| gguf.suspicious_chat_template) {
            status = FileStatus::Suspicious;
        }
        status
    }
}

/// The content key of a file: its LFS SHA-256, or its git blob id.
#[must_use]
pub fn content_key(file: &crate::files::FileEntry) -> String {
    match &file.lfs {
        Some(info) => lfs_content_key(info.pointer.oid.as_str()),
        None => git_content_key(&file.oid.to_string()),
    }
}

/// The content key of an LFS object (the SQL of `quarantined_xet_file` builds the same).
#[must_use]
pub fn lfs_content_key(sha256: &str) -> String {
    format!("lfs:{sha256}")
}

/// The content key of a file stored as a git blob.
#[must_use]
pub fn git_content_key(blob_id: &str) -> String {
    format!("git:{blob_id}")
}
