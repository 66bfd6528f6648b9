//! Reading: revisions, commits, trees and blobs.

use std::collections::{HashMap, HashSet, VecDeque};

use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind as GixKind;
use stoa_core::ports::{CommitInfo, EntryKind, GitEntry, GitError, ObjectId, ResolvedRevision};
use stoa_types::RepoPath;

use crate::{GixStore, backend, from_gix, to_gix};

/// Bounds the history walk of `lastCommit`; older changes are attributed to the oldest commit seen.
const MAX_LAST_COMMIT_WALK: usize = 1000;

/// Bounds the ancestry walk of crash recovery; a commit further back than this from the ref is
/// treated as not landed.
const MAX_ANCESTRY_WALK: usize = 100_000;

fn is_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl GixStore {
    /// Reads a branch or PR ref from the ref files alone, without opening the repository: the
    /// hot path of every request that names a branch. Such refs always point at commits.
    fn branch_target(&self, repo_id: &str, name: &str) -> Result<Option<ObjectId>, GitError> {
        let is_branch = name.starts_with("refs/heads/") || name.starts_with("refs/pr/");
        if !is_branch || gix::refs::FullName::try_from(name).is_err() {
            return Ok(None);
        }
        let store = gix::refs::file::Store::at_opts(self.repo_dir(repo_id)?, gix::hash::Kind::Sha1, Default::default());
        let Some(reference) = store.try_find(name).map_err(backend)? else { return Ok(None) };
        match reference.target {
            gix::refs::Target::Object(id) => Ok(Some(from_gix(id))),
            gix::refs::Target::Symbolic(_) => Ok(None),
        }
    }

    pub(crate) fn resolve_revision(&self, repo_id: &str, revision: &str) -> Result<Option<ResolvedRevision>, GitError> {
        if revision.is_empty() {
            return Ok(None);
        }
        let branch = if revision.starts_with("refs/") { revision.to_owned() } else { format!("refs/heads/{revision}") };
        if let Some(commit) = self.branch_target(repo_id, &branch)? {
            return Ok(Some(ResolvedRevision { commit, branch_ref: Some(branch) }));
        }
        let repo = self.repo(repo_id)?;
        if revision.len() == 40 && is_hex(revision) {
            let Ok(id) = gix::ObjectId::from_hex(revision.to_ascii_lowercase().as_bytes()) else {
                return Ok(None);
            };
            return Ok(peel_to_commit(&repo, id)?.map(|commit| ResolvedRevision { commit, branch_ref: None }));
        }
        let candidates: Vec<String> = if revision.starts_with("refs/") {
            vec![revision.to_owned()]
        } else {
            vec![format!("refs/heads/{revision}"), format!("refs/tags/{revision}")]
        };
        for name in candidates {
            if let Some(commit) = find_ref_commit(&repo, &name)? {
                let is_branch = name.starts_with("refs/heads/") || name.starts_with("refs/pr/");
                return Ok(Some(ResolvedRevision { commit, branch_ref: is_branch.then_some(name) }));
            }
        }
        if (5..40).contains(&revision.len()) && is_hex(revision) {
            let Ok(id) = repo.rev_parse_single(revision.to_ascii_lowercase().as_bytes().as_bstr()) else {
                return Ok(None);
            };
            return Ok(peel_to_commit(&repo, id.detach())?.map(|commit| ResolvedRevision { commit, branch_ref: None }));
        }
        Ok(None)
    }

    pub(crate) fn read_ref(&self, repo_id: &str, ref_name: &str) -> Result<Option<ObjectId>, GitError> {
        if let Some(commit) = self.branch_target(repo_id, ref_name)? {
            return Ok(Some(commit));
        }
        let repo = self.repo(repo_id)?;
        find_ref_commit(&repo, ref_name)
    }

    pub(crate) fn read_commit(&self, repo_id: &str, commit: &ObjectId) -> Result<CommitInfo, GitError> {
        let repo = self.repo(repo_id)?;
        let object = repo.find_object(to_gix(commit)?).map_err(backend)?;
        let commit_object = object.try_into_commit().map_err(backend)?;
        let decoded = commit_object.decode().map_err(backend)?;
        let message = decoded.message.to_str_lossy().into_owned();
        let title = message.lines().next().unwrap_or_default().to_owned();
        let time = decoded.committer().map_err(backend)?.time().map_err(backend)?.seconds;
        let author = decoded.author().map_err(backend)?.name.to_str_lossy().into_owned();
        Ok(CommitInfo { id: commit.clone(), title, message: message.trim_end().to_owned(), time, author })
    }

    /// Follows first parents from `start`; reading each commit once.
    pub(crate) fn first_parent_history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitInfo>, bool), GitError> {
        let repo = self.repo(repo_id)?;
        let mut next = Some(to_gix(start)?);
        let mut seen = 0;
        let mut page = Vec::with_capacity(limit.min(100));
        while let Some(id) = next {
            let commit = repo.find_object(id).map_err(backend)?.try_into_commit().map_err(backend)?;
            let decoded = commit.decode().map_err(backend)?;
            next = decoded.parents().next();
            if seen >= skip {
                if page.len() == limit {
                    return Ok((page, true));
                }
                page.push(self.read_commit(repo_id, &crate::from_gix(id))?);
            }
            seen += 1;
        }
        Ok((page, false))
    }

    pub(crate) fn read_blob_bytes(&self, repo_id: &str, oid: &ObjectId) -> Result<Vec<u8>, GitError> {
        let repo = self.repo(repo_id)?;
        let object = repo.find_object(to_gix(oid)?).map_err(backend)?;
        Ok(object.detach().data)
    }

    fn root_tree(repo: &gix::Repository, commit: &ObjectId) -> Result<gix::ObjectId, GitError> {
        let object = repo.find_object(to_gix(commit)?).map_err(backend)?;
        let commit_object = object.try_into_commit().map_err(backend)?;
        commit_object.tree_id().map(gix::Id::detach).map_err(backend)
    }

    pub(crate) fn lookup_entry(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        path: &RepoPath,
    ) -> Result<Option<GitEntry>, GitError> {
        let repo = self.repo(repo_id)?;
        let tree = repo.find_object(Self::root_tree(&repo, commit)?).map_err(backend)?.into_tree();
        let Some(entry) = tree.lookup_entry(path.segments()).map_err(backend)? else {
            return Ok(None);
        };
        make_entry(&repo, path.as_str().to_owned(), entry.mode().kind(), entry.object_id())
    }

    pub(crate) fn walk_tree(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        folder: Option<&RepoPath>,
        recursive: bool,
    ) -> Result<Option<Vec<GitEntry>>, GitError> {
        let repo = self.repo(repo_id)?;
        let mut start = Self::root_tree(&repo, commit)?;
        let prefix = match folder {
            None => String::new(),
            Some(path) => {
                let tree = repo.find_object(start).map_err(backend)?.into_tree();
                match tree.lookup_entry(path.segments()).map_err(backend)? {
                    Some(entry) if entry.mode().is_tree() => start = entry.object_id(),
                    _ => return Ok(None),
                }
                format!("{}/", path.as_str())
            }
        };
        let mut entries = Vec::new();
        let mut pending = vec![(start, prefix)];
        while let Some((tree_id, prefix)) = pending.pop() {
            let tree = repo.find_object(tree_id).map_err(backend)?.into_tree();
            let decoded = tree.decode().map_err(backend)?;
            let mut subfolders = Vec::new();
            for item in &decoded.entries {
                let path = format!("{prefix}{}", item.filename.to_str_lossy());
                if recursive && item.mode.is_tree() {
                    subfolders.push((item.oid.to_owned(), format!("{path}/")));
                }
                if let Some(entry) = make_entry(&repo, path, item.mode.kind(), item.oid.to_owned())? {
                    entries.push(entry);
                }
            }
            pending.extend(subfolders.into_iter().rev());
        }
        Ok(Some(entries))
    }

    pub(crate) fn find_last_commits(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        paths: &[String],
    ) -> Result<HashMap<String, CommitInfo>, GitError> {
        let repo = self.repo(repo_id)?;
        let entry_id = |commit_id: gix::ObjectId, path: &str| -> Result<Option<gix::ObjectId>, GitError> {
            let commit_object = repo.find_object(commit_id).map_err(backend)?.try_into_commit().map_err(backend)?;
            let tree = repo.find_object(commit_object.tree_id().map_err(backend)?).map_err(backend)?.into_tree();
            Ok(tree.lookup_entry(path.split('/')).map_err(backend)?.map(|entry| entry.object_id()))
        };
        let mut pending: Vec<(String, Option<gix::ObjectId>)> = Vec::new();
        let mut current = to_gix(commit)?;
        for path in paths {
            pending.push((path.clone(), entry_id(current, path)?));
        }
        let mut found = HashMap::new();
        let mut steps = 0;
        while !pending.is_empty() {
            let commit_object = repo.find_object(current).map_err(backend)?.try_into_commit().map_err(backend)?;
            let parent = commit_object.parent_ids().next().map(gix::Id::detach);
            steps += 1;
            let mut still_pending = Vec::new();
            for (path, id) in pending {
                let changed_here = match parent {
                    Some(parent) if steps < MAX_LAST_COMMIT_WALK => entry_id(parent, &path)? != id,
                    _ => true,
                };
                if changed_here {
                    found.insert(path, from_gix(current));
                } else {
                    still_pending.push((path, id));
                }
            }
            pending = still_pending;
            match parent {
                Some(parent) => current = parent,
                None => break,
            }
        }
        let mut infos = HashMap::new();
        let mut cache: HashMap<ObjectId, CommitInfo> = HashMap::new();
        for (path, commit_id) in found {
            let info = match cache.get(&commit_id) {
                Some(info) => info.clone(),
                None => {
                    let info = self.read_commit(repo_id, &commit_id)?;
                    cache.insert(commit_id, info.clone());
                    info
                }
            };
            infos.insert(path, info);
        }
        Ok(infos)
    }

    pub(crate) fn reachable(
        &self,
        repo_id: &str,
        ancestor: &ObjectId,
        descendant: &ObjectId,
    ) -> Result<bool, GitError> {
        let repo = self.repo(repo_id)?;
        let target = to_gix(ancestor)?;
        let mut queue = VecDeque::from([to_gix(descendant)?]);
        let mut seen = HashSet::new();
        while let Some(id) = queue.pop_front() {
            if id == target {
                return Ok(true);
            }
            if !seen.insert(id) || seen.len() > MAX_ANCESTRY_WALK {
                continue;
            }
            let commit = repo.find_object(id).map_err(backend)?.try_into_commit().map_err(backend)?;
            queue.extend(commit.parent_ids().map(gix::Id::detach));
        }
        Ok(false)
    }
}

