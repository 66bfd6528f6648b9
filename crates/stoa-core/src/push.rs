//! `git push`: the same rules as an HTTP commit. The pack is added first (objects are harmless
//! until a ref names them); each pushed tip is checked (no large non-LFS file, LFS pointers only
//! to objects this repo may reference); then, under the repo's ref lock, refs move by
//! compare-and-swap with a commit intent, exactly as `create_commit` does, so a push and an API
//! commit racing on one branch never lose an update and the metadata follows at once.

use std::path::PathBuf;

use serde_json::json;

use crate::access::Principal;
use crate::collab::discussions::activity;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::lfs::{LfsPointer, MAX_POINTER_SIZE};
use crate::ports::{CommitIntent, GitError, ObjectId, Repo, User};
use crate::tokens::new_object_id;

/// One ref update asked for by the client; `None` means "absent" (create or delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefCommand {
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
    pub name: String,
}

/// What happened to each ref, in the order asked: `None` is success, else the reason shown to
/// the user (`! [remote rejected] ... (reason)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// `Err` when the pack itself could not be used.
    pub unpack: Result<(), String>,
    pub refs: Vec<(String, Option<String>)>,
}

const DEFAULT_BRANCH: &str = "refs/heads/main";

fn pushable(name: &str) -> bool {
    let pr = name.strip_prefix("refs/pr/").is_some_and(|number| number.parse::<u32>().is_ok());
    let named = |prefix: &str| name.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty());
    pr || named("refs/heads/") || named("refs/tags/")
}

/// What a pushed tip brings, once checked.
struct CheckedTip {
    lfs_oids: Vec<String>,
    xet_files: Vec<(String, String)>,
}

impl Hub {
    /// Applies a push. `pack` is the received pack file (absent when only deleting refs).
    /// Writers may push any branch, tag or PR ref; the author of an open pull request may push
    /// to its `refs/pr/<num>` (and nothing else).
    pub async fn receive_push(
        &self,
        principal: &Principal,
        repo: &Repo,
        commands: Vec<RefCommand>,
        pack: Option<PathBuf>,
        atomic: bool,
    ) -> CoreResult<PushReport> {
        if commands.is_empty() {
            principal.check_write(repo)?;
        }
        for command in &commands {
            if command.new.is_none() {
                principal.check_write(repo)?;
            }
            self.check_ref_write(principal, repo, &command.name).await?;
        }
        let user = principal.user().expect("pushers are signed in").clone();
        if let Some(pack) = pack {
            let repo_id = repo.id.clone();
            let ingested = self.blocking(move |git| Ok(git.ingest_pack(&repo_id, &pack))).await?;
            if let Err(error) = ingested {
                let reason = format!("unpacker error: {error}");
                tracing::warn!(repo.id = %repo.full_name(), error = %error, "push refused: bad pack");
                return Ok(PushReport { unpack: Err(reason), refs: reject_all(&commands, "unpacker error") });
            }
        }
        let mut checked = Vec::with_capacity(commands.len());
        for command in &commands {
            checked.push(self.check_command(repo, command).await?);
        }
        if atomic && checked.iter().any(Result::is_err) {
            let refs = commands
                .iter()
                .zip(&checked)
                .map(|(command, check)| {
                    let reason = check.as_ref().err().cloned().unwrap_or_else(|| "atomic push failed".to_owned());
                    (command.name.clone(), Some(reason))
                })
                .collect();
            return Ok(PushReport { unpack: Ok(()), refs });
        }
        let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
        let outcome = self.move_refs(repo, &user, &commands, checked, atomic).await;
        ref_lock.release().await;
        Ok(PushReport { unpack: Ok(()), refs: outcome? })
    }

    /// The rules of one command, before any ref moves; `Err` carries the rejection reason.
    async fn check_command(&self, repo: &Repo, command: &RefCommand) -> CoreResult<Result<CheckedTip, String>> {
        if !pushable(&command.name) {
            return Ok(Err("only branches, tags and refs/pr/N can be pushed".to_owned()));
        }
        let Some(new) = command.new.clone() else {
            if command.name == DEFAULT_BRANCH {
                return Ok(Err("refusing to delete the default branch".to_owned()));
            }
            return Ok(Ok(CheckedTip { lfs_oids: Vec::new(), xet_files: Vec::new() }));
        };
        let limit = self.settings.max_git_blob_bytes;
        let repo_id = repo.id.clone();
        let blobs = self.blocking(move |git| Ok(git.new_blobs(&repo_id, &new, MAX_POINTER_SIZE)?)).await;
        let blobs = match blobs {
            Ok(blobs) => blobs,
            Err(CoreError::Git(GitError::Backend(error))) => return Ok(Err(format!("missing objects: {error}"))),
            Err(other) => return Err(other),
        };
        if let Some(large) = blobs.iter().find(|blob| blob.size > limit) {
            return Ok(Err(format!(
                "Your push was rejected because it contains files larger than {limit} bytes ({}: {} bytes). \
                 Please use https://git-lfs.github.com/ to store large files.",
                large.path, large.size
            )));
        }
        let mut tip = CheckedTip { lfs_oids: Vec::new(), xet_files: Vec::new() };
        for pointer in blobs.iter().filter_map(|blob| blob.content.as_deref().and_then(LfsPointer::parse)) {
            let oid = pointer.oid.as_str().to_owned();
            if let Some((xet, _)) = self.meta.xet_file_for_sha256(&repo.id, &oid).await? {
                tip.xet_files.push((oid.clone(), xet.hex()));
            } else if !self.meta.repo_may_reference_lfs(&repo.id, &pointer.oid).await? {
                return Ok(Err(format!("LFS object {oid} was not uploaded to this repo (run `git lfs push`)")));
            }
            tip.lfs_oids.push(oid);
        }
        Ok(Ok(tip))
    }

