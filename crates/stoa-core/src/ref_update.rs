//! The one way a ref moves, shared by API commits, pushes and the branch and tag operations:
//! under the repo's ref lock (held by the caller), a commit intent is recorded, the ref moves by
//! compare-and-swap, and the intent is applied or dropped.

use crate::collab::store::ActivityEntry;
use crate::error::CoreResult;
use crate::hub::Hub;
use crate::ports::{CommitIntent, GitError, ObjectId, StoreError};
use crate::tokens::new_object_id;

/// Attempts at applying an intent whose ref moved. Only a numbering race with a concurrent
/// discussion event (PostgreSQL) makes it retry; the transaction leaves nothing behind.
const APPLY_ATTEMPTS: usize = 5;

/// The intent of a ref moving to a commit whose objects are already in the repo (a merge, a
/// squash, a duplicate's first head): no new large objects to link, only what follows the move.
pub(crate) fn intent_for_existing_objects(
    repo_id: &str,
    ref_name: &str,
    commit: &ObjectId,
    tags: Option<Vec<String>>,
    activity: ActivityEntry,
) -> CommitIntent {
    CommitIntent {
        id: new_object_id(),
        repo_id: repo_id.to_owned(),
        ref_name: ref_name.to_owned(),
        new_commit: commit.to_string(),
        lfs_oids: Vec::new(),
        committed_at: stoa_types::time::now_unix(),
        is_default_branch: ref_name == "refs/heads/main",
        tags,
        xet_files: Vec::new(),
        pr_event: None,
        activity: Some(activity),
    }
}

impl Hub {
    /// Applies an intent whose ref moved (live or recovered): its metadata, and the scan of its
    /// commit queued in the same transaction, so no commit that landed goes unscanned.
    /// `previous`: the ref's target before the move, when known, so that every commit the move
    /// brings is scanned (a push of several commits), not only the new head.
    pub(crate) async fn apply_intent(&self, intent: &CommitIntent, previous: Option<&ObjectId>) -> CoreResult<()> {
        let since = previous.map(ObjectId::to_string);
        let jobs = [crate::scan::scan_commit_job(&intent.repo_id, &intent.new_commit, since.as_deref())];
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.meta.apply_commit_intent(intent, &jobs).await {
                Err(StoreError::AlreadyExists) if attempt < APPLY_ATTEMPTS => {}
                Ok(()) => {
                    self.jobs_queued.notify_one();
                    return Ok(());
                }
                other => return Ok(other?),
            }
        }
    }

    /// Moves `name` from `expected` to `new` (`None`: absent). `Ok(false)` when the ref is not at
    /// `expected`, which for a creation includes a ref that already exists, even at `new` (git
    /// itself would call that done). The caller holds the repo's ref lock.
    pub(crate) async fn swap_ref(
        &self,
        repo_id: &str,
        name: &str,
        expected: Option<ObjectId>,
        new: Option<ObjectId>,
        intent: Option<&CommitIntent>,
    ) -> CoreResult<bool> {
        if let Some(intent) = intent {
            self.enforce_reject_policy(repo_id, &intent.new_commit).await?;
            self.meta.record_commit_intent(intent).await?;
        }
        let (repo_id, name) = (repo_id.to_owned(), name.to_owned());
        let previous = expected.clone();
        let moved = self
            .blocking(move |git| {
                if expected.is_none() && git.ref_target(&repo_id, &name)?.is_some() {
                    return Ok(false);
                }
                match git.update_ref(&repo_id, &name, expected.as_ref(), new.as_ref()) {
                    Ok(()) => Ok(true),
                    Err(GitError::HeadMoved) => Ok(false),
                    Err(other) => Err(other.into()),
                }
            })
            .await;
        let Some(intent) = intent else { return moved };
        match moved {
            Ok(true) => self.apply_intent(intent, previous.as_ref()).await.map(|()| true),
            Ok(false) => Ok(self.meta.discard_commit_intent(&intent.id).await.map(|()| false)?),
            Err(error) => {
                self.meta.discard_commit_intent(&intent.id).await?;
                Err(error)
            }
        }
    }
}
