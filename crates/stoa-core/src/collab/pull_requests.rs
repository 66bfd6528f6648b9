//! Pull requests: a discussion with its own ref `refs/pr/<num>`, created at the head of its base
//! branch. Its author (with a write token) and the repo's writers add commits to it through the
//! API or `git push`; a writer merges it, which squashes its changes into one commit on the base
//! branch (`<title> (#<num>)`), or fails with the conflicting files and changes nothing.

use serde_json::json;

use crate::access::Principal;
use crate::collab::discussions::{DiscussionDetails, activity, check_title, comment_event, now_millis};
use crate::collab::store::{
    Discussion, DiscussionFilter, DiscussionStatus, DiscussionUpdate, NewDiscussion, NewEvent, PullRequestEvent,
};
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{MergeOutcome, ObjectId, Repo, StoreError, User};
use crate::ref_update::intent_for_existing_objects;
use crate::repos::signature_of;
use crate::tokens::new_object_id;

/// Numbers tried when discussions opened at the same moment take the one a PR meant to use.
const PR_NUMBER_ATTEMPTS: usize = 8;

/// Longest PR diff returned with the details.
const MAX_DIFF_BYTES: usize = 1024 * 1024;

/// The PR number of `refs/pr/<num>`.
#[must_use]
pub fn pr_number(ref_name: &str) -> Option<u64> {
    ref_name.strip_prefix("refs/pr/").and_then(|number| number.parse().ok())
}

impl Hub {
    /// Opens a pull request against `base` (a branch; default `main`) and creates its ref. Pull
    /// requests opened empty through the API start as drafts; those opened by a commit start open.
    pub async fn create_pull_request(
        &self,
        principal: &Principal,
        repo: &Repo,
        title: &str,
        description: &str,
        base: Option<&str>,
        status: DiscussionStatus,
    ) -> CoreResult<Discussion> {
        let user = self.check_participate(principal, repo)?.clone();
        let base = base.unwrap_or("main");
        let resolved = self.resolve_revision(repo, base).await?;
        let base_ref = match resolved.branch_ref {
            Some(name) if name.starts_with("refs/heads/") => name,
            _ => return Err(CoreError::bad_request(format!("A pull request must target a branch, not '{base}'"))),
        };
        let title = check_title(title)?;
        let first = (!description.trim().is_empty()).then(|| comment_event(&user, description));
        let new = NewDiscussion {
            repo_id: repo.id.clone(),
            is_pull_request: true,
            title: title.clone(),
            status,
            author_user_id: user.id.clone(),
            created_at: now_millis(),
            base_ref: Some(base_ref.clone()),
        };
        let entry = activity(repo, &user, "pr-opened", json!({"title": title}));
        // The ref comes first, the row second: a crash in between leaves a `refs/pr/<num>` that no
        // pull request owns (the next one with that number takes it over), never a pull request
        // without its ref. PR creations serialise on the ref lock; a discussion taking the number
        // meanwhile makes the row insert fail, and the ref is dropped and the next number tried.
        let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
        let created = async {
            let head = self.ref_head(repo, &base_ref).await?;
            for _ in 0..PR_NUMBER_ATTEMPTS {
                let num = self.meta.next_discussion_number(&repo.id).await?;
                let pr_ref = format!("refs/pr/{num}");
                let leftover = {
                    let (repo_id, name) = (repo.id.clone(), pr_ref.clone());
                    self.blocking(move |git| Ok(git.ref_target(&repo_id, &name)?)).await?
                };
                if !self.swap_ref(&repo.id, &pr_ref, leftover, Some(head.clone()), None).await? {
                    return Err(CoreError::Conflict("The repository changed meanwhile; please try again".to_owned()));
                }
                match self.meta.create_numbered_discussion(&new, num, first.as_ref(), &entry).await {
                    Ok(()) => return Ok(num),
                    Err(error) => {
                        self.swap_ref(&repo.id, &pr_ref, Some(head.clone()), None, None).await?;
                        if !matches!(error, StoreError::AlreadyExists) {
                            return Err(error.into());
                        }
                    }
                }
            }
            Err(CoreError::Conflict("Too many discussions opened at once; please try again".to_owned()))
        }
        .await;
        ref_lock.release().await;
        let num = created?;
        tracing::info!(repo.id = %repo.full_name(), pr = num, "pull request opened");
        self.find_discussion(repo, num).await
    }

