//! Ref locks and the job queue on SQLite. One process owns a SQLite file, so ref locks are
//! in-process mutexes; jobs are claimed with a single `UPDATE ... RETURNING`, which SQLite's
//! one-writer-at-a-time rule makes exclusive.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::Row;
use stoa_core::coordination::{Coordination, Job, RefLockGuard};
use stoa_core::ports::StoreError;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{SqliteStore, backend};

/// Stripes of in-process ref locks; two repos may share a stripe, which only serialises them.
#[derive(Debug)]
pub(crate) struct RefLocks(Vec<Arc<Mutex<()>>>);

impl RefLocks {
    pub(crate) fn new() -> Self {
        Self((0..64).map(|_| Arc::new(Mutex::new(()))).collect())
    }

    fn stripe(&self, repo_id: &str) -> Arc<Mutex<()>> {
        let hash = repo_id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
        let index = usize::try_from(hash % self.0.len() as u64).unwrap_or_default();
        Arc::clone(&self.0[index])
    }
}

#[derive(Debug)]
struct LocalRefLock(#[expect(dead_code, reason = "held for its Drop")] OwnedMutexGuard<()>);

#[async_trait]
impl RefLockGuard for LocalRefLock {
    async fn release(self: Box<Self>) {}
}

fn job_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: row.try_get("id").map_err(backend)?,
        kind: row.try_get("kind").map_err(backend)?,
        payload: row.try_get("payload").map_err(backend)?,
        attempts: row.try_get("attempts").map_err(backend)?,
    })
}

#[async_trait]
impl Coordination for SqliteStore {
    async fn lock_repo_refs(&self, repo_id: &str) -> Result<Box<dyn RefLockGuard>, StoreError> {
        Ok(Box::new(LocalRefLock(self.ref_locks().stripe(repo_id).lock_owned().await)))
    }

    async fn try_lock_repo_refs(&self, repo_id: &str) -> Result<Option<Box<dyn RefLockGuard>>, StoreError> {
        Ok(self
            .ref_locks()
            .stripe(repo_id)
            .try_lock_owned()
            .ok()
            .map(|guard| Box::new(LocalRefLock(guard)) as Box<dyn RefLockGuard>))
    }

    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        dedup_key: Option<&str>,
        run_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, dedup_key, run_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(kind)
        .bind(payload)
        .bind(dedup_key)
        .bind(run_at)
        .fetch_optional(self.pool())
        .await
        .map_err(backend)?;
        Ok(id)
    }

    async fn claim_job(
        &self,
        kinds: &[&str],
        worker: &str,
        now: i64,
        lease_seconds: i64,
    ) -> Result<Option<Job>, StoreError> {
        let kinds = serde_json::to_string(kinds).map_err(|error| StoreError::Backend(error.to_string()))?;
        let row = sqlx::query(
            "UPDATE jobs SET state = 'running', worker = ?2, lease_until = ?3 + ?4, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE kind IN (SELECT value FROM json_each(?1)) \
                 AND ((state = 'queued' AND run_at <= ?3) OR (state = 'running' AND lease_until < ?3)) \
                 ORDER BY run_at, id LIMIT 1) \
             RETURNING id, kind, payload, attempts",
        )
        .bind(kinds)
        .bind(worker)
        .bind(now)
        .bind(lease_seconds)
        .fetch_optional(self.pool())
        .await
        .map_err(backend)?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn finish_job(&self, job_id: i64, worker: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = ? AND worker = ? AND state = 'running'")
            .bind(job_id)
            .bind(worker)
            .execute(self.pool())
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        job_id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE jobs SET state = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'queued' END, \
                 run_at = COALESCE(?4, run_at), worker = NULL, lease_until = NULL, last_error = ?3 \
             WHERE id = ?1 AND worker = ?2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(worker)
        .bind(error)
        .bind(retry_at)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn release_orphaned_jobs(&self, _node_prefix: &str) -> Result<u64, StoreError> {
        // One process owns a SQLite file: whatever is running belongs to a process that is gone.
        let released =
            sqlx::query("UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL WHERE state = 'running'")
                .execute(self.pool())
                .await
                .map_err(backend)?;
        Ok(released.rows_affected())
    }

    async fn pending_jobs(&self, kind: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = ? AND state <> 'failed'")
            .bind(kind)
            .fetch_one(self.pool())
            .await
            .map_err(backend)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::RefLocks;

    #[test]
    fn a_repo_always_maps_to_the_same_stripe() {
        let locks = RefLocks::new();
        assert!(std::sync::Arc::ptr_eq(&locks.stripe("abc"), &locks.stripe("abc")));
    }
}
