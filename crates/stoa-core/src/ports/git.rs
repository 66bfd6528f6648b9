//! The git store port: bare repositories addressed by Stoa's internal repo id, and the values
//! that cross it.

use std::fmt::Debug;
use std::path::PathBuf;

use stoa_types::RepoPath;

use super::{GitError, ObjectId};

/// Where a blob's bytes come from when it is written into git.
#[derive(Debug)]
pub enum BlobSource {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// One change of a commit, already validated.
#[derive(Debug)]
pub enum TreeChange {
    Upsert { path: RepoPath, blob: BlobSource },
    Delete { path: RepoPath },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
}

/// A tree entry as git stores it.
#[derive(Debug, Clone)]
pub struct GitEntry {
    pub path: String,
    pub kind: EntryKind,
    pub oid: ObjectId,
    /// Blob size in bytes (0 for directories).
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub title: String,
    pub message: String,
    pub time: i64,
    /// The author's name as git records it (Stoa writes the Hub user name there).
    pub author: String,
}

/// A ref as git stores it; `peeled` is the commit an annotated tag points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRef {
    pub name: String,
    pub target: ObjectId,
    pub peeled: Option<ObjectId>,
}

impl GitRef {
    /// The commit the ref names, through an annotated tag if need be.
    #[must_use]
    pub fn commit(&self) -> &ObjectId {
        self.peeled.as_ref().unwrap_or(&self.target)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChangeKind {
    Added,
    Modified,
    Deleted,
}

/// A file that differs between two commits; sizes are absent on the side where it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub kind: FileChangeKind,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    Clean { tree: ObjectId },
    Conflicts { paths: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub time: i64,
}

/// A blob brought by a push.
#[derive(Debug, Clone)]
pub struct PushedBlob {
    pub path: String,
    pub size: u64,
    /// The content, for small blobs.
    pub content: Option<Vec<u8>>,
}

/// A revision resolved to a commit.
#[derive(Debug, Clone)]
pub struct ResolvedRevision {
    pub commit: ObjectId,
    /// Full ref name when the revision named a branch or PR ref (commits can only be added there).
    pub branch_ref: Option<String>,
}

/// The git store: bare repositories addressed by Stoa's internal repo id. Methods block; the
/// domain calls them from a blocking thread.
pub trait GitStore: Send + Sync + Debug {
    /// Creates the bare repo with one commit on `refs/heads/main`.
    fn create(
        &self,
        repo_id: &str,
        files: Vec<(RepoPath, Vec<u8>)>,
        author: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError>;
    fn delete(&self, repo_id: &str) -> Result<(), GitError>;
    /// Branch, tag, `refs/pr/N`, full or short (≥ 5 hex) commit id.
    fn resolve(&self, repo_id: &str, revision: &str) -> Result<Option<ResolvedRevision>, GitError>;
    fn commit_info(&self, repo_id: &str, commit: &ObjectId) -> Result<CommitInfo, GitError>;
    /// Lists a folder (`None` = root). `Ok(None)` when the path is missing or not a folder.
    fn list_tree(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        folder: Option<&RepoPath>,
        recursive: bool,
    ) -> Result<Option<Vec<GitEntry>>, GitError>;
    fn entry(&self, repo_id: &str, commit: &ObjectId, path: &RepoPath) -> Result<Option<GitEntry>, GitError>;
    fn read_blob(&self, repo_id: &str, oid: &ObjectId) -> Result<Vec<u8>, GitError>;
    /// Writes the objects of a commit on top of `parent` without moving any ref. `Ok(None)`
    /// when the resulting tree equals the parent's (nothing to commit).
    fn write_commit(
        &self,
        repo_id: &str,
        parent: &ObjectId,
        changes: Vec<TreeChange>,
        author: &Signature,
        message: &str,
    ) -> Result<Option<ObjectId>, GitError>;
    /// Moves `ref_name` from `expected` to `new` atomically (compare-and-swap); `None` as
    /// `expected` creates the ref (it must not exist), `None` as `new` deletes it. Fails with
    /// [`GitError::HeadMoved`] if the ref is not at `expected`. The caller holds the repo's ref
    /// lock ([`crate::coordination::Coordination::lock_repo_refs`]), so the store may treat a
    /// leftover ref lock file as a dead writer's.
    fn update_ref(
        &self,
        repo_id: &str,
        ref_name: &str,
        expected: Option<&ObjectId>,
        new: Option<&ObjectId>,
    ) -> Result<(), GitError>;
    /// Every branch, tag, `refs/pr/N` and `refs/convert/*`, with its target.
    fn list_refs(&self, repo_id: &str) -> Result<Vec<GitRef>, GitError>;
    /// The first-parent history from `start`, newest first: `limit` commits after skipping
    /// `skip`, and whether older ones remain.
    fn history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitInfo>, bool), GitError>;
    /// Adds the objects of a pack (as received from `git push`, possibly thin) to the repo,
    /// without moving any ref.
    fn ingest_pack(&self, repo_id: &str, pack: &std::path::Path) -> Result<(), GitError>;
    /// The blobs reachable from `tip` and from no ref: what a push brings. Blobs up to
    /// `read_up_to` bytes come with their content (to find LFS pointers).
    fn new_blobs(&self, repo_id: &str, tip: &ObjectId, read_up_to: u64) -> Result<Vec<PushedBlob>, GitError>;
    /// Writes an annotated tag object pointing at `target`, without creating its ref.
    fn write_tag(
        &self,
        repo_id: &str,
        name: &str,
        target: &ObjectId,
        tagger: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError>;
    /// The bare repository's directory, for git's own wire protocol (served by spawning git).
    fn transport_dir(&self, repo_id: &str) -> Result<PathBuf, GitError>;
    /// Current target of a full ref name.
    fn ref_target(&self, repo_id: &str, ref_name: &str) -> Result<Option<ObjectId>, GitError>;
    /// For each path, the newest commit in the first-parent history of `commit` that changed it
    /// (the tree listing's `lastCommit`). Paths unchanged within the walk limit get the oldest
    /// commit examined.
    fn last_commits(
        &self,
        repo_id: &str,
        commit: &ObjectId,
        paths: &[String],
    ) -> Result<std::collections::HashMap<String, CommitInfo>, GitError>;
    /// The files that differ between two commits, with their sizes.
    fn diff_files(&self, repo_id: &str, from: &ObjectId, to: &ObjectId) -> Result<Vec<FileDiff>, GitError>;
    /// The unified diff of two commits as `git diff` prints it, cut after `max_bytes`.
    fn unified_diff(&self, repo_id: &str, from: &ObjectId, to: &ObjectId, max_bytes: usize)
    -> Result<String, GitError>;
    /// The first-parent history of `start` limited to commits that changed `path`.
    fn path_history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        path: &str,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitInfo>, bool), GitError>;
    /// Three-way merge of `theirs` into `ours` from their merge base; writes the merged tree.
    fn merge_trees(&self, repo_id: &str, ours: &ObjectId, theirs: &ObjectId) -> Result<MergeOutcome, GitError>;
    /// The best common ancestor of two commits; `None` for unrelated histories.
    fn merge_base(&self, repo_id: &str, a: &ObjectId, b: &ObjectId) -> Result<Option<ObjectId>, GitError>;
    /// Writes the empty tree (for branches that start with no files).
    fn empty_tree(&self, repo_id: &str) -> Result<ObjectId, GitError>;
    fn tree_of(&self, repo_id: &str, commit: &ObjectId) -> Result<ObjectId, GitError>;
    /// Writes a commit of an existing tree (no ref moves).
    fn commit_of_tree(
        &self,
        repo_id: &str,
        tree: &ObjectId,
        parents: &[ObjectId],
        author: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError>;
    /// Copies a repo's branches and tags with their history under a new internal id.
    fn duplicate(&self, from_repo_id: &str, to_repo_id: &str) -> Result<(), GitError>;
    /// Whether `ancestor` is reachable from `descendant` (or equal to it).
    fn is_ancestor(&self, repo_id: &str, ancestor: &ObjectId, descendant: &ObjectId) -> Result<bool, GitError>;
    /// Commits reachable from `tip` and not from `exclude` (nor from any ref with `exclude_refs`),
    /// newest first, at most `limit`: what a ref move brings.
    fn new_commits(
        &self,
        repo_id: &str,
        tip: &ObjectId,
        exclude: Option<&ObjectId>,
        exclude_refs: bool,
        limit: usize,
    ) -> Result<Vec<ObjectId>, GitError>;
}
