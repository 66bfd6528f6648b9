//! What several Stoa nodes sharing one metadata store need to agree on: who may move a repo's
//! refs right now, and who runs each background job. Both live in the metadata store so that a
//! crashed node's claims end with its database session (locks) or its lease (jobs).

use async_trait::async_trait;

use crate::ports::StoreError;

/// Held while a node moves refs of one repository. Every ref update (API commits, and later git
/// pushes) happens under it, so compare-and-swap on the ref files never races across nodes and a
/// leftover `.lock` file found under it can only be a crashed writer's.
///
/// Dropping the guard releases the lock (possibly a moment later, when the store notices);
/// [`RefLockGuard::release`] releases it at once.
#[async_trait]
pub trait RefLockGuard: Send + std::fmt::Debug {
    async fn release(self: Box<Self>);
}

/// A job claimed by one worker until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// Opaque to the queue (JSON by convention).
    pub payload: String,
    /// How many times it was claimed, this claim included.
    pub attempts: i32,
}

/// A job queued together with something else (a commit intent's application): it exists exactly
/// when that change does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    /// As for [`Coordination::enqueue_job`].
    pub dedup_key: Option<String>,
    pub run_at: i64,
}

/// Locks and the job queue.
#[async_trait]
pub trait Coordination: Send + Sync + std::fmt::Debug {
    /// Waits for the repo's ref lock.
    async fn lock_repo_refs(&self, repo_id: &str) -> Result<Box<dyn RefLockGuard>, StoreError>;
    /// Takes the repo's ref lock if nobody holds it.
    async fn try_lock_repo_refs(&self, repo_id: &str) -> Result<Option<Box<dyn RefLockGuard>>, StoreError>;

    /// Queues a job to run at or after `run_at` (unix seconds). With a `dedup_key`, a job of the
    /// same kind and key that is still queued or running makes this a no-op returning `None`.
    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        dedup_key: Option<&str>,
        run_at: i64,
    ) -> Result<Option<i64>, StoreError>;
    /// Claims the oldest due job of one of `kinds` that no live lease holds: each job is handed
    /// to exactly one claimer at a time, across every node. A lease that expires (its worker
    /// died) makes the job claimable again.
    async fn claim_job(
        &self,
        kinds: &[&str],
        worker: &str,
        now: i64,
        lease_seconds: i64,
    ) -> Result<Option<Job>, StoreError>;
    /// Marks a claimed job done (it leaves the queue). `false` if the worker no longer holds it.
    async fn finish_job(&self, job_id: i64, worker: &str) -> Result<bool, StoreError>;
    /// Gives a claimed job back: retried at `retry_at`, or dropped into the failed state when
    /// `None`; the error text is kept for operators.
    async fn fail_job(&self, job_id: i64, worker: &str, error: &str, retry_at: Option<i64>)
    -> Result<bool, StoreError>;
    /// Makes the running jobs of a previous incarnation of this node claimable at once
    /// (workers named `{node}:{pid}`, `node_prefix` = `{node}:`), instead of after their lease.
    /// Returns how many were released.
    async fn release_orphaned_jobs(&self, node_prefix: &str) -> Result<u64, StoreError>;
    /// Jobs of a kind still queued or running (for tests and the admin view).
    async fn pending_jobs(&self, kind: &str) -> Result<u64, StoreError>;
}
