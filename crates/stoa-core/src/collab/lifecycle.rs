//! A repo's lifecycle beyond create and delete: settings, moving (the old name keeps
//! redirecting), duplicating (history copied, large objects shared, not copied), super-squash,
//! and the history views (per-path log, comparing two revisions).

use serde_json::{Value, json};
use stoa_types::{RepoId, RepoType};

use crate::access::Principal;
use crate::collab::discussions::activity;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{CommitInfo, FileDiff, NewRepo, ObjectId, Repo, StoreError};
use crate::ref_update::intent_for_existing_objects;
use crate::refs::CommitPage;
use crate::repos::signature_of;
use crate::tokens::new_object_id;

/// Longest unified diff returned by compare.
const MAX_COMPARE_DIFF_BYTES: usize = 1024 * 1024;

/// What `PUT /api/{T}/{id}/settings` may change today.
#[derive(Debug, Clone, Default)]
pub struct RepoSettings {
    pub private: Option<bool>,
    pub discussions_disabled: Option<bool>,
    /// `Some(None)` ungates; `Some(Some("auto" | "manual"))` gates.
    pub gated: Option<Option<String>>,
}

/// Two revisions compared.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub base: ObjectId,
    pub head: ObjectId,
    pub files: Vec<FileDiff>,
    pub diff: String,
}

/// Where a lookup by name led: the repo itself, or a moved repo's new name.
#[derive(Debug, Clone)]
pub enum FoundRepo {
    Here(Repo),
    Moved(Repo),
}

impl Hub {
    pub async fn update_repo_settings(
        &self,
        principal: &Principal,
        repo: &Repo,
        settings: &RepoSettings,
    ) -> CoreResult<()> {
        principal.check_manage(repo)?;
        if let Some(Some(mode)) = &settings.gated
            && !matches!(mode.as_str(), "auto" | "manual")
        {
            return Err(CoreError::bad_request("gated must be \"auto\", \"manual\" or false"));
        }
        self.meta.update_repo_settings(&repo.id, settings.private, settings.discussions_disabled).await?;
        if let Some(gated) = &settings.gated {
            self.meta.set_gated(&repo.id, gated.as_deref()).await?;
        }
        let target = self.repo_target(repo).await;
        let data = json!({
            "private": settings.private,
            "discussionsDisabled": settings.discussions_disabled,
            "gated": settings.gated.as_ref().map(|gated| gated.clone().map_or(json!(false), Value::String)),
        });
        self.audit(Some(principal), "repo.update_settings", target, data).await;
        tracing::info!(
            repo.id = %repo.full_name(),
            private = ?settings.private,
            discussions_disabled = ?settings.discussions_disabled,
            "repo settings changed"
        );
        Ok(())
    }

    /// Finds a repo by name, or by an old name it was moved from. Callers who may not read the
    /// repo get `RepoNotFound` either way, so a redirect never reveals a private repo.
    pub async fn find_repo_or_moved(
        &self,
        principal: &Principal,
        repo_type: RepoType,
        id: &str,
    ) -> CoreResult<FoundRepo> {
        match self.find_repo(principal, repo_type, id).await {
            Err(CoreError::RepoNotFound) => {}
            other => return other.map(FoundRepo::Here),
        }
        let Ok(parsed) = RepoId::parse(id) else { return Err(CoreError::RepoNotFound) };
        let repo = self.meta.redirected_repo(repo_type, &parsed.key()).await?.ok_or(CoreError::RepoNotFound)?;
        principal.check_read(&repo)?;
        Ok(FoundRepo::Moved(repo))
    }

    /// Renames a repo (possibly into another namespace the caller owns).
    pub async fn move_repo(
        &self,
        principal: &Principal,
        repo_type: RepoType,
        from: &str,
        to: &str,
    ) -> CoreResult<Repo> {
        let repo = self.find_repo(principal, repo_type, from).await?;
        principal.check_manage(&repo)?;
        let target = RepoId::parse(to)?;
        principal.check_namespace_write(target.namespace())?;
        let exists =
            || CoreError::Conflict(format!("A {} repository called {target} already exists", repo_type.as_str()));
        let same_repo = repo.full_name().eq_ignore_ascii_case(&target.to_string());
        if !same_repo && self.meta.repo_by_name(repo_type, &target.key()).await?.is_some() {
            return Err(exists());
        }
        let now = stoa_types::time::now_unix();
        match self.meta.move_repo(&repo.id, target.namespace(), target.name(), now).await {
            Err(StoreError::AlreadyExists) => return Err(exists()),
            other => other?,
        }
        tracing::info!(from = %repo.full_name(), to = %target, "repo moved");
        let audit_target = self.repo_target(&repo).await;
        self.audit(Some(principal), "repo.move", audit_target, json!({"to": target.to_string()})).await;
        self.meta.repo_by_name(repo_type, &target.key()).await?.ok_or(CoreError::RepoNotFound)
    }

