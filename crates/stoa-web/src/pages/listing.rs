//! Repo lists as home, search and profile pages show them.

use stoa_core::ports::{Repo, RepoQuery, RepoSort};
use stoa_types::RepoType;

use crate::format;

/// One line of a repo list (`templates/repo_item.html`).
#[derive(Debug, Clone)]
pub(crate) struct RepoItem {
    pub(crate) kind: &'static str,
    pub(crate) full_name: String,
    pub(crate) url: String,
    pub(crate) private: bool,
    pub(crate) gated: bool,
    /// The pipeline tag (task) shown next to the name, if the card names one.
    pub(crate) task: Option<String>,
    pub(crate) downloads: String,
    pub(crate) likes: i64,
    pub(crate) updated: String,
}

impl RepoItem {
    pub(crate) fn new(repo: &Repo, now: i64) -> Self {
        let task = repo
            .tags
            .iter()
            .find_map(|tag| tag.strip_prefix("task_categories:"))
            .map(str::to_owned)
            .or_else(|| pipeline_tag(repo));
        Self {
            kind: repo.repo_type.as_str(),
            full_name: repo.full_name(),
            url: format::repo_url(repo.repo_type, &repo.full_name()),
            private: repo.private,
            gated: repo.gated.is_some(),
            task,
            downloads: format::count(u128::try_from(repo.downloads.max(0)).unwrap_or(0)),
            likes: repo.likes,
            updated: format::ago(repo.last_modified, now),
        }
    }
}

/// The card's pipeline tag: the one tag of a model that is a known task.
fn pipeline_tag(repo: &Repo) -> Option<String> {
    repo.tags.iter().find(|tag| stoa_core::card::vocab::PIPELINE_TAGS.contains(tag)).cloned()
}

/// A query for the first `limit` repos of a type, in `sort` order (newest or largest first);
/// the hub fills in who is asking.
pub(crate) fn query(repo_type: RepoType, sort: RepoSort, limit: u64) -> RepoQuery {
    RepoQuery {
        repo_type,
        search: Vec::new(),
        author: None,
        tags: Vec::new(),
        sort,
        descending: true,
        offset: 0,
        limit,
        viewer_user_id: None,
    }
}
