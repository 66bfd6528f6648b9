//! Repo lifecycle and lookup: create, delete, find with access checks, resolve revisions, list.

use stoa_types::{RepoId, RepoPath, RepoType};

use std::sync::Arc;

use crate::access::Principal;
use crate::cards;
use crate::commit_cache::CommitView;
use crate::error::{CoreError, CoreResult};
use crate::files::all_files;
use crate::gitattributes::default_gitattributes;
use crate::hub::Hub;
use crate::ports::{NewRepo, ObjectId, Repo, RepoQuery, ResolvedRevision, Signature, StoreError, User};
use crate::tokens::new_object_id;

/// What a client asked for in `POST /api/repos/create`.
#[derive(Debug, Clone)]
pub struct CreateRepo {
    pub repo_type: RepoType,
    /// `None` creates under the caller's own namespace.
    pub namespace: Option<String>,
    pub name: String,
    /// `None`: the namespace's default (organisations may make new repos private by default).
    pub private: Option<bool>,
    /// Spaces only: `gradio`, `streamlit`, `docker` or `static`.
    pub space_sdk: Option<String>,
}

const SPACE_SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];

/// The first files of a new repo: the default `.gitattributes`, and for a Space the card that
/// carries its SDK, as the Hub creates them.
fn initial_files(request: &CreateRepo, id: &RepoId) -> CoreResult<Vec<(RepoPath, Vec<u8>)>> {
    let mut files = vec![(
        RepoPath::parse(".gitattributes").expect("constant path is valid"),
        default_gitattributes(request.repo_type).into_bytes(),
    )];
    if request.repo_type == RepoType::Space {
        let sdk = request.space_sdk.as_deref().unwrap_or_default();
        if !SPACE_SDKS.contains(&sdk) {
            return Err(CoreError::bad_request(format!("a Space needs an sdk, one of {}", SPACE_SDKS.join(", "))));
        }
        let card = format!(
            "---\ntitle: {}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: gray\nsdk: {sdk}\npinned: false\n---\n\n# {}\n",
            id.name(),
            id.name()
        );
        files.push((RepoPath::parse("README.md").expect("constant path is valid"), card.into_bytes()));
    }
    Ok(files)
}

/// A repo at one revision, with what repo info needs.
#[derive(Debug, Clone)]
pub struct RepoSnapshot {
    pub repo: Repo,
    pub view: Arc<CommitView>,
}

pub(crate) fn signature_of(user: &User, time: i64) -> Signature {
    let email = user.email.clone().unwrap_or_else(|| format!("{}@users.noreply.stoa", user.name));
    Signature { name: user.name.clone(), email, time }
}