    /// Copies a repo the caller can read into a namespace they own: branches, tags and history;
    /// large files are shared with the source. `private` defaults to the source's visibility.
    pub async fn duplicate_repo(
        &self,
        principal: &Principal,
        source: &Repo,
        to: &str,
        private: Option<bool>,
    ) -> CoreResult<Repo> {
        // A copy carries every file: a gated source needs access (and the copy stays gated).
        self.check_content_read(principal, source).await?;
        let target = RepoId::parse(to)?;
        let user = principal.check_namespace_write(target.namespace())?.clone();
        let repo_type = source.repo_type;
        if self.meta.repo_by_name(repo_type, &target.key()).await?.is_some() {
            return Err(CoreError::RepoExists(repo_type, target));
        }
        let new_id = new_object_id();
        let (from, to_id) = (source.id.clone(), new_id.clone());
        self.blocking(move |git| Ok(git.duplicate(&from, &to_id)?)).await?;
        let now = stoa_types::time::now_unix();
        let new_repo = NewRepo {
            id: new_id.clone(),
            repo_type,
            namespace: target.namespace().to_owned(),
            name: target.name().to_owned(),
            private: private.unwrap_or(source.private),
            owner_user_id: user.id.clone(),
            created_at: now,
        };
        let registered = async {
            self.meta.create_repo(&new_repo).await?;
            self.meta.share_repo_objects(&source.id, &new_id).await?;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(error) = registered {
            let cleanup = new_id.clone();
            let _ = self.meta.delete_repo(&new_id).await;
            let _ = self.blocking(move |git| Ok(git.delete(&cleanup)?)).await;
            return Err(match error {
                StoreError::AlreadyExists => CoreError::RepoExists(repo_type, target),
                other @ StoreError::Backend(_) => other.into(),
            });
        }
        if source.gated.is_some() {
            self.meta.set_gated(&new_id, source.gated.as_deref()).await?;
        }
        let repo = self.meta.repo_by_name(repo_type, &target.key()).await?.ok_or(CoreError::RepoNotFound)?;
        // Tags and last-modified follow the copied main branch.
        let head = self.ref_head(&repo, "refs/heads/main").await?;
        let tags = self.derived_tags_at(&repo, &head).await?;
        let entry = activity(&repo, &user, "duplicated", json!({"from": source.full_name()}));
        let intent = intent_for_existing_objects(&repo.id, "refs/heads/main", &head, tags, entry);
        self.meta.record_commit_intent(&intent).await?;
        self.apply_intent(&intent, None).await?;
        tracing::info!(from = %source.full_name(), to = %target, "repo duplicated");
        self.meta.repo_by_name(repo_type, &target.key()).await?.ok_or(CoreError::RepoNotFound)
    }

    /// Replaces a branch's history by one commit with the same files.
    pub async fn super_squash(
        &self,
        principal: &Principal,
        repo: &Repo,
        branch: &str,
        message: &str,
    ) -> CoreResult<ObjectId> {
        principal.check_write(repo)?;
        let user = principal.user().expect("writers are signed in").clone();
        let resolved = self.resolve_revision(repo, branch).await?;
        let Some(branch_ref) = resolved.branch_ref else {
            return Err(CoreError::RevisionNotFound(branch.to_owned()));
        };
        let message =
            if message.trim().is_empty() { format!("Super-squash branch '{branch}'") } else { message.to_owned() };
        let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
        let squashed = async {
            let head = self.ref_head(repo, &branch_ref).await?;
            let signature = signature_of(&user, stoa_types::time::now_unix());
            let (repo_id, tip, text) = (repo.id.clone(), head.clone(), message.clone());
            let commit = self
                .blocking(move |git| {
                    let tree = git.tree_of(&repo_id, &tip)?;
                    Ok(git.commit_of_tree(&repo_id, &tree, &[], &signature, &text)?)
                })
                .await?;
            let entry = activity(
                repo,
                &user,
                "super-squash",
                json!({"oid": commit.as_str(), "title": message, "ref": branch_ref}),
            );
            let intent = intent_for_existing_objects(&repo.id, &branch_ref, &commit, None, entry);
            if !self.swap_ref(&repo.id, &branch_ref, Some(head), Some(commit.clone()), Some(&intent)).await? {
                return Err(CoreError::Conflict("The branch moved meanwhile; please try again".to_owned()));
            }
            Ok(commit)
        }
        .await;
        ref_lock.release().await;
        let commit = squashed?;
        tracing::info!(repo.id = %repo.full_name(), branch, commit = %commit, "branch super-squashed");
        Ok(commit)
    }

    /// The first-parent history of `revision` limited to commits that changed `path`.
    pub async fn list_path_commits(
        &self,
        repo: &Repo,
        revision: &str,
        path: &str,
        skip: usize,
        limit: usize,
    ) -> CoreResult<CommitPage> {
        let resolved = self.resolve_revision(repo, revision).await?;
        let (repo_id, path) = (repo.id.clone(), path.trim_matches('/').to_owned());
        let (commits, has_more): (Vec<CommitInfo>, bool) =
            self.blocking(move |git| Ok(git.path_history(&repo_id, &resolved.commit, &path, skip, limit)?)).await?;
        Ok(CommitPage { commits, has_more })
    }

    /// Files changed from `base` to `head`, with sizes, and the unified diff.
    pub async fn compare(&self, principal: &Principal, repo: &Repo, base: &str, head: &str) -> CoreResult<Comparison> {
        // A diff shows contents: a gated repo's need access.
        self.check_content_read(principal, repo).await?;
        let base = self.resolve_revision(repo, base).await?.commit;
        let head = self.resolve_revision(repo, head).await?.commit;
        let (repo_id, from, to) = (repo.id.clone(), base.clone(), head.clone());
        let (files, diff) = self
            .blocking(move |git| {
                Ok((
                    git.diff_files(&repo_id, &from, &to)?,
                    git.unified_diff(&repo_id, &from, &to, MAX_COMPARE_DIFF_BYTES)?,
                ))
            })
            .await?;
        Ok(Comparison { base, head, files, diff })
    }
}
