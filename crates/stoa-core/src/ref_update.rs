//! The one way a ref moves, shared by API commits, pushes and the branch and tag operations:
//! under the repo's ref lock (held by the caller), a commit intent is recorded, the ref moves by
//! compare-and-swap, and the intent is applied or dropped.

use crate::error::CoreResult;
use crate::hub::Hub;
use crate::ports::{CommitIntent, GitError, ObjectId};

impl Hub {
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
            self.meta.record_commit_intent(intent).await?;
        }
        let (repo_id, name) = (repo_id.to_owned(), name.to_owned());
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
            Ok(true) => Ok(self.meta.apply_commit_intent(intent).await.map(|()| true)?),
            Ok(false) => Ok(self.meta.discard_commit_intent(&intent.id).await.map(|()| false)?),
            Err(error) => {
                self.meta.discard_commit_intent(&intent.id).await?;
                Err(error)
            }
        }
    }
}
