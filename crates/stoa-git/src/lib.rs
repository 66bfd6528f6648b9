//! [`GixStore`]: the git store of Stoa. Each repo is a bare repository under
//! `<root>/<internal repo id>.git`, named by an id that never changes so renames stay cheap.
//! Objects are written before any ref points at them, and refs move with a lock-file
//! compare-and-swap, so a killed process never leaves a ref to a missing object.

mod compare;
mod read;
mod transport;
mod write;

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use stoa_core::ports::{GitError, ObjectId};

/// Bare repositories under one folder, opened once and shared between threads.
#[derive(Debug)]
pub struct GixStore {
    root: PathBuf,
    open: Mutex<OpenRepos>,
}

/// Opened repositories, most recently opened last. Bounded: an open gix repository holds
/// configuration, file handles and caches (about 150 KB measured with 10,000 repos), and
/// reopening one costs far less than a request.
#[derive(Debug, Default)]
struct OpenRepos {
    repos: HashMap<String, gix::ThreadSafeRepository>,
    order: VecDeque<String>,
}

const MAX_OPEN_REPOS: usize = 64;

pub(crate) fn backend(error: impl std::fmt::Display) -> GitError {
    GitError::Backend(error.to_string())
}

pub(crate) fn to_gix(id: &ObjectId) -> Result<gix::ObjectId, GitError> {
    gix::ObjectId::from_hex(id.as_str().as_bytes()).map_err(backend)
}

pub(crate) fn from_gix(id: impl Into<gix::ObjectId>) -> ObjectId {
    let hex = id.into().to_hex().to_string();
    ObjectId::from_hex(&hex).expect("gix prints lower-case 40-hex ids for SHA-1 repos")
}

impl GixStore {
    /// Opens the store, creating its folder, and removes old leftovers of interrupted
    /// operations.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(root)?;
        // Absolute, because git processes are started on repo paths from other directories.
        let store = Self { root: fs::canonicalize(root)?, open: Mutex::default() };
        store.clean_interrupted()?;
        Ok(store)
    }

    pub(crate) fn repo_dir(&self, repo_id: &str) -> Result<PathBuf, GitError> {
        let safe = !repo_id.is_empty() && repo_id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !safe {
            return Err(GitError::Backend(format!("invalid internal repo id '{repo_id}'")));
        }
        Ok(self.root.join(format!("{repo_id}.git")))
    }

    pub(crate) fn repo(&self, repo_id: &str) -> Result<gix::Repository, GitError> {
        if let Some(repo) = self.open.lock().expect("the open-repo table is never poisoned").repos.get(repo_id) {
            return Ok(repo.to_thread_local());
        }
        // Opened outside the lock: opening reads files, and other repos need not wait for it.
        let dir = self.repo_dir(repo_id)?;
        let shared = gix::open(dir).map_err(backend)?.into_sync();
        let mut open = self.open.lock().expect("the open-repo table is never poisoned");
        if !open.repos.contains_key(repo_id) {
            while open.repos.len() >= MAX_OPEN_REPOS {
                let Some(oldest) = open.order.pop_front() else { break };
                open.repos.remove(&oldest);
            }
            open.order.push_back(repo_id.to_owned());
            open.repos.insert(repo_id.to_owned(), shared.clone());
        }
        Ok(shared.to_thread_local())
    }

    pub(crate) fn forget(&self, repo_id: &str) {
        let mut open = self.open.lock().expect("the open-repo table is never poisoned");
        open.repos.remove(repo_id);
        open.order.retain(|id| id != repo_id);
    }

    /// Half-created and half-deleted repo folders of writers that died. Several nodes may share
    /// the folder, so only leftovers older than any live operation are removed; stale ref
    /// locks are removed under the repo's ref lock instead (see `compare_and_swap_ref`).
    fn clean_interrupted(&self) -> std::io::Result<()> {
        let cutoff = std::time::SystemTime::now() - LEFTOVER_AGE;
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry.metadata()?.modified().is_ok_and(|modified| modified < cutoff);
            if old && (name.starts_with(".tmp-") || name.starts_with(".trash-")) {
                fs::remove_dir_all(entry.path())?;
            }
        }
        Ok(())
    }
}

/// Longer than any repo creation or deletion takes.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

impl stoa_core::ports::GitStore for GixStore {
    fn create(
        &self,
        repo_id: &str,
        files: Vec<(stoa_types::RepoPath, Vec<u8>)>,
        author: &stoa_core::ports::Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        self.create_repo(repo_id, files, author, message)
    }

    fn delete(&self, repo_id: &str) -> Result<(), GitError> {
        self.delete_repo(repo_id)
    }

    fn resolve(&self, repo_id: &str, revision: &str) -> Result<Option<stoa_core::ports::ResolvedRevision>, GitError> {
        self.resolve_revision(repo_id, revision)
    }

    fn commit_info(&self, repo_id: &str, commit: &ObjectId) -> Result<stoa_core::ports::CommitInfo, GitError> {
        self.read_commit(repo_id, commit)
    }

    fn list_tree(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        folder: Option<&stoa_types::RepoPath>,
        recursive: bool,
    ) -> Result<Option<Vec<stoa_core::ports::GitEntry>>, GitError> {
        self.walk_tree(repo_id, commit, folder, recursive)
    }

    fn entry(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        path: &stoa_types::RepoPath,
    ) -> Result<Option<stoa_core::ports::GitEntry>, GitError> {
        self.lookup_entry(repo_id, commit, path)
    }

    fn read_blob(&self, repo_id: &str, oid: &ObjectId) -> Result<Vec<u8>, GitError> {
        self.read_blob_bytes(repo_id, oid)
    }

