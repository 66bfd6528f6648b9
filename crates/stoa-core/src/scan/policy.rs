//! What happens to dangerous and to unscannable files: per instance, overridden per namespace
//! (an organisation or a user). `warn` lists them; `quarantine` lets the commit land but holds
//! the files back from download until an administrator releases them; `reject` refuses the
//! commit before its ref moves.

use super::store::StoredPolicy;
use super::summary::CommitSummary;
use super::{FileStatus, content_key};
use crate::error::{CoreError, CoreResult};
use crate::files::FileEntry;
use crate::hub::Hub;
use crate::ports::Repo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    #[default]
    Warn,
    Quarantine,
    Reject,
}

impl Action {
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "warn" => Some(Self::Warn),
            "quarantine" => Some(Self::Quarantine),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanPolicy {
    /// For files with a dangerous import, or found by the antivirus.
    pub dangerous: Action,
    /// For pickle-bearing files the scanner could not follow.
    pub unscannable: Action,
}

impl ScanPolicy {
    /// The action a file's verdict calls for.
    #[must_use]
    pub fn action_for(self, status: FileStatus) -> Action {
        match status {
            FileStatus::Unsafe | FileStatus::Infected => self.dangerous,
            FileStatus::Unscannable => self.unscannable,
            FileStatus::Safe | FileStatus::Suspicious => Action::Warn,
        }
    }

    fn from_stored(stored: &StoredPolicy) -> Option<Self> {
        Some(Self { dangerous: Action::parse(&stored.dangerous)?, unscannable: Action::parse(&stored.unscannable)? })
    }
}

/// Why a file is held back or refused, for people to read.
fn reason(status: FileStatus, path: &str) -> String {
    match status {
        FileStatus::Infected => format!("{path} was found by the antivirus"),
        FileStatus::Unscannable => format!("{path} holds pickled data that could not be scanned"),
        _ => format!("{path} imports code that runs when it is loaded"),
    }
}

impl Hub {
    /// The policy of a namespace: its own, else the instance's.
    pub async fn scan_policy(&self, namespace: &str) -> CoreResult<ScanPolicy> {
        let stored = self.meta.scan_policy(namespace).await?;
        Ok(stored.as_ref().and_then(ScanPolicy::from_stored).unwrap_or(self.settings.scan_policy))
    }

    /// Sets a namespace's policy (operators, through `stoa admin`).
    pub async fn set_scan_policy(&self, namespace: &str, policy: ScanPolicy) -> CoreResult<()> {
        if self.meta.org_by_name(namespace).await?.is_none() && self.meta.user_by_name(namespace).await?.is_none() {
            return Err(CoreError::NotFound(format!("no organization or user called {namespace}")));
        }
        let stored = StoredPolicy {
            dangerous: policy.dangerous.as_str().to_owned(),
            unscannable: policy.unscannable.as_str().to_owned(),
        };
        Ok(self.meta.set_scan_policy(namespace, &stored).await?)
    }

    /// Holds back the files of a scanned commit that the policy quarantines.
    pub(crate) async fn quarantine_files(
        &self,
        repo: &Repo,
        policy: ScanPolicy,
        summary: &CommitSummary,
    ) -> CoreResult<()> {
        for file in &summary.files {
            if policy.action_for(file.status) == Action::Quarantine {
                let why = reason(file.status, &file.path);
                self.meta
                    .quarantine_file(&repo.id, &file.content_key, &file.path, &why, stoa_types::time::now_unix())
                    .await?;
                tracing::warn!(repo = %repo.full_name(), path = %file.path, "file quarantined");
            }
        }
        Ok(())
    }

    /// The refusal of a commit whose files the policy rejects, naming them and their imports.
    pub(crate) fn rejection(
        policy: ScanPolicy,
        summary: &CommitSummary,
        details: &[(String, String)],
    ) -> Option<CoreError> {
        let rejected: Vec<String> = summary
            .files
            .iter()
            .filter(|file| policy.action_for(file.status) == Action::Reject)
            .map(|file| {
                let detail = details.iter().find(|(path, _)| *path == file.path).map(|(_, detail)| detail.as_str());
                match detail {
                    Some(detail) if !detail.is_empty() => format!("{} ({detail})", reason(file.status, &file.path)),
                    _ => reason(file.status, &file.path),
                }
            })
            .collect();
        (!rejected.is_empty()).then(|| {
            CoreError::CommitRejected(format!("Commit rejected by the scanning policy: {}", rejected.join("; ")))
        })
    }

    /// Refuses the download of a quarantined file.
    pub async fn check_not_quarantined(&self, repo: &Repo, file: &FileEntry) -> CoreResult<()> {
        match self.meta.quarantined(&repo.id, &content_key(file)).await? {
            Some(hold) => Err(CoreError::FileQuarantined(format!(
                "{} is quarantined: {}. An administrator must release it before it can be downloaded.",
                file.path, hold.reason
            ))),
            None => Ok(()),
        }
    }

    /// Releases a quarantined path of a repo; `false` when nothing was held.
    pub async fn release_quarantine(&self, repo: &Repo, path: &str) -> CoreResult<bool> {
        let released = self.meta.release_quarantine(&repo.id, path, stoa_types::time::now_unix()).await?;
        if released {
            tracing::info!(repo = %repo.full_name(), path, "quarantine released");
        }
        Ok(released)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_verdict() {
        let policy = ScanPolicy { dangerous: Action::Reject, unscannable: Action::Quarantine };
        assert_eq!(policy.action_for(FileStatus::Unsafe), Action::Reject);
        assert_eq!(policy.action_for(FileStatus::Infected), Action::Reject);
        assert_eq!(policy.action_for(FileStatus::Unscannable), Action::Quarantine);
        assert_eq!(policy.action_for(FileStatus::Suspicious), Action::Warn);
        assert_eq!(ScanPolicy::default().action_for(FileStatus::Unsafe), Action::Warn);
    }

    #[test]
    fn stored_policies_with_unknown_names_fall_back() {
        let odd = StoredPolicy { dangerous: "explode".to_owned(), unscannable: "warn".to_owned() };
        assert_eq!(ScanPolicy::from_stored(&odd), None);
    }
}
