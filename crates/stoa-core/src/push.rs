//! `git push`: the same rules as an HTTP commit. The pack is added first (objects are harmless
//! until a ref names them); each pushed tip is checked (no large non-LFS file, LFS pointers only
//! to objects this repo may reference); then, under the repo's ref lock, refs move by
//! compare-and-swap with a commit intent, exactly as `create_commit` does, so a push and an API
//! commit racing on one branch never lose an update and the metadata follows at once.

use std::path::PathBuf;

use serde_json::json;
use stoa_types::{RepoPath, RepoType};

use crate::access::Principal;
use crate::cards::{self, TagSources};
use crate::collab::discussions::activity;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::lfs::{LfsPointer, MAX_POINTER_SIZE};
use crate::ports::{CommitIntent, EntryKind, GitError, GitStore, ObjectId, Repo, User};
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
/// Largest README or `config.json` read to derive tags (cards are small; longer ones are
/// Markdown, whose arXiv links this cap may miss).
const MAX_TAG_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

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
        let tip_commit = new.clone();
        let blobs = self.blocking(move |git| Ok(git.new_blobs(&repo_id, &tip_commit, MAX_POINTER_SIZE)?)).await;
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
        if blobs.iter().any(|blob| blob.path == "README.md")
            && let Some(reason) = self.pushed_card_refusal(repo, command.old.as_ref(), &new).await?
        {
            return Ok(Err(reason));
        }
        // Before any ref moves, so that an atomic push is refused as a whole.
        match self.enforce_reject_policy(&repo.id, new.as_str()).await {
            Err(CoreError::CommitRejected(reason)) => return Ok(Err(reason)),
            other => other?,
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
                let tags = if is_default_branch { self.derived_tags_at(repo, new).await? } else { None };
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
        let moved = match self
            .swap_ref(&repo.id, &command.name, command.old.clone(), command.new.clone(), intent.as_ref())
            .await
        {
            Err(CoreError::CommitRejected(reason)) => return Ok(Some(reason)),
            other => other?,
        };
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

    /// The repo's derived tags at `commit` (card, README links and files; see [`tags_at`]).
    pub(crate) async fn derived_tags_at(&self, repo: &Repo, commit: &ObjectId) -> CoreResult<Option<Vec<String>>> {
        let (repo_id, repo_type, commit) = (repo.id.clone(), repo.repo_type, commit.clone());
        self.blocking(move |git| Ok(Some(tags_at(git, &repo_id, repo_type, &commit)?))).await
    }

    /// Why the `README.md` at `new` may not be pushed (HF's pre-receive wording), if it may not.
    /// Only a card the push changes is checked (against the ref's old tip, or `main` for a new
    /// ref), so pushes to a repo whose older card broke a newer rule still go through.
    async fn pushed_card_refusal(
        &self,
        repo: &Repo,
        old: Option<&ObjectId>,
        new: &ObjectId,
    ) -> CoreResult<Option<String>> {
        let (repo_id, old, new) = (repo.id.clone(), old.cloned(), new.clone());
        let readme = self
            .blocking(move |git| {
                let path = RepoPath::parse("README.md").expect("a valid path");
                let Some(entry) = git.entry(&repo_id, &new, &path)? else { return Ok(None) };
                // A baseline that cannot be read counts as a change: the card is then checked.
                let baseline = match old {
                    Some(old) => Some(old),
                    None => git.ref_target(&repo_id, DEFAULT_BRANCH).ok().flatten(),
                };
                let unchanged = baseline
                    .and_then(|baseline| git.entry(&repo_id, &baseline, &path).ok().flatten())
                    .is_some_and(|before| before.oid == entry.oid);
                if unchanged {
                    return Ok(None);
                }
                Ok(Some(git.read_blob(&repo_id, &entry.oid)?))
            })
            .await?;
        let Some(bytes) = readme else { return Ok(None) };
        let refusal = cards::validate_card(&String::from_utf8_lossy(&bytes), repo.repo_type).refusal();
        Ok(refusal.map(|reason| format!("Sorry, your push was rejected during YAML metadata verification: {reason}")))
    }
}

/// The derived tags of a repo at `commit`: its card, the arXiv links of its README, its file
/// list and (models) its root `config.json`. Blocking: runs on the git thread pool.
pub(crate) fn tags_at(
    git: &dyn GitStore,
    repo_id: &str,
    repo_type: RepoType,
    commit: &ObjectId,
) -> CoreResult<Vec<String>> {
    let entries = git.list_tree(repo_id, commit, None, true)?.unwrap_or_default();
    let files: Vec<&str> =
        entries.iter().filter(|entry| entry.kind == EntryKind::File).map(|entry| entry.path.as_str()).collect();
    let read = |name: &str| -> CoreResult<Option<String>> {
        let entry = entries.iter().find(|entry| entry.kind == EntryKind::File && entry.path == name);
        let Some(entry) = entry.filter(|entry| entry.size <= MAX_TAG_SOURCE_BYTES) else { return Ok(None) };
        Ok(Some(String::from_utf8_lossy(&git.read_blob(repo_id, &entry.oid)?).into_owned()))
    };
    let readme = read("README.md")?.unwrap_or_default();
    let config_json = if repo_type == RepoType::Model { read("config.json")? } else { None };
    let card = cards::parse_card_data(&readme).ok().flatten();
    Ok(cards::repo_tags(&TagSources {
        repo_type,
        card: card.as_ref(),
        readme: &readme,
        files: &files,
        config_json: config_json.as_deref(),
    }))
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
