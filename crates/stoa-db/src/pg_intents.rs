//! LFS object registry and commit intents (the PostgreSQL port of `sqlite_intents.rs`).

use sqlx::Row;
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{CommitIntent, StoreError};

use crate::pg_xet::share_sweep_lock;
use crate::{PgStore, backend, codec};

impl PgStore {
    pub(crate) async fn insert_lfs_object(&self, oid: &Sha256Oid, size: u64, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO lfs_objects (oid, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (oid) DO NOTHING")
            .bind(oid.as_str())
            .bind(i64::try_from(size).map_err(|_| StoreError::Backend("object too large".to_owned()))?)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn find_lfs_object(&self, oid: &Sha256Oid) -> Result<Option<u64>, StoreError> {
        let size: Option<i64> = sqlx::query_scalar("SELECT size FROM lfs_objects WHERE oid = $1")
            .bind(oid.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        Ok(size.and_then(|size| u64::try_from(size).ok()))
    }

    pub(crate) async fn lfs_linked(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM repo_lfs_objects WHERE repo_id = $1 AND oid = $2")
            .bind(repo_id)
            .bind(oid.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        Ok(found.is_some())
    }

    pub(crate) async fn insert_lfs_grant(&self, repo_id: &str, oid: &Sha256Oid, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO lfs_upload_grants (repo_id, oid, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (repo_id, oid) DO NOTHING",
        )
        .bind(repo_id)
        .bind(oid.as_str())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn lfs_referencable(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM lfs_upload_grants WHERE repo_id = $1 AND oid = $2 \
             UNION SELECT 1 FROM repo_lfs_objects WHERE repo_id = $1 AND oid = $2",
        )
        .bind(repo_id)
        .bind(oid.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(backend)?;
        Ok(found.is_some())
    }

    pub(crate) async fn insert_intent(&self, intent: &CommitIntent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO commit_intents (id, repo_id, ref_name, new_commit, lfs_oids, committed_at, is_default_branch, tags, xet_files, activity, pr_event) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&intent.id)
        .bind(&intent.repo_id)
        .bind(&intent.ref_name)
        .bind(&intent.new_commit)
        .bind(codec::encode_oids(&intent.lfs_oids))
        .bind(intent.committed_at)
        .bind(intent.is_default_branch)
        .bind(codec::encode_intent_tags(intent.tags.as_ref()))
        .bind(codec::encode_xet_files(&intent.xet_files))
        .bind(codec::encode_activity(intent.activity.as_ref()))
        .bind(codec::encode_pr_event(intent.pr_event.as_ref()))
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// One transaction: link the LFS objects, bump last-modified, replace tags, drop the intent.
    pub(crate) async fn apply_intent(
        &self,
        intent: &CommitIntent,
        jobs: &[stoa_core::coordination::NewJob],
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(backend)?;
        if !intent.xet_files.is_empty() {
            // The Xet files it maps must not be swept between their check and this commit.
            share_sweep_lock(&mut transaction).await?;
        }
        // SQLite applies one intent at a time; here concurrent applies to one repo queue on its
        // row, so the tags of the later one replace the earlier's instead of merging with them.
        sqlx::query("SELECT 1 FROM repos WHERE id = $1 FOR NO KEY UPDATE")
            .bind(&intent.repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        for oid in &intent.lfs_oids {
            sqlx::query(
                "INSERT INTO repo_lfs_objects (repo_id, oid) VALUES ($1, $2) ON CONFLICT (repo_id, oid) DO NOTHING",
            )
            .bind(&intent.repo_id)
            .bind(oid)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        }
        for (sha256, file_hash) in &intent.xet_files {
            sqlx::query(
                "INSERT INTO repo_xet_files (repo_id, sha256, file_hash) VALUES ($1, $2, $3) \
                 ON CONFLICT (repo_id, sha256) DO UPDATE SET file_hash = excluded.file_hash",
            )
            .bind(&intent.repo_id)
            .bind(sha256)
            .bind(file_hash)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        }
        if intent.is_default_branch {
            sqlx::query("UPDATE repos SET last_modified = GREATEST(last_modified, $1) WHERE id = $2")
                .bind(intent.committed_at)
                .bind(&intent.repo_id)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
        }
        if let Some(tags) = &intent.tags {
            sqlx::query("DELETE FROM repo_tags WHERE repo_id = $1")
                .bind(&intent.repo_id)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
            for (position, tag) in tags.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO repo_tags (repo_id, position, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&intent.repo_id)
                .bind(i32::try_from(position).unwrap_or(i32::MAX))
                .bind(tag)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
            }
        }
        if let Some(activity) = &intent.activity {
            crate::community_sql::postgres::insert_activity(&mut transaction, activity).await?;
        }
        if let Some(pr_event) = &intent.pr_event {
            crate::discussions_sql::postgres::insert_pull_request_event(&mut transaction, &intent.repo_id, pr_event)
                .await?;
        }
        for job in jobs {
            sqlx::query(
                "INSERT INTO jobs (kind, payload, dedup_key, run_at, created_at) VALUES ($1, $2, $3, $4, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&job.kind)
            .bind(&job.payload)
            .bind(&job.dedup_key)
            .bind(job.run_at)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        }
        sqlx::query("DELETE FROM commit_intents WHERE id = $1")
            .bind(&intent.id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)
    }

    pub(crate) async fn remove_intent(&self, intent_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM commit_intents WHERE id = $1")
            .bind(intent_id)
            .execute(self.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn list_intents(&self) -> Result<Vec<CommitIntent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM commit_intents ORDER BY committed_at")
            .fetch_all(self.pool())
            .await
            .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|row| {
                let oids: String = row.get("lfs_oids");
                CommitIntent {
                    id: row.get("id"),
                    repo_id: row.get("repo_id"),
                    ref_name: row.get("ref_name"),
                    new_commit: row.get("new_commit"),
                    lfs_oids: codec::decode_oids(&oids),
                    committed_at: row.get("committed_at"),
                    is_default_branch: row.get("is_default_branch"),
                    xet_files: codec::decode_xet_files(row.get("xet_files")),
                    activity: codec::decode_activity(row.get("activity")),
                    pr_event: codec::decode_pr_event(row.get("pr_event")),
                    tags: codec::decode_intent_tags(row.get("tags")),
                }
            })
            .collect())
    }
}
