//! Repo pages: the repo is found once (as the viewer may see it) and handed to the page.

mod access;
mod card;
mod diff;
mod discussion_view;
mod discussions;
mod files;
mod history;
mod overview;
mod settings;
mod tree_view;
mod upload;

use axum::body::Body;
use stoa_core::access::RepoLevel;
use stoa_core::ports::Repo;

pub(crate) use history::CommitDiff;
pub(crate) use overview::ScanInfo;

use super::{Ctx, PageResult};
use crate::format;
use crate::routes::{RepoPage, RepoRoute};

/// The repo a page is about, with what the viewer may do to it.
#[derive(Debug)]
pub(crate) struct RepoCtx {
    pub(crate) repo: Repo,
    /// The repo's web path (`/owner/name`, `/datasets/owner/name`).
    pub(crate) url: String,
    pub(crate) level: RepoLevel,
}

impl RepoCtx {
    pub(crate) fn can_write(&self) -> bool {
        self.level >= RepoLevel::Write
    }

    pub(crate) fn can_manage(&self) -> bool {
        self.level >= RepoLevel::Manage
    }

    /// The header every repo page shows, with `tab` highlighted.
    pub(crate) fn header(&self, tab: &'static str) -> RepoHeader {
        RepoHeader {
            kind: self.repo.repo_type.as_str(),
            full_name: self.repo.full_name(),
            namespace: self.repo.namespace.clone(),
            name: self.repo.name.clone(),
            url: self.url.clone(),
            private: self.repo.private,
            gated: self.repo.gated.clone(),
            likes: self.repo.likes,
            downloads: self.repo.downloads,
            can_write: self.can_write(),
            can_manage: self.can_manage(),
            discussions: !self.repo.discussions_disabled,
            tab,
        }
    }
}

/// What `templates/repo/header.html` shows.
#[derive(Debug, Clone)]
pub(crate) struct RepoHeader {
    pub(crate) kind: &'static str,
    pub(crate) full_name: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) private: bool,
    pub(crate) gated: Option<String>,
    pub(crate) likes: i64,
    pub(crate) downloads: i64,
    pub(crate) can_write: bool,
    pub(crate) can_manage: bool,
    pub(crate) discussions: bool,
    /// `card`, `files`, `commits`, `discussions` or `settings`.
    pub(crate) tab: &'static str,
}

pub(crate) async fn answer(ctx: &Ctx<'_>, route: RepoRoute, body: Body) -> PageResult {
    let repo = ctx.hub().find_repo(&ctx.viewer.principal, route.repo_type, &route.id).await?;
    let level = ctx.viewer.principal.level(&repo);
    let url = format::repo_url(repo.repo_type, &repo.full_name());
    let repo = RepoCtx { repo, url, level };
    match route.page {
        RepoPage::Overview => overview::overview(ctx, &repo).await,
        RepoPage::AskAccess => access::ask_access(ctx, &repo, body).await,
        RepoPage::Tree { revision, path } => files::tree(ctx, &repo, &revision, &path).await,
        RepoPage::Blob { revision, path } => files::blob(ctx, &repo, &revision, &path).await,
        RepoPage::Raw { revision, path } => files::raw(ctx, &repo, &revision, &path).await,
        RepoPage::Commits { revision } => history::commits(ctx, &repo, &revision).await,
        RepoPage::Commit { id } => history::commit(ctx, &repo, &id).await,
        RepoPage::Refs => history::refs(ctx, &repo).await,
        RepoPage::Upload { revision } => upload::upload(ctx, &repo, &revision, body).await,
        RepoPage::Discussions => discussions::list(ctx, &repo).await,
        RepoPage::NewDiscussion => discussions::new(ctx, &repo, body).await,
        RepoPage::Discussion { num, action } => discussions::discussion(ctx, &repo, num, action.as_deref(), body).await,
        RepoPage::Settings { form } => settings::settings(ctx, &repo, form.as_deref(), body).await,
        RepoPage::AccessRequests => access::access_requests(ctx, &repo, body).await,
    }
}
