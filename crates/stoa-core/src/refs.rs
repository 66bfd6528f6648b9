//! Refs and history through the Hub API: `list_repo_refs`, `list_repo_commits`,
//! `create_branch`, `delete_branch`, `create_tag` and `delete_tag`. Ref updates take the repo's
//! ref lock like commits and pushes, so they all serialise.

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{CommitInfo, GitRef, ObjectId, Repo};

/// Refs grouped as the Hub lists them.
#[derive(Debug, Clone, Default)]
pub struct RefListing {
    pub branches: Vec<GitRef>,
    pub tags: Vec<GitRef>,
    pub converts: Vec<GitRef>,
    pub pull_requests: Vec<GitRef>,
}

/// One page of a commit log, newest first.
#[derive(Debug, Clone)]
pub struct CommitPage {
    pub commits: Vec<CommitInfo>,
    pub has_more: bool,
}

const DEFAULT_BRANCH: &str = "main";

/// Where a new branch starts.
#[derive(Debug, Clone, Copy)]
pub enum BranchStart<'a> {
    /// At a revision (`None`: the head of `main`).
    Revision(Option<&'a str>),
    /// On a commit of its own with no files and no parent (`emptyBranch`).
    Empty,
}

/// A branch name as git accepts it (`git check-ref-format`), outside the reserved namespaces.
fn valid_branch(name: &str) -> bool {
    let component_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && !part.ends_with(".lock")
            && !part.contains("..")
            && !part.contains("@{")
            && part.chars().all(|c| !c.is_control() && !" ~^:?*[\\".contains(c))
    };
    !name.starts_with("refs/") && !name.ends_with('.') && name != "@" && name.split('/').all(component_ok)
}

impl Hub {
    pub async fn list_refs(&self, principal: &Principal, repo: &Repo) -> CoreResult<RefListing> {
        principal.check_read(repo)?;
        let refs = self.git_refs(repo).await?;
        let mut listing = RefListing::default();
        for git_ref in refs {
            let list = match git_ref.name.split('/').nth(1) {
                Some("heads") => &mut listing.branches,
                Some("tags") => &mut listing.tags,
                Some("convert") => &mut listing.converts,
                Some("pr") => &mut listing.pull_requests,
                _ => continue,
            };
            list.push(git_ref);
        }
        Ok(listing)
    }

    /// The first-parent history of `revision`, `limit` commits from `skip`.
    pub async fn list_commits(&self, repo: &Repo, revision: &str, skip: usize, limit: usize) -> CoreResult<CommitPage> {
        let resolved = self.resolve_revision(repo, revision).await?;
        let repo_id = repo.id.clone();
        let (commits, has_more) =
            self.blocking(move |git| Ok(git.history(&repo_id, &resolved.commit, skip, limit)?)).await?;
        Ok(CommitPage { commits, has_more })
    }

    /// Creates `refs/heads/<branch>` at `start`.
    pub async fn create_branch(
        &self,
        principal: &Principal,
        repo: &Repo,
        branch: &str,
        start: BranchStart<'_>,
    ) -> CoreResult<()> {
        principal.check_write(repo)?;
        if !valid_branch(branch) {
            return Err(CoreError::BadRequest(format!("Invalid reference for a branch: {branch}")));
        }
        let start = match start {
            BranchStart::Revision(revision) => {
                self.resolve_revision(repo, revision.unwrap_or(DEFAULT_BRANCH)).await?.commit
            }
            BranchStart::Empty => {
                let user = principal.user().expect("writers are signed in");
                let signature = crate::repos::signature_of(user, stoa_types::time::now_unix());
                let repo_id = repo.id.clone();
                self.blocking(move |git| {
                    let tree = git.empty_tree(&repo_id)?;
                    Ok(git.commit_of_tree(&repo_id, &tree, &[], &signature, "Initial commit")?)
                })
                .await?
            }
        };
        let name = format!("refs/heads/{branch}");
        if self.move_ref_locked(repo, &name, None, Some(start)).await? {
            Ok(())
        } else {
            Err(CoreError::Conflict(format!("Reference {name} already exists")))
        }
    }

