//! What the file pages share: URLs of a revision's files, breadcrumbs, the branch and tag
//! switcher, and the rows of a folder listing (with LFS, Xet and scan badges).

use std::collections::HashMap;
use std::sync::Arc;

use stoa_core::CoreError;
use stoa_core::access::Principal;
use stoa_core::files::FileEntry;
use stoa_core::ports::{CommitInfo, EntryKind, ObjectId};
use stoa_core::scan::FileReport;

use super::RepoCtx;
use crate::format;

/// Folders up to this many entries show each entry's last commit (one history walk per page).
pub(crate) const LAST_COMMIT_MAX_ENTRIES: usize = 200;

/// `{repo}/{view}/{rev}[/{path}]` with each part encoded.
pub(crate) fn file_url(repo: &RepoCtx, view: &str, revision: &str, path: &str) -> String {
    let mut url = format!("{}/{view}/{}", repo.url, format::segment(revision));
    if !path.is_empty() {
        url.push('/');
        url.push_str(&format::path(path));
    }
    url
}

/// The last component of a path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[derive(Debug, Clone)]
pub(crate) struct Crumb {
    pub(crate) name: String,
    pub(crate) url: String,
}

/// The repo name, then each folder of `path` (the last crumb is the page itself).
pub(crate) fn breadcrumbs(repo: &RepoCtx, revision: &str, path: &str) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb { name: repo.repo.name.clone(), url: file_url(repo, "tree", revision, "") }];
    let mut so_far = String::new();
    for part in path.split('/').filter(|part| !part.is_empty()) {
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(part);
        crumbs.push(Crumb { name: part.to_owned(), url: file_url(repo, "tree", revision, &so_far) });
    }
    crumbs
}

/// The branch and tag switcher: a GET form whose `rev` the tree page turns into its URL.
#[derive(Debug, Clone)]
pub(crate) struct RefSwitcher {
    pub(crate) current: String,
    pub(crate) branches: Vec<String>,
    pub(crate) tags: Vec<String>,
    /// Whether `current` is one of the branches or tags (else it is listed on its own).
    pub(crate) known: bool,
    /// Where the form goes (the page itself).
    pub(crate) action: String,
}

pub(crate) async fn ref_switcher(
    hub: &stoa_core::Hub,
    principal: &Principal,
    repo: &RepoCtx,
    revision: &str,
    action: String,
) -> Result<RefSwitcher, CoreError> {
    // Repos seldom have many refs; a long list is cut rather than paged.
    const MAX_REFS: usize = 200;
    let listing = hub.list_refs(principal, &repo.repo).await?;
    let names = |refs: &[stoa_core::ports::GitRef], prefix: &str| -> Vec<String> {
        refs.iter().filter_map(|r| r.name.strip_prefix(prefix)).take(MAX_REFS).map(str::to_owned).collect()
    };
    let branches = names(&listing.branches, "refs/heads/");
    let tags = names(&listing.tags, "refs/tags/");
    let known = branches.iter().chain(&tags).any(|name| name == revision);
    Ok(RefSwitcher { current: revision.to_owned(), branches, tags, known, action })
}

/// One row of `table#files`.
#[derive(Debug, Clone)]
pub(crate) struct EntryRow {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) folder: bool,
    pub(crate) size: String,
    pub(crate) lfs: bool,
    pub(crate) xet: bool,
    /// The scan verdict (`safe`, `unsafe`, ...), when the file has been scanned.
    pub(crate) scan: Option<&'static str>,
    pub(crate) last_commit: Option<RowCommit>,
}

#[derive(Debug, Clone)]
pub(crate) struct RowCommit {
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) ago: String,
}

/// Folders first, then files, each by name.
pub(crate) fn sort_entries(entries: &mut [FileEntry]) {
    entries.sort_by(|a, b| {
        let folder = |entry: &FileEntry| entry.kind != EntryKind::Directory;
        folder(a).cmp(&folder(b)).then_with(|| file_name(&a.path).cmp(file_name(&b.path)))
    });
}

