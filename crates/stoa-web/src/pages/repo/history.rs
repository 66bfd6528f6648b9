//! Commit history, one commit's diff, and the branches and tags.

use std::sync::Arc;

use askama::Template;
use stoa_core::CoreError;
use stoa_core::ports::{CommitInfo, EntryKind, GitRef, ObjectId};

use super::diff::{self, DiffFile};
use super::tree_view::file_url;
use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render};

const COMMITS_PER_PAGE: usize = 50;
/// Files listed for a root commit (it has no parent to diff against).
const MAX_ROOT_FILES: usize = 1_000;

struct CommitRow {
    title: String,
    url: String,
    author: String,
    date: String,
    ago: String,
    short_id: String,
    tree_url: String,
}

#[derive(Template)]
#[template(path = "repo/commits.html")]
struct CommitsPage {
    chrome: Chrome,
    header: RepoHeader,
    revision: String,
    commits: Vec<CommitRow>,
    previous_url: Option<String>,
    next_url: Option<String>,
    refs_url: String,
}

fn short(id: &str) -> String {
    id.chars().take(7).collect()
}

pub(crate) async fn commits(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str) -> PageResult {
    let page: usize = ctx.params().get("p").and_then(|page| page.parse().ok()).unwrap_or(0).min(1_000_000);
    let listing = ctx.hub().list_commits(&repo.repo, revision, page * COMMITS_PER_PAGE, COMMITS_PER_PAGE).await?;
    let now = stoa_types::time::now_millis();
    let commits = listing
        .commits
        .into_iter()
        .map(|info| CommitRow {
            url: format!("{}/commit/{}", repo.url, info.id),
            tree_url: file_url(repo, "tree", info.id.as_str(), ""),
            short_id: short(info.id.as_str()),
            date: format::date(info.time.saturating_mul(1000)),
            ago: format::ago(info.time.saturating_mul(1000), now),
            title: info.title,
            author: info.author,
        })
        .collect();
    let base = format!("{}/commits/{}", repo.url, format::segment(revision));
    let page_url = |page: usize| if page == 0 { base.clone() } else { format!("{base}?p={page}") };
    let page = CommitsPage {
        chrome: ctx.chrome(format!("Commits · {}", repo.repo.full_name())),
        header: repo.header("commits"),
        revision: revision.to_owned(),
        commits,
        previous_url: (page > 0).then(|| page_url(page - 1)),
        next_url: listing.has_more.then(|| page_url(page + 1)),
        refs_url: format!("{}/refs", repo.url),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "repo/commit.html")]
struct CommitPage {
    chrome: Chrome,
    header: RepoHeader,
    id: String,
    short_id: String,
    title: String,
    /// The message under the title.
    body: String,
    author: String,
    date: String,
    tree_url: String,
    /// (short id, url) of the first parent.
    parent: Option<(String, String)>,
    /// The changed files (`diff.files`).
    diff: Arc<CommitDiff>,
    /// Set for a root commit with more files than are listed.
    more_files: bool,
}

/// What a commit's page shows besides the frame: computed once per commit (it never changes).
#[derive(Debug)]
pub(crate) struct CommitDiff {
    info: CommitInfo,
    parent: Option<CommitInfo>,
    files: Vec<DiffFile>,
    more_files: bool,
}

impl CommitDiff {
    /// A rough size in bytes, for the cache's bound.
    fn weight(&self) -> usize {
        self.info.message.len()
            + self
                .files
                .iter()
                .map(|file| file.path.len() + file.lines.iter().map(|line| line.text.len() + 32).sum::<usize>())
                .sum::<usize>()
            + 256
    }
}

