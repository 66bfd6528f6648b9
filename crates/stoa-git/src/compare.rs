//! Comparing and combining histories: file-level and unified diffs, per-path history, three-way
//! merges of pull requests, commits of an existing tree (merges, super-squash), and copying a
//! repo. Done by the `git` binary where it is the reference (diff, merge-tree, rev-list, clone).

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use stoa_core::ports::{CommitInfo, FileChangeKind, FileDiff, GitError, MergeOutcome, ObjectId, Signature};

use crate::transport::{git, pipe, run};
use crate::{GixStore, backend, from_gix, to_gix};

fn parse_id(text: &str) -> Result<ObjectId, GitError> {
    ObjectId::from_hex(text).ok_or_else(|| GitError::Backend(format!("bad object id from git: {text}")))
}

const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// Sizes of blobs, by id, in one `cat-file --batch-check`.
fn blob_sizes(dir: &Path, ids: &[&str]) -> Result<Vec<u64>, GitError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let request: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let described = pipe(dir, "cat-file", &["cat-file", "--batch-check=%(objectsize)"], request.into_bytes())?;
    String::from_utf8_lossy(&described)
        .lines()
        .map(|line| line.trim().parse().map_err(|_| GitError::Backend(format!("bad cat-file line: {line}"))))
        .collect()
}