    pub(crate) async fn ref_head(&self, repo: &Repo, ref_name: &str) -> CoreResult<ObjectId> {
        let (repo_id, name) = (repo.id.clone(), ref_name.to_owned());
        self.blocking(move |git| Ok(git.ref_target(&repo_id, &name)?))
            .await?
            .ok_or_else(|| CoreError::RevisionNotFound(ref_name.to_owned()))
    }

    /// Whether the caller may add commits to `ref_name`: a writer of the repo, or for
    /// `refs/pr/<num>` the author of that open pull request (with a write token).
    pub async fn check_ref_write(&self, principal: &Principal, repo: &Repo, ref_name: &str) -> CoreResult<()> {
        let denied = match principal.check_write(repo) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        let Some(num) = pr_number(ref_name) else { return Err(denied) };
        let Some(user) = principal.user() else { return Err(denied) };
        match self.meta.discussion(&repo.id, num).await? {
            Some(pr) if pr.is_pull_request && pr.author_user_id == user.id && pr.status.is_open() => {
                principal.check_token_writes(Some(repo)).map(|_| ())
            }
            _ => Err(denied),
        }
    }

    /// Whether the caller may open a push at all: a writer, or the author of an open pull
    /// request of the repo (whose pushes are then checked ref by ref).
    pub async fn check_may_push(&self, principal: &Principal, repo: &Repo) -> CoreResult<()> {
        let denied = match principal.check_write(repo) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        let user = principal.check_token_writes(Some(repo))?;
        let filter = DiscussionFilter {
            pull_requests: Some(true),
            open: Some(true),
            author_user_id: Some(user.id.clone()),
            offset: 0,
            limit: 1,
        };
        let (open_prs, _) = self.meta.list_discussions(&repo.id, &filter).await?;
        if open_prs.is_empty() { Err(denied) } else { Ok(()) }
    }

    /// The `commit` event of a commit to `refs/pr/<num>` (none for other refs).
    pub(crate) fn pull_request_commit_event(
        ref_name: &str,
        author: &User,
        commit: &ObjectId,
        subject: &str,
    ) -> Option<PullRequestEvent> {
        let num = pr_number(ref_name)?;
        let event = NewEvent {
            id: new_object_id(),
            kind: "commit".to_owned(),
            author_user_id: author.id.clone(),
            created_at: now_millis(),
            data: json!({"subject": subject, "oid": commit.as_str()}),
        };
        Some(PullRequestEvent { num, event })
    }

    /// Squash-merges a pull request into its base branch.
    pub async fn merge_pull_request(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        comment: Option<&str>,
    ) -> CoreResult<()> {
        principal.check_write(repo)?;
        let user = principal.user().expect("writers are signed in").clone();
        let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
        let merged = self.merge_locked(repo, num, &user, comment).await;
        ref_lock.release().await;
        merged
    }

