//! Writing: repo creation and deletion, commit objects, and compare-and-swap ref updates.

use std::fs;

use gix::objs::tree::EntryKind as GixKind;
use gix::refs::Target;
use gix::refs::transaction::{PreviousValue, RefEdit};
use stoa_core::ports::{BlobSource, GitError, ObjectId, Signature, TreeChange};
use stoa_types::RepoPath;

use crate::{GixStore, backend, from_gix, to_gix};

fn gix_signature(signature: &Signature) -> gix::actor::Signature {
    gix::actor::Signature {
        name: signature.name.as_str().into(),
        email: signature.email.as_str().into(),
        time: gix::date::Time { seconds: signature.time, offset: 0 },
    }
}

fn full_name(name: &str) -> Result<gix::refs::FullName, GitError> {
    gix::refs::FullName::try_from(name).map_err(backend)
}

fn write_tree_changes(
    repo: &gix::Repository,
    base_tree: gix::ObjectId,
    changes: Vec<TreeChange>,
) -> Result<gix::ObjectId, GitError> {
    let mut editor = repo.edit_tree(base_tree).map_err(backend)?;
    for change in changes {
        match change {
            TreeChange::Upsert { path, blob } => {
                let id = match blob {
                    BlobSource::Bytes(bytes) => repo.write_blob(bytes).map_err(backend)?,
                    BlobSource::File(file) => {
                        let reader = fs::File::open(file).map_err(backend)?;
                        repo.write_blob_stream(reader).map_err(backend)?
                    }
                };
                editor.upsert(path.as_str(), GixKind::Blob, id.detach()).map_err(backend)?;
            }
            TreeChange::Delete { path } => {
                editor.remove(path.as_str()).map_err(backend)?;
            }
        }
    }
    Ok(editor.write().map_err(backend)?.detach())
}

pub(crate) fn write_commit_object(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    parents: Vec<gix::ObjectId>,
    author: &Signature,
    message: &str,
) -> Result<gix::ObjectId, GitError> {
    let signature = gix_signature(author);
    let commit = gix::objs::Commit {
        tree,
        parents: parents.into_iter().collect(),
        author: signature.clone(),
        committer: signature,
        encoding: None,
        message: message.into(),
        extra_headers: Vec::new(),
    };
    Ok(repo.write_object(&commit).map_err(backend)?.detach())
}

impl GixStore {
    /// Writes an annotated tag object (no ref).
    pub(crate) fn write_tag_object(
        &self,
        repo_id: &str,
        name: &str,
        target: &ObjectId,
        tagger: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        let repo = self.repo(repo_id)?;
        let tag = gix::objs::Tag {
            target: to_gix(target)?,
            target_kind: gix::objs::Kind::Commit,
            name: name.into(),
            tagger: Some(gix_signature(tagger)),
            message: message.into(),
            signature: None,
        };
        Ok(from_gix(repo.write_object(&tag).map_err(backend)?.detach()))
    }

    pub(crate) fn create_repo(
        &self,
        repo_id: &str,
        files: Vec<(RepoPath, Vec<u8>)>,
        author: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        let final_dir = self.repo_dir(repo_id)?;
        let staging = self.root.join(format!(".tmp-{repo_id}"));
        let repo = gix::init_bare(&staging).map_err(backend)?;
        // HEAD names the default branch explicitly, whatever git's configured default is.
        fs::write(staging.join("HEAD"), "ref: refs/heads/main\n").map_err(backend)?;
        let changes = files
            .into_iter()
            .map(|(path, bytes)| TreeChange::Upsert { path, blob: BlobSource::Bytes(bytes) })
            .collect();
        let empty_tree = gix::ObjectId::empty_tree(gix::hash::Kind::Sha1);
        let tree = write_tree_changes(&repo, empty_tree, changes)?;
        let commit = write_commit_object(&repo, tree, Vec::new(), author, message)?;
        let edit = RefEdit::update(
            full_name("refs/heads/main")?,
            Target::Object(commit),
            PreviousValue::MustNotExist,
            "create",
        );
        repo.edit_references_as(Some(edit), Some(gix_signature(author).to_ref(&mut Default::default())))
            .map_err(backend)?;
        drop(repo);
        // The repo appears under its final name only once complete.
        fs::rename(&staging, &final_dir).map_err(backend)?;
        Ok(from_gix(commit))
    }

    pub(crate) fn delete_repo(&self, repo_id: &str) -> Result<(), GitError> {
        let dir = self.repo_dir(repo_id)?;
        self.forget(repo_id);
        let trash = self.root.join(format!(".trash-{repo_id}"));
        match fs::rename(&dir, &trash) {
            Ok(()) => fs::remove_dir_all(&trash).map_err(backend),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(backend(error)),
        }
    }

    pub(crate) fn write_commit_objects(
        &self,
        repo_id: &str,
        parent: &ObjectId,
        changes: Vec<TreeChange>,
        author: &Signature,
        message: &str,
    ) -> Result<Option<ObjectId>, GitError> {
        let repo = self.repo(repo_id)?;
        let parent_id = to_gix(parent)?;
        let parent_commit = repo.find_object(parent_id).map_err(backend)?.try_into_commit().map_err(backend)?;
        let base_tree = parent_commit.tree_id().map_err(backend)?.detach();
        let tree = write_tree_changes(&repo, base_tree, changes)?;
        if tree == base_tree {
            return Ok(None);
        }
        let commit = write_commit_object(&repo, tree, vec![parent_id], author, message)?;
        Ok(Some(from_gix(commit)))
    }

    pub(crate) fn compare_and_swap_ref(
        &self,
        repo_id: &str,
        ref_name: &str,
        expected: Option<&ObjectId>,
        new: Option<&ObjectId>,
    ) -> Result<(), GitError> {
        let repo = self.repo(repo_id)?;
        let previous = match expected {
            Some(expected) => PreviousValue::MustExistAndMatch(Target::Object(to_gix(expected)?)),
            None => PreviousValue::MustNotExist,
        };
        let edit = match new {
            Some(new) => RefEdit::update(full_name(ref_name)?, Target::Object(to_gix(new)?), previous, "push"),
            None => RefEdit::delete(full_name(ref_name)?, previous),
        };
        // The caller holds the repo's ref lock, so a lock file already there was left by a
        // writer that died mid-update (on any node): it is removed and the update tried again.
        let lock_file = self.repo_dir(repo_id)?.join(format!("{ref_name}.lock"));
        let mut result = repo.edit_references_as(Some(edit.clone()), None);
        if result.is_err() && fs::symlink_metadata(&lock_file).is_ok() {
            tracing::warn!(path = %lock_file.display(), "removing stale ref lock");
            fs::remove_file(&lock_file).map_err(backend)?;
            result = repo.edit_references_as(Some(edit), None);
        }
        match result {
            Ok(_) => Ok(()),
            // A mismatch and a lock held by a concurrent writer both mean "someone else moved
            // first": the caller rebuilds on the new head.
            Err(error) => {
                let current = self.read_ref(repo_id, ref_name)?;
                if current.as_ref() == expected && !error.to_string().contains("lock") {
                    Err(backend(error))
                } else {
                    Err(GitError::HeadMoved)
                }
            }
        }
    }
}