/// The direct entries of `folder` ("" for the root) among a commit's files: its files, and a
/// folder entry for each first path component below it. Folders carry no tree id (the zero id):
/// a page never shows one.
pub(crate) fn folder_entries(files: &[FileEntry], folder: &str) -> Vec<FileEntry> {
    let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
    let mut folders = std::collections::BTreeSet::new();
    let mut entries = Vec::new();
    for file in files {
        let Some(rest) = file.path.strip_prefix(&prefix) else { continue };
        match rest.split_once('/') {
            None => entries.push(file.clone()),
            Some((name, _)) => {
                folders.insert(name);
            }
        }
    }
    let no_tree_id = ObjectId::from_hex(&"0".repeat(40));
    entries.extend(folders.into_iter().filter_map(|name| {
        Some(FileEntry {
            path: format!("{prefix}{name}"),
            kind: EntryKind::Directory,
            oid: no_tree_id.clone()?,
            size: 0,
            lfs: None,
        })
    }));
    entries
}

/// Rows for one page of a folder: badges from one batch lookup each (Xet files, scan reports,
/// and last commits when the folder is small).
pub(crate) async fn entry_rows(
    web: &crate::Web,
    repo: &RepoCtx,
    revision: &str,
    commit: &ObjectId,
    page: &[FileEntry],
    with_last_commits: bool,
) -> Result<Vec<EntryRow>, CoreError> {
    let hub = web.hub();
    let lfs_oids: Vec<String> =
        page.iter().filter_map(|entry| entry.lfs.as_ref().map(|info| info.pointer.oid.to_string())).collect();
    let xet = hub.xet_files_of(&repo.repo, &lfs_oids).await?;
    let keys: Vec<String> =
        page.iter().filter(|entry| entry.kind == EntryKind::File).map(stoa_core::scan::content_key).collect();
    let reports: HashMap<String, FileReport> = hub.file_reports(&keys).await?;
    let last_commits = if with_last_commits { last_commits(web, repo, commit, page).await? } else { Arc::default() };
    let now = stoa_types::time::now_millis();
    Ok(page
        .iter()
        .map(|entry| {
            let folder = entry.kind == EntryKind::Directory;
            let lfs_oid = entry.lfs.as_ref().map(|info| info.pointer.oid.to_string());
            EntryRow {
                name: file_name(&entry.path).to_owned(),
                url: file_url(repo, if folder { "tree" } else { "blob" }, revision, &entry.path),
                folder,
                size: if folder { String::new() } else { format::size(entry.size) },
                lfs: lfs_oid.is_some(),
                xet: lfs_oid.is_some_and(|oid| xet.contains_key(&oid)),
                scan: (!folder)
                    .then(|| reports.get(&stoa_core::scan::content_key(entry)).map(|report| report.status().as_str()))
                    .flatten(),
                last_commit: last_commits.get(&entry.path).map(|info| RowCommit {
                    title: info.title.clone(),
                    url: format!("{}/commit/{}", repo.url, info.id),
                    ago: format::ago(info.time.saturating_mul(1000), now),
                }),
            }
        })
        .collect())
}

/// The last commit of each entry, computed once per commit and page of entries (git walks the
/// history for them: the slowest part of a folder page).
async fn last_commits(
    web: &crate::Web,
    repo: &RepoCtx,
    commit: &ObjectId,
    page: &[FileEntry],
) -> Result<Arc<HashMap<String, CommitInfo>>, CoreError> {
    let paths: Vec<String> = page.iter().map(|entry| entry.path.clone()).collect();
    let key = format!("{}:{commit}:{}", repo.repo.id, paths.join("\n"));
    if let Some(cached) = web.caches().last_commits.get(&key) {
        return Ok(cached);
    }
    let found = Arc::new(web.hub().last_commits(&repo.repo, commit, paths).await?);
    let weight = found.iter().map(|(path, info)| path.len() + info.message.len() + info.author.len() + 96).sum();
    web.caches().last_commits.insert(key, found.clone(), weight);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            kind: EntryKind::File,
            oid: ObjectId::from_hex(&"a".repeat(40)).expect("hex"),
            size: 1,
            lfs: None,
        }
    }

    #[test]
    fn a_folder_lists_its_files_and_subfolders_once() {
        let files = [file("README.md"), file("a/x.txt"), file("a/b/y.txt"), file("a/b/z.txt"), file("ab.txt")];
        let names = |folder: &str| -> Vec<(String, bool)> {
            folder_entries(&files, folder)
                .into_iter()
                .map(|entry| (entry.path, entry.kind == EntryKind::Directory))
                .collect()
        };
        assert_eq!(names(""), [("README.md".to_owned(), false), ("ab.txt".to_owned(), false), ("a".to_owned(), true)]);
        assert_eq!(names("a"), [("a/x.txt".to_owned(), false), ("a/b".to_owned(), true)]);
        assert!(names("a/x.txt").is_empty() && names("nope").is_empty());
    }
}