    async fn merge_locked(&self, repo: &Repo, num: u64, user: &User, comment: Option<&str>) -> CoreResult<()> {
        // Read under the ref lock: two merges of one PR run one after the other, and the second
        // finds it merged.
        let pr = self.find_discussion(repo, num).await?;
        if !pr.is_pull_request {
            return Err(CoreError::bad_request(format!("#{num} is a discussion, not a pull request")));
        }
        if !pr.status.is_open() {
            return Err(CoreError::bad_request(format!(
                "This pull request is {} and cannot be merged",
                pr.status.as_str()
            )));
        }
        let base_ref = pr.base_ref.clone().unwrap_or_else(|| "refs/heads/main".to_owned());
        let base_head = self.ref_head(repo, &base_ref).await?;
        let pr_head = self.ref_head(repo, &format!("refs/pr/{num}")).await?;
        let (repo_id, ours, theirs) = (repo.id.clone(), base_head.clone(), pr_head.clone());
        let outcome = self.blocking(move |git| Ok(git.merge_trees(&repo_id, &ours, &theirs)?)).await?;
        let tree = match outcome {
            MergeOutcome::Clean { tree } => tree,
            MergeOutcome::Conflicts { paths } => {
                return Err(CoreError::Conflict(format!(
                    "This pull request has conflicts with {}: {}",
                    base_ref.trim_start_matches("refs/heads/"),
                    paths.join(", ")
                )));
            }
        };
        let author = self.meta.user_by_id(&pr.author_user_id).await?.unwrap_or_else(|| user.clone());
        let message = format!("{} (#{num})", pr.title);
        let signature = signature_of(&author, stoa_types::time::now_unix());
        let (repo_id, parent) = (repo.id.clone(), base_head.clone());
        let merge_commit =
            self.blocking(move |git| Ok(git.commit_of_tree(&repo_id, &tree, &[parent], &signature, &message)?)).await?;
        let is_default_branch = base_ref == "refs/heads/main";
        let tags = if is_default_branch { self.derived_tags_at(repo, &merge_commit).await? } else { None };
        // The PR's commits already linked their objects to the repo.
        let entry =
            activity(repo, user, "commit", json!({"oid": merge_commit.as_str(), "title": pr.title, "ref": base_ref}));
        let intent = intent_for_existing_objects(&repo.id, &base_ref, &merge_commit, tags, entry);
        if !self.swap_ref(&repo.id, &base_ref, Some(base_head), Some(merge_commit.clone()), Some(&intent)).await? {
            return Err(CoreError::Conflict("The base branch moved meanwhile; please try again".to_owned()));
        }
        if let Some(text) = comment.filter(|text| !text.trim().is_empty()) {
            self.append_event(repo, num, user, comment_event(user, text), &DiscussionUpdate::default(), None).await?;
        }
        let event = crate::collab::discussions::status_event(user, DiscussionStatus::Merged);
        let update = DiscussionUpdate {
            status: Some(DiscussionStatus::Merged),
            merge_commit: Some(merge_commit.to_string()),
            expected_status: Some(pr.status),
            ..DiscussionUpdate::default()
        };
        let entry = activity(repo, user, "pr-merged", json!({"num": num, "oid": merge_commit.as_str()}));
        self.append_event(repo, num, user, event, &update, Some(&entry)).await?;
        tracing::info!(repo.id = %repo.full_name(), pr = num, commit = %merge_commit, "pull request merged");
        Ok(())
    }

    /// The diff of a pull request against where it forked from its base, and the files that
    /// would conflict on merge.
    pub(crate) async fn fill_pull_request_details(
        &self,
        repo: &Repo,
        details: &mut DiscussionDetails,
        with_diff: bool,
    ) -> CoreResult<()> {
        let num = details.discussion.num;
        let base_ref = details.discussion.base_ref.clone().unwrap_or_else(|| "refs/heads/main".to_owned());
        let (Ok(base_head), Ok(pr_head)) =
            (self.ref_head(repo, &base_ref).await, self.ref_head(repo, &format!("refs/pr/{num}")).await)
        else {
            return Ok(());
        };
        let open = details.discussion.status.is_open();
        let repo_id = repo.id.clone();
        let (diff, conflicts) = self
            .blocking(move |git| {
                let fork = git.merge_base(&repo_id, &base_head, &pr_head)?.unwrap_or(base_head.clone());
                let diff =
                    if with_diff { Some(git.unified_diff(&repo_id, &fork, &pr_head, MAX_DIFF_BYTES)?) } else { None };
                let conflicts = match open.then(|| git.merge_trees(&repo_id, &base_head, &pr_head)).transpose()? {
                    Some(MergeOutcome::Conflicts { paths }) => paths,
                    _ => Vec::new(),
                };
                Ok((diff, conflicts))
            })
            .await?;
        details.diff = diff;
        details.conflicting_files = conflicts;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::pr_number;

    #[test]
    fn pr_numbers_come_from_pr_refs_only() {
        assert_eq!(pr_number("refs/pr/12"), Some(12));
        assert_eq!(pr_number("refs/pr/x"), None);
        assert_eq!(pr_number("refs/heads/pr/1"), None);
    }
}