impl GixStore {
    /// `git diff-tree -r` between two commits, with blob sizes.
    pub(crate) fn diff_files(&self, repo_id: &str, from: &ObjectId, to: &ObjectId) -> Result<Vec<FileDiff>, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let raw = run(
            "diff-tree",
            git(&dir).args(["diff-tree", "-r", "-z", "--no-renames", "--raw", from.as_str(), to.as_str()]),
        )?;
        // Records: ":<old mode> <new mode> <old id> <new id> <status>\0<path>\0".
        let mut fields = raw.split(|byte| *byte == 0).filter(|field| !field.is_empty());
        let mut diffs = Vec::new();
        let mut ids = Vec::new();
        while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
            let meta = String::from_utf8_lossy(meta);
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, _, old, new, status] = parts[..] else {
                return Err(GitError::Backend(format!("bad diff-tree record: {meta}")));
            };
            let kind = match status {
                "A" => FileChangeKind::Added,
                "D" => FileChangeKind::Deleted,
                _ => FileChangeKind::Modified,
            };
            ids.push((old.to_owned(), new.to_owned()));
            diffs.push(FileDiff {
                path: String::from_utf8_lossy(path).into_owned(),
                kind,
                old_size: None,
                new_size: None,
            });
        }
        let wanted: Vec<&str> =
            ids.iter().flat_map(|(old, new)| [old.as_str(), new.as_str()]).filter(|id| *id != ZERO_ID).collect();
        let mut sizes = blob_sizes(&dir, &wanted)?.into_iter();
        for (diff, (old, new)) in diffs.iter_mut().zip(&ids) {
            if old != ZERO_ID {
                diff.old_size = sizes.next();
            }
            if new != ZERO_ID {
                diff.new_size = sizes.next();
            }
        }
        Ok(diffs)
    }

    /// `git diff` text, cut after `max_bytes` (git is stopped there).
    pub(crate) fn unified_diff(
        &self,
        repo_id: &str,
        from: &ObjectId,
        to: &ObjectId,
        max_bytes: usize,
    ) -> Result<String, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let mut child = git(&dir)
            .args(["diff", "--no-color", "--no-ext-diff", "--no-renames", from.as_str(), to.as_str()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| GitError::Backend(format!("running git diff: {error}")))?;
        let mut text = Vec::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        stdout.take(u64::try_from(max_bytes).unwrap_or(u64::MAX)).read_to_end(&mut text).map_err(backend)?;
        // Past the cut, git may block on a full pipe: stop it rather than wait for it.
        let _ = child.kill();
        let _ = child.wait();
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    /// First-parent history of `start` limited to commits that changed `path`.
    pub(crate) fn path_history(
        &self,
        repo_id: &str,
        start: &ObjectId,
        path: &str,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitInfo>, bool), GitError> {
        let dir = self.repo_dir(repo_id)?;
        let listed = run(
            "rev-list",
            git(&dir)
                .arg("rev-list")
                .arg("--first-parent")
                .arg(format!("--skip={skip}"))
                .arg(format!("--max-count={}", limit + 1))
                .arg(start.as_str())
                .arg("--")
                .arg(format!(":(literal){path}")),
        )?;
        let ids = String::from_utf8_lossy(&listed).lines().map(parse_id).collect::<Result<Vec<_>, _>>()?;
        let has_more = ids.len() > limit;
        let commits = ids.iter().take(limit).map(|id| self.read_commit(repo_id, id)).collect::<Result<Vec<_>, _>>()?;
        Ok((commits, has_more))
    }

    /// Three-way merge of `theirs` into `ours` (`git merge-tree --write-tree`).
    pub(crate) fn merge_trees(
        &self,
        repo_id: &str,
        ours: &ObjectId,
        theirs: &ObjectId,
    ) -> Result<MergeOutcome, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let output = git(&dir)
            .args([
                "merge-tree",
                "--write-tree",
                "--name-only",
                "--no-messages",
                "--allow-unrelated-histories",
                "-z",
                ours.as_str(),
                theirs.as_str(),
            ])
            .stderr(Stdio::piped())
            .output()
            .map_err(|error| GitError::Backend(format!("running git merge-tree: {error}")))?;
        // Exit status 0: clean; 1: conflicts (and the file names after the tree); else an error.
        let conflicted = match output.status.code() {
            Some(0) => false,
            Some(1) => true,
            _ => {
                return Err(GitError::Backend(format!(
                    "git merge-tree failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
        };
        let mut fields = output.stdout.split(|byte| *byte == 0);
        let tree = parse_id(&String::from_utf8_lossy(fields.next().unwrap_or_default()))?;
        if !conflicted {
            return Ok(MergeOutcome::Clean { tree });
        }
        let mut paths: Vec<String> = fields
            .take_while(|field| !field.is_empty())
            .map(|field| String::from_utf8_lossy(field).into_owned())
            .collect();
        paths.dedup();
        Ok(MergeOutcome::Conflicts { paths })
    }

    /// `git merge-base`: `None` for unrelated histories.
    pub(crate) fn merge_base(&self, repo_id: &str, a: &ObjectId, b: &ObjectId) -> Result<Option<ObjectId>, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let output = git(&dir)
            .args(["merge-base", a.as_str(), b.as_str()])
            .output()
            .map_err(|error| GitError::Backend(format!("running git merge-base: {error}")))?;
        match output.status.code() {
            Some(0) => parse_id(String::from_utf8_lossy(&output.stdout).trim()).map(Some),
            Some(1) => Ok(None),
            _ => Err(GitError::Backend(format!(
                "git merge-base failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))),
        }
    }

    /// `git rev-list --max-count=N tip --not [exclude] [--all]`.
    pub(crate) fn new_commits(
        &self,
        repo_id: &str,
        tip: &ObjectId,
        exclude: Option<&ObjectId>,
        exclude_refs: bool,
        limit: usize,
    ) -> Result<Vec<ObjectId>, GitError> {
        let dir = self.repo_dir(repo_id)?;
        let mut command = git(&dir);
        command.args(["rev-list", &format!("--max-count={limit}"), tip.as_str(), "--not"]);
        if let Some(exclude) = exclude {
            command.arg(exclude.as_str());
        }
        if exclude_refs {
            command.arg("--all");
        }
        let listed = run("rev-list", &mut command)?;
        String::from_utf8_lossy(&listed).lines().map(parse_id).collect()
    }

    pub(crate) fn write_empty_tree(&self, repo_id: &str) -> Result<ObjectId, GitError> {
        let repo = self.repo(repo_id)?;
        let tree = repo.write_object(gix::objs::Tree::empty()).map_err(backend)?;
        Ok(from_gix(tree.detach()))
    }

    /// The root tree of a commit.
    pub(crate) fn tree_of(&self, repo_id: &str, commit: &ObjectId) -> Result<ObjectId, GitError> {
        let repo = self.repo(repo_id)?;
        let object = repo.find_object(to_gix(commit)?).map_err(backend)?.try_into_commit().map_err(backend)?;
        Ok(from_gix(object.tree_id().map_err(backend)?.detach()))
    }

    pub(crate) fn commit_of_tree(
        &self,
        repo_id: &str,
        tree: &ObjectId,
        parents: &[ObjectId],
        author: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        let repo = self.repo(repo_id)?;
        let parents = parents.iter().map(to_gix).collect::<Result<Vec<_>, _>>()?;
        let commit = crate::write::write_commit_object(&repo, to_gix(tree)?, parents, author, message)?;
        Ok(from_gix(commit))
    }

    /// A copy of `from` with its branches and tags and their whole history. Objects are
    /// hard-linked where the filesystem allows (they are immutable); the copy appears under its
    /// final name only once complete.
    pub(crate) fn duplicate_repo(&self, from: &str, to: &str) -> Result<(), GitError> {
        let source = self.repo_dir(from)?;
        let target = self.repo_dir(to)?;
        let staging = self.root.join(format!(".tmp-{to}"));
        run(
            "clone",
            std::process::Command::new("git")
                .args(["clone", "--bare", "--quiet"])
                .arg(&source)
                .arg(&staging)
                .env("GIT_TERMINAL_PROMPT", "0")
                .stdin(Stdio::null()),
        )?;
        let finish = || -> Result<(), GitError> {
            run("remote", git(&staging).args(["remote", "remove", "origin"]))?;
            fs::write(staging.join("HEAD"), "ref: refs/heads/main\n").map_err(backend)?;
            fs::rename(&staging, &target).map_err(backend)
        };
        finish().inspect_err(|_| {
            let _ = fs::remove_dir_all(&staging);
        })
    }
}
