//! Ref locks and the job queue on PostgreSQL, shared by every node.
//!
//! A ref lock is a transaction-scoped advisory lock on a pooled connection: the guard owns the
//! transaction, and ending it (release, drop, or the node's session dying with the node) frees
//! the lock. Waiting for or holding a lock keeps one connection of the store's lock pool busy.
//!
//! Jobs are claimed with `FOR UPDATE SKIP LOCKED`: concurrent claimers on any node each lock a
//! different due row, and a row another claimer just took is re-checked after its commit, so no
//! job is handed out twice.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use stoa_core::coordination::{Coordination, Job, RefLockGuard};
use stoa_core::ports::StoreError;

use crate::{PgStore, backend};

/// A 64-bit advisory-lock key every node computes alike: FNV-1a (stable across builds and
/// platforms, unlike `std`'s hasher) of `namespace` then `name`. Two names sharing a key only
/// serialise each other.
pub(crate) fn lock_key(namespace: &str, name: &str) -> i64 {
    let hash = namespace
        .bytes()
        .chain(name.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    hash.cast_signed()
}

fn ref_lock_key(repo_id: &str) -> i64 {
    lock_key("stoa:refs:", repo_id)
}

#[derive(Debug)]
struct PgRefLock(Transaction<'static, Postgres>);

#[async_trait]
impl RefLockGuard for PgRefLock {
    async fn release(self: Box<Self>) {
        // A failed rollback leaves a broken connection, which the pool closes: the session
        // ends and the lock with it.
        self.0.rollback().await.ok();
    }
}

fn job_from_row(row: &PgRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: row.try_get("id").map_err(backend)?,
        kind: row.try_get("kind").map_err(backend)?,
        payload: row.try_get("payload").map_err(backend)?,
        attempts: row.try_get("attempts").map_err(backend)?,
    })
}

#[async_trait]
impl Coordination for PgStore {
    async fn lock_repo_refs(&self, repo_id: &str) -> Result<Box<dyn RefLockGuard>, StoreError> {
        let mut transaction = self.lock_pool().begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ref_lock_key(repo_id))
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        Ok(Box::new(PgRefLock(transaction)))
    }

    async fn try_lock_repo_refs(&self, repo_id: &str) -> Result<Option<Box<dyn RefLockGuard>>, StoreError> {
        let mut transaction = self.lock_pool().begin().await.map_err(backend)?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(ref_lock_key(repo_id))
            .fetch_one(&mut *transaction)
            .await
            .map_err(backend)?;
        if taken {
            Ok(Some(Box::new(PgRefLock(transaction))))
        } else {
            transaction.rollback().await.map_err(backend)?;
            Ok(None)
        }
    }

    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        dedup_key: Option<&str>,
        run_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        // Without a conflict target, DO NOTHING covers the partial dedup index too.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, dedup_key, run_at, created_at) VALUES ($1, $2, $3, $4, $4) \
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
        let row = sqlx::query(
            "UPDATE jobs SET state = 'running', worker = $2, lease_until = $3 + $4, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE kind = ANY($1) \
                 AND ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3)) \
                 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
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
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND worker = $2 AND state = 'running'")
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
            "UPDATE jobs SET state = CASE WHEN $4::BIGINT IS NULL THEN 'failed' ELSE 'queued' END, \
                 run_at = COALESCE($4, run_at), worker = NULL, lease_until = NULL, last_error = $3 \
             WHERE id = $1 AND worker = $2 AND state = 'running'",
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

    async fn release_orphaned_jobs(&self, node_prefix: &str) -> Result<u64, StoreError> {
        let released = sqlx::query(
            "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL \
             WHERE state = 'running' AND starts_with(worker, $1)",
        )
        .bind(node_prefix)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(released.rows_affected())
    }

    async fn pending_jobs(&self, kind: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state <> 'failed'")
            .bind(kind)
            .fetch_one(self.pool())
            .await
            .map_err(backend)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::lock_key;

    #[test]
    fn lock_keys_are_stable() {
        // Nodes of different builds must agree: the value is pinned.
        assert_eq!(lock_key("", ""), 0xcbf2_9ce4_8422_2325_u64.cast_signed());
        assert_eq!(lock_key("stoa:refs:", "abc"), 3_744_478_921_427_605_896);
        assert_eq!(lock_key("stoa:refs:", "abc"), lock_key("stoa:refs:ab", "c"));
        assert_ne!(lock_key("stoa:refs:", "abc"), lock_key("stoa:refs:", "abd"));
    }
}
