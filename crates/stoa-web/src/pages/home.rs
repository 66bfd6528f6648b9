//! The home page: trending and recently updated repos.

use askama::Template;
use stoa_core::ports::RepoSort;
use stoa_types::RepoType;

use super::listing::{RepoItem, query};
use super::{Chrome, Ctx, PageResult, render};

/// How many repos each list of the home page shows.
const LIST_LENGTH: u64 = 10;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    trending: Vec<RepoItem>,
    recent: Vec<RepoItem>,
}

/// "Trending" is the last 30 days' downloads (the store keeps a rolling count); "recent" is the
/// latest commit time. Both across models, datasets and spaces.
pub(crate) async fn home(ctx: &Ctx<'_>) -> PageResult {
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let now = stoa_types::time::now_millis();
    let mut trending = Vec::new();
    let mut recent = Vec::new();
    for repo_type in [RepoType::Model, RepoType::Dataset, RepoType::Space] {
        trending.extend(hub.list_repos(principal, query(repo_type, RepoSort::Downloads, LIST_LENGTH)).await?);
        recent.extend(hub.list_repos(principal, query(repo_type, RepoSort::LastModified, LIST_LENGTH)).await?);
    }
    trending.sort_by(|a, b| b.downloads.cmp(&a.downloads).then(b.likes.cmp(&a.likes)));
    recent.sort_by_key(|repo| std::cmp::Reverse(repo.last_modified));
    let items = |repos: &[stoa_core::ports::Repo]| {
        repos.iter().take(LIST_LENGTH as usize).map(|repo| RepoItem::new(repo, now)).collect()
    };
    render(&HomePage { chrome: ctx.chrome("Stoa"), trending: items(&trending), recent: items(&recent) })
}