    pub async fn delete_branch(&self, principal: &Principal, repo: &Repo, branch: &str) -> CoreResult<()> {
        principal.check_write(repo)?;
        let name = format!("refs/heads/{branch}");
        if branch == DEFAULT_BRANCH {
            return Err(CoreError::Forbidden(format!("Cannot delete {name}")));
        }
        let (repo_id, wanted) = (repo.id.clone(), name.clone());
        let current = self.blocking(move |git| Ok(git.ref_target(&repo_id, &wanted)?)).await?;
        let current = current.ok_or_else(|| CoreError::RevisionNotFound(branch.to_owned()))?;
        if self.move_ref_locked(repo, &name, Some(current), None).await? {
            Ok(())
        } else {
            Err(CoreError::RevisionNotFound(branch.to_owned()))
        }
    }

    /// Tags `revision` as `refs/tags/<tag>`: an annotated tag when there is a message.
    pub async fn create_tag(
        &self,
        principal: &Principal,
        repo: &Repo,
        revision: &str,
        tag: &str,
        message: Option<&str>,
    ) -> CoreResult<()> {
        principal.check_write(repo)?;
        let target = self.resolve_revision(repo, revision).await?.commit;
        if !valid_branch(tag) {
            return Err(CoreError::BadRequest(format!("Invalid reference for a tag: {tag}")));
        }
        let name = format!("refs/tags/{tag}");
        let object = match message.filter(|message| !message.is_empty()) {
            Some(message) => {
                let user = principal.user().ok_or_else(|| CoreError::Forbidden("write access required".to_owned()))?;
                let tagger = crate::repos::signature_of(user, stoa_types::time::now_unix());
                let (repo_id, tag, message) = (repo.id.clone(), tag.to_owned(), format!("{message}\n"));
                self.blocking(move |git| Ok(git.write_tag(&repo_id, &tag, &target, &tagger, &message)?)).await?
            }
            None => target,
        };
        if self.move_ref_locked(repo, &name, None, Some(object)).await? {
            Ok(())
        } else {
            Err(CoreError::Conflict(format!("Tag {name} already exists")))
        }
    }

    pub async fn delete_tag(&self, principal: &Principal, repo: &Repo, tag: &str) -> CoreResult<()> {
        principal.check_write(repo)?;
        let name = format!("refs/tags/{tag}");
        let listed = self.git_refs(repo).await?;
        let current = listed.into_iter().find(|git_ref| git_ref.name == name).map(|git_ref| git_ref.target);
        let current = current.ok_or_else(|| CoreError::RevisionNotFound(tag.to_owned()))?;
        if self.move_ref_locked(repo, &name, Some(current), None).await? {
            Ok(())
        } else {
            Err(CoreError::RevisionNotFound(tag.to_owned()))
        }
    }

    /// One compare-and-swap of a ref under the repo's ref lock; `false` if it was not at `expected`.
    async fn move_ref_locked(
        &self,
        repo: &Repo,
        name: &str,
        expected: Option<ObjectId>,
        new: Option<ObjectId>,
    ) -> CoreResult<bool> {
        let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
        let moved = self.swap_ref(&repo.id, name, expected, new, None).await;
        ref_lock.release().await;
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::valid_branch;

    #[test]
    fn branch_names_follow_git_and_stay_out_of_reserved_namespaces() {
        for good in ["dev", "feature/x", "v1.0", "a-b_c"] {
            assert!(valid_branch(good), "{good}");
        }
        for bad in ["refs/pr/5", "refs/something/random", "a b", "a..b", "x.lock", ".hidden", "a/", "", "a:b", "@"] {
            assert!(!valid_branch(bad), "{bad}");
        }
    }
}