async fn commit_diff(ctx: &Ctx<'_>, repo: &RepoCtx, resolved: &ObjectId) -> Result<Arc<CommitDiff>, CoreError> {
    let hub = ctx.hub();
    // Rights first: the cache holds content, not decisions.
    hub.check_content_read(&ctx.viewer.principal, &repo.repo).await?;
    let key = format!("{}:{resolved}", repo.repo.id);
    if let Some(cached) = ctx.web.caches().commits.get(&key) {
        return Ok(cached);
    }
    let sha = resolved.to_string();
    // The first-parent log from the commit: itself, then its parent (if any).
    let mut log = hub.list_commits(&repo.repo, &sha, 0, 2).await?.commits.into_iter();
    let info = log.next().ok_or_else(|| CoreError::RevisionNotFound(sha.clone()))?;
    let parent = log.next();
    let mut more_files = false;
    let files = match &parent {
        Some(parent) => {
            let comparison = hub.compare(&ctx.viewer.principal, &repo.repo, parent.id.as_str(), &sha).await?;
            diff::parse(&comparison.diff, &comparison.files)
        }
        None => {
            // No parent to compare with: every file was added. Listing shows names only.
            let entries = hub.list_tree(&repo.repo, resolved, None, true).await?;
            let files: Vec<DiffFile> = entries
                .into_iter()
                .filter(|entry| entry.kind == EntryKind::File)
                .map(|entry| DiffFile {
                    path: entry.path,
                    change: "added",
                    lines: Vec::new(),
                    binary: false,
                    cut: false,
                })
                .collect();
            more_files = files.len() > MAX_ROOT_FILES;
            files.into_iter().take(MAX_ROOT_FILES).collect()
        }
    };
    let diff = Arc::new(CommitDiff { info, parent, files, more_files });
    ctx.web.caches().commits.insert(key, diff.clone(), diff.weight());
    Ok(diff)
}

pub(crate) async fn commit(ctx: &Ctx<'_>, repo: &RepoCtx, id: &str) -> PageResult {
    let resolved = ctx.hub().resolve_revision(&repo.repo, id).await?;
    let sha = resolved.commit.to_string();
    let diff = commit_diff(ctx, repo, &resolved.commit).await?;
    let CommitDiff { info, parent, more_files, .. } = &*diff;
    let body = info.message.strip_prefix(info.title.as_str()).unwrap_or(&info.message).trim().to_owned();
    let page = CommitPage {
        chrome: ctx.chrome(format!("{} · {}", info.title, repo.repo.full_name())),
        header: repo.header("commits"),
        short_id: short(&sha),
        tree_url: file_url(repo, "tree", &sha, ""),
        id: sha,
        title: info.title.clone(),
        body,
        author: info.author.clone(),
        date: format::date(info.time.saturating_mul(1000)),
        parent: parent.as_ref().map(|parent| (short(parent.id.as_str()), format!("{}/commit/{}", repo.url, parent.id))),
        diff: diff.clone(),
        more_files: *more_files,
    };
    render(&page)
}

struct RefRow {
    name: String,
    short_id: String,
    tree_url: String,
    commits_url: String,
    commit_url: String,
}

#[derive(Template)]
#[template(path = "repo/refs.html")]
struct RefsPage {
    chrome: Chrome,
    header: RepoHeader,
    branches: Vec<RefRow>,
    tags: Vec<RefRow>,
}

pub(crate) async fn refs(ctx: &Ctx<'_>, repo: &RepoCtx) -> PageResult {
    let listing = ctx.hub().list_refs(&ctx.viewer.principal, &repo.repo).await?;
    let rows = |refs: &[GitRef], prefix: &str| -> Vec<RefRow> {
        refs.iter()
            .filter_map(|git_ref| {
                let name = git_ref.name.strip_prefix(prefix)?;
                Some(RefRow {
                    name: name.to_owned(),
                    short_id: short(git_ref.commit().as_str()),
                    tree_url: file_url(repo, "tree", name, ""),
                    commits_url: format!("{}/commits/{}", repo.url, format::segment(name)),
                    commit_url: format!("{}/commit/{}", repo.url, git_ref.commit()),
                })
            })
            .collect()
    };
    let page = RefsPage {
        chrome: ctx.chrome(format!("Branches and tags · {}", repo.repo.full_name())),
        header: repo.header("files"),
        branches: rows(&listing.branches, "refs/heads/"),
        tags: rows(&listing.tags, "refs/tags/"),
    };
    render(&page)
}