    /// Moves the refs under the repo's ref lock; each branch update carries a commit intent.
    async fn move_refs(
        &self,
        repo: &Repo,
        user: &User,
        commands: &[RefCommand],
        checked: Vec<Result<CheckedTip, String>>,
        atomic: bool,
    ) -> CoreResult<Vec<(String, Option<String>)>> {
        if atomic {
            // Under the lock no other writer moves refs: checking every old value first makes
            // the whole push apply or not at all.
            for command in commands {
                let (repo_id, name) = (repo.id.clone(), command.name.clone());
                let current = self.blocking(move |git| Ok(git.ref_target(&repo_id, &name)?)).await?;
                if current != command.old {
                    return Ok(reject_all(commands, "atomic push failed: a ref moved meanwhile"));
                }
            }
        }
        let mut report = Vec::with_capacity(commands.len());
        for (command, check) in commands.iter().zip(checked) {
            let outcome = match check {
                Err(reason) => Some(reason),
                Ok(tip) => self.move_ref(repo, user, command, tip).await?,
            };
            report.push((command.name.clone(), outcome));
        }
        Ok(report)
    }

    async fn move_ref(
        &self,
        repo: &Repo,
        user: &User,
        command: &RefCommand,
        tip: CheckedTip,
    ) -> CoreResult<Option<String>> {
        let is_branch = command.name.starts_with("refs/heads/") || command.name.starts_with("refs/pr/");
        let intent = match (&command.new, is_branch) {
            (Some(new), true) => {
                let is_default_branch = command.name == DEFAULT_BRANCH;
                let tags = if is_default_branch { self.readme_tags_at(repo, new).await? } else { None };
                let pr_event = match crate::collab::pull_requests::pr_number(&command.name) {
                    Some(_) => {
                        let (repo_id, commit) = (repo.id.clone(), new.clone());
                        let info = self.blocking(move |git| Ok(git.commit_info(&repo_id, &commit)?)).await?;
                        Self::pull_request_commit_event(&command.name, user, new, &info.title)
                    }
                    None => None,
                };
                Some(CommitIntent {
                    id: new_object_id(),
                    repo_id: repo.id.clone(),
                    ref_name: command.name.clone(),
                    new_commit: new.to_string(),
                    lfs_oids: tip.lfs_oids,
                    committed_at: stoa_types::time::now_unix(),
                    is_default_branch,
                    tags,
                    xet_files: tip.xet_files,
                    pr_event,
                    activity: Some(activity(
                        repo,
                        user,
                        "commit",
                        json!({"oid": new.as_str(), "ref": command.name, "via": "git"}),
                    )),
                })
            }
            _ => None,
        };
        let moved =
            self.swap_ref(&repo.id, &command.name, command.old.clone(), command.new.clone(), intent.as_ref()).await?;
        if !moved {
            return Ok(Some("stale info: the ref moved meanwhile (fetch first)".to_owned()));
        }
        tracing::info!(repo.id = %repo.full_name(), r#ref = %command.name, "push applied");
        Ok(None)
    }

    /// The repo's directory for git's own protocol (fetches are served by `git upload-pack`).
    pub async fn git_transport_dir(&self, repo: &Repo) -> CoreResult<PathBuf> {
        let repo_id = repo.id.clone();
        self.blocking(move |git| Ok(git.transport_dir(&repo_id)?)).await
    }

    /// Branches, tags, PR refs and conversions, as git stores them.
    pub async fn git_refs(&self, repo: &Repo) -> CoreResult<Vec<crate::ports::GitRef>> {
        let repo_id = repo.id.clone();
        self.blocking(move |git| Ok(git.list_refs(&repo_id)?)).await
    }

    /// Tags of the README card at `commit` (an empty list without a README).
    pub(crate) async fn readme_tags_at(&self, repo: &Repo, commit: &ObjectId) -> CoreResult<Option<Vec<String>>> {
        let (repo_id, commit) = (repo.id.clone(), commit.clone());
        self.blocking(move |git| {
            let readme = stoa_types::RepoPath::parse("README.md").expect("a valid path");
            let Some(entry) = git.entry(&repo_id, &commit, &readme)? else { return Ok(Some(Vec::new())) };
            let bytes = git.read_blob(&repo_id, &entry.oid)?;
            Ok(Some(crate::commit::readme_tags(&bytes)))
        })
        .await
    }
}

fn reject_all(commands: &[RefCommand], reason: &str) -> Vec<(String, Option<String>)> {
    commands.iter().map(|command| (command.name.clone(), Some(reason.to_owned()))).collect()
}

#[cfg(test)]
mod tests {
    use super::pushable;

    #[test]
    fn only_branches_tags_and_pr_refs_are_pushable() {
        assert!(pushable("refs/heads/main"));
        assert!(pushable("refs/heads/feature/x"));
        assert!(pushable("refs/tags/v1"));
        assert!(pushable("refs/pr/3"));
        assert!(!pushable("refs/pr/x"));
        assert!(!pushable("refs/heads/"));
        assert!(!pushable("refs/notes/commits"));
        assert!(!pushable("HEAD"));
    }
}