impl Hub {
    /// Creates a repo with its first commit (the default `.gitattributes`).
    pub async fn create_repo(&self, principal: &Principal, request: CreateRepo) -> CoreResult<Repo> {
        let Some(caller) = principal.user() else {
            return Err(CoreError::Unauthenticated("You must be authenticated to create a repository".to_owned()));
        };
        let namespace = request.namespace.clone().unwrap_or_else(|| caller.name.clone());
        let id = RepoId::new(&namespace, &request.name)?;
        let user = principal.check_namespace_write(id.namespace())?.clone();
        if self.meta.repo_by_name(request.repo_type, &id.key()).await?.is_some() {
            return Err(CoreError::RepoExists(request.repo_type, id));
        }
        let files = initial_files(&request, &id)?;
        let private = match request.private {
            Some(private) => private,
            None => self.meta.org_by_name(id.namespace()).await?.is_some_and(|org| org.private_by_default),
        };
        let now = stoa_types::time::now_unix();
        let repo_id = new_object_id();
        let author = signature_of(&user, now);
        let git_repo_id = repo_id.clone();
        self.blocking(move |git| {
            git.create(&git_repo_id, files, &author, "initial commit")?;
            Ok(())
        })
        .await?;
        let new_repo = NewRepo {
            id: repo_id.clone(),
            repo_type: request.repo_type,
            namespace: id.namespace().to_owned(),
            name: id.name().to_owned(),
            private,
            owner_user_id: user.id.clone(),
            created_at: now,
        };
        if let Err(error) = self.meta.create_repo(&new_repo).await {
            // The git repo is unreachable without its row; remove it rather than leave an orphan.
            let cleanup_id = repo_id.clone();
            let _ = self.blocking(move |git| Ok(git.delete(&cleanup_id)?)).await;
            return Err(match error {
                StoreError::AlreadyExists => CoreError::RepoExists(request.repo_type, id),
                other @ StoreError::Backend(_) => other.into(),
            });
        }
        tracing::info!(repo.id = %id, repo.r#type = %request.repo_type, "repo created");
        let repo = self
            .meta
            .repo_by_name(request.repo_type, &id.key())
            .await?
            .ok_or_else(|| CoreError::Internal("repo vanished after creation".to_owned()))?;
        let target = self.repo_target(&repo).await;
        self.audit(Some(principal), "repo.create", target, serde_json::json!({"private": repo.private})).await;
        Ok(repo)
    }

    /// Deletes a repo the caller owns. LFS objects stay until garbage collection.
    pub async fn delete_repo(&self, principal: &Principal, repo_type: RepoType, id: &RepoId) -> CoreResult<()> {
        let repo = self.find_repo(principal, repo_type, &id.to_string()).await?;
        principal.check_manage(&repo)?;
        let target = self.repo_target(&repo).await;
        self.meta.delete_repo(&repo.id).await?;
        self.audit(Some(principal), "repo.delete", target, serde_json::json!({})).await;
        let git_repo_id = repo.id.clone();
        self.blocking(move |git| Ok(git.delete(&git_repo_id)?)).await?;
        tracing::info!(repo.id = %id, "repo deleted");
        Ok(())
    }

    /// Finds a repo the caller may read. Invalid, missing and private-to-others ids all give
    /// `RepoNotFound`.
    pub async fn find_repo(&self, principal: &Principal, repo_type: RepoType, id: &str) -> CoreResult<Repo> {
        let Ok(id) = RepoId::parse(id) else {
            return Err(CoreError::RepoNotFound);
        };
        let repo = self.meta.repo_by_name(repo_type, &id.key()).await?.ok_or(CoreError::RepoNotFound)?;
        principal.check_read(&repo)?;
        Ok(repo)
    }

    /// Resolves a branch, tag, PR ref or (short) commit id.
    pub async fn resolve_revision(&self, repo: &Repo, revision: &str) -> CoreResult<ResolvedRevision> {
        let repo_id = repo.id.clone();
        let wanted = revision.to_owned();
        let resolved = self.blocking(move |git| Ok(git.resolve(&repo_id, &wanted)?)).await?;
        resolved.ok_or_else(|| CoreError::RevisionNotFound(revision.to_owned()))
    }

    /// Repo info at a revision (default `main`).
    pub async fn repo_snapshot(&self, repo: Repo, revision: &str) -> CoreResult<RepoSnapshot> {
        let resolved = self.resolve_revision(&repo, revision).await?;
        let view = self.commit_view(&repo, &resolved.commit).await?;
        Ok(RepoSnapshot { repo, view })
    }

    /// Metadata, card and files of a commit, built once and then served from the cache.
    pub async fn commit_view(&self, repo: &Repo, commit: &ObjectId) -> CoreResult<Arc<CommitView>> {
        if let Some(view) = self.commit_views.get(&repo.id, commit) {
            return Ok(view);
        }
        let repo_id = repo.id.clone();
        let commit_id = commit.clone();
        let (info, readme, files) = self
            .blocking(move |git| {
                let info = git.commit_info(&repo_id, &commit_id)?;
                let readme_path = RepoPath::parse("README.md").expect("constant path is valid");
                let readme = match git.entry(&repo_id, &commit_id, &readme_path)? {
                    Some(entry) if entry.size <= 1024 * 1024 => Some(git.read_blob(&repo_id, &entry.oid)?),
                    _ => None,
                };
                let files = all_files(git, &repo_id, &commit_id)?;
                Ok((info, readme, files))
            })
            .await?;
        let card_data = readme
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| cards::parse_card_data(&text).ok().flatten());
        let view = Arc::new(CommitView { info, card_data, files });
        self.commit_views.insert(&repo.id, commit, Arc::clone(&view));
        Ok(view)
    }

    /// Lists repos visible to the caller.
    pub async fn list_repos(&self, principal: &Principal, mut query: RepoQuery) -> CoreResult<Vec<Repo>> {
        query.viewer_user_id = principal.user().map(|user| user.id.clone());
        Ok(self.meta.list_repos(&query).await?)
    }
}