fn make_entry(
    repo: &gix::Repository,
    path: String,
    kind: GixKind,
    oid: gix::ObjectId,
) -> Result<Option<GitEntry>, GitError> {
    let entry = match kind {
        GixKind::Tree => GitEntry { path, kind: EntryKind::Directory, oid: from_gix(oid), size: 0 },
        GixKind::Blob | GixKind::BlobExecutable | GixKind::Link => {
            let header = repo.find_header(oid).map_err(backend)?;
            GitEntry { path, kind: EntryKind::File, oid: from_gix(oid), size: header.size() }
        }
        // Submodules have no content in this repo.
        GixKind::Commit => return Ok(None),
    };
    Ok(Some(entry))
}

fn peel_to_commit(repo: &gix::Repository, id: gix::ObjectId) -> Result<Option<ObjectId>, GitError> {
    let Ok(Some(object)) = repo.try_find_object(id) else {
        return Ok(None);
    };
    match object.peel_to_commit() {
        Ok(commit) => Ok(Some(from_gix(commit.id))),
        Err(_) => Ok(None),
    }
}

fn find_ref_commit(repo: &gix::Repository, name: &str) -> Result<Option<ObjectId>, GitError> {
    // Names git refuses (spaces, `..`, ...) cannot exist: treat them as missing, not as errors.
    if gix::refs::FullName::try_from(name).is_err() {
        return Ok(None);
    }
    let Some(mut reference) = repo.try_find_reference(name).map_err(backend)? else {
        return Ok(None);
    };
    let id = reference.peel_to_id().map_err(backend)?;
    peel_to_commit(repo, id.detach())
}