    fn write_commit(
        &self,
        repo_id: &str,
        parent: &ObjectId,
        changes: Vec<stoa_core::ports::TreeChange>,
        author: &stoa_core::ports::Signature,
        message: &str,
    ) -> Result<Option<ObjectId>, GitError> {
        self.write_commit_objects(repo_id, parent, changes, author, message)
    }

    fn update_ref(
        &self,
        repo_id: &str,
        ref_name: &str,
        expected: Option<&ObjectId>,
        new: Option<&ObjectId>,
    ) -> Result<(), GitError> {
        self.compare_and_swap_ref(repo_id, ref_name, expected, new)
    }

    fn list_refs(&self, repo_id: &str) -> Result<Vec<stoa_core::ports::GitRef>, GitError> {
        self.all_refs(repo_id)
    }

    fn history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<stoa_core::ports::CommitInfo>, bool), GitError> {
        self.first_parent_history(repo_id, start, skip, limit)
    }

    fn ingest_pack(&self, repo_id: &str, pack: &Path) -> Result<(), GitError> {
        transport::index_pack(&self.repo_dir(repo_id)?, pack)
    }

    fn new_blobs(
        &self,
        repo_id: &str,
        tip: &ObjectId,
        read_up_to: u64,
    ) -> Result<Vec<stoa_core::ports::PushedBlob>, GitError> {
        transport::new_blobs(&self.repo_dir(repo_id)?, tip, read_up_to)
    }

    fn write_tag(
        &self,
        repo_id: &str,
        name: &str,
        target: &ObjectId,
        tagger: &stoa_core::ports::Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        self.write_tag_object(repo_id, name, target, tagger, message)
    }

    fn transport_dir(&self, repo_id: &str) -> Result<PathBuf, GitError> {
        self.repo_dir(repo_id)
    }

    fn ref_target(&self, repo_id: &str, ref_name: &str) -> Result<Option<ObjectId>, GitError> {
        self.read_ref(repo_id, ref_name)
    }

    fn last_commits(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        paths: &[String],
    ) -> Result<std::collections::HashMap<String, stoa_core::ports::CommitInfo>, GitError> {
        self.find_last_commits(repo_id, commit, paths)
    }

    fn diff_files(
        &self,
        repo_id: &str,
        from: &ObjectId,
        to: &ObjectId,
    ) -> Result<Vec<stoa_core::ports::FileDiff>, GitError> {
        GixStore::diff_files(self, repo_id, from, to)
    }

    fn unified_diff(
        &self,
        repo_id: &str,
        from: &ObjectId,
        to: &ObjectId,
        max_bytes: usize,
    ) -> Result<String, GitError> {
        GixStore::unified_diff(self, repo_id, from, to, max_bytes)
    }

    fn path_history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        path: &str,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<stoa_core::ports::CommitInfo>, bool), GitError> {
        GixStore::path_history(self, repo_id, start, path, skip, limit)
    }

    fn merge_trees(
        &self,
        repo_id: &str,
        ours: &ObjectId,
        theirs: &ObjectId,
    ) -> Result<stoa_core::ports::MergeOutcome, GitError> {
        GixStore::merge_trees(self, repo_id, ours, theirs)
    }

    fn merge_base(&self, repo_id: &str, a: &ObjectId, b: &ObjectId) -> Result<Option<ObjectId>, GitError> {
        GixStore::merge_base(self, repo_id, a, b)
    }

    fn empty_tree(&self, repo_id: &str) -> Result<ObjectId, GitError> {
        GixStore::write_empty_tree(self, repo_id)
    }

    fn tree_of(&self, repo_id: &str, commit: &ObjectId) -> Result<ObjectId, GitError> {
        GixStore::tree_of(self, repo_id, commit)
    }

    fn commit_of_tree(
        &self,
        repo_id: &str,
        tree: &ObjectId,
        parents: &[ObjectId],
        author: &stoa_core::ports::Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        GixStore::commit_of_tree(self, repo_id, tree, parents, author, message)
    }

    fn duplicate(&self, from_repo_id: &str, to_repo_id: &str) -> Result<(), GitError> {
        self.duplicate_repo(from_repo_id, to_repo_id)
    }

    fn is_ancestor(&self, repo_id: &str, ancestor: &ObjectId, descendant: &ObjectId) -> Result<bool, GitError> {
        self.reachable(repo_id, ancestor, descendant)
    }

    fn new_commits(
        &self,
        repo_id: &str,
        tip: &ObjectId,
        exclude: Option<&ObjectId>,
        exclude_refs: bool,
        limit: usize,
    ) -> Result<Vec<ObjectId>, GitError> {
        GixStore::new_commits(self, repo_id, tip, exclude, exclude_refs, limit)
    }
}

#[cfg(test)]
mod tests {
    use stoa_core::ports::{GitStore, Signature};
    use stoa_types::RepoPath;

    use super::*;

    #[test]
    fn the_open_repo_table_stays_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = GixStore::open(dir.path()).expect("opens");
        let author = Signature { name: "a".to_owned(), email: "a@x".to_owned(), time: 0 };
        let file = || vec![(RepoPath::parse("a.txt").expect("valid"), b"a".to_vec())];
        for index in 0..(MAX_OPEN_REPOS + 20) {
            let id = format!("repo{index}");
            store.create(&id, file(), &author, "init").expect("created");
            // Resolving a tag (not a branch) opens the repository.
            assert!(store.resolve(&id, "v1").expect("resolves").is_none());
        }
        let open = store.open.lock().expect("not poisoned");
        assert_eq!(open.repos.len(), MAX_OPEN_REPOS);
        assert_eq!(open.order.len(), MAX_OPEN_REPOS);
    }
}
