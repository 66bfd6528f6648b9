//! Xet CAS metadata: xorbs, registered files and their segments, per-repo grants and mappings.

use async_trait::async_trait;
use sqlx::Row;
use stoa_core::ports::StoreError;
use stoa_core::xet::store::{RegisteredFile, SegmentRecord, XetMetaStore, XorbChunk, XorbRecord};
use stoa_xet::XetHash;

use crate::{SqliteStore, backend};

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend("value out of range".to_owned()))
}

fn hash_of(text: &str) -> Result<XetHash, StoreError> {
    XetHash::parse_hex(text).ok_or_else(|| StoreError::Backend(format!("stored Xet hash '{text}' is invalid")))
}

#[async_trait]
impl XetMetaStore for SqliteStore {
    async fn xorb(&self, hash: &XetHash) -> Result<Option<XorbRecord>, StoreError> {
        let row = sqlx::query("SELECT stored_bytes, chunk_table FROM xet_xorbs WHERE hash = ?")
            .bind(hash.hex())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let table: Vec<u8> = row.get("chunk_table");
        let chunks = XorbChunk::decode_table(&table)
            .ok_or_else(|| StoreError::Backend(format!("chunk table of xorb {hash} is damaged")))?;
        let stored: i64 = row.get("stored_bytes");
        Ok(Some(XorbRecord { hash: *hash, stored_bytes: u64::try_from(stored).unwrap_or_default(), chunks }))
    }

    async fn record_xorb(&self, record: &XorbRecord, repo_id: &str, user_id: &str, now: i64) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO xet_xorbs (hash, stored_bytes, chunk_table, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(record.hash.hex())
        .bind(to_i64(record.stored_bytes)?)
        .bind(XorbChunk::encode_table(&record.chunks))
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO xet_xorb_refs (xorb_hash, repo_id, user_id, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (xorb_hash, repo_id) DO NOTHING",
        )
        .bind(record.hash.hex())
        .bind(repo_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
        transaction.commit().await.map_err(backend)
    }

    async fn xorb_visible(&self, hash: &XetHash, repo_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM xet_xorb_refs WHERE xorb_hash = ? AND (repo_id = ? OR user_id = ?) LIMIT 1",
        )
        .bind(hash.hex())
        .bind(repo_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await
        .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn register_files(&self, repo_id: &str, files: &[RegisteredFile], now: i64) -> Result<usize, StoreError> {
        let mut transaction = self.begin_write().await?;
        let mut new_files = 0;
        for file in files {
            let inserted = sqlx::query(
                "INSERT INTO xet_files (file_hash, size, created_at) VALUES (?, ?, ?) ON CONFLICT (file_hash) DO NOTHING",
            )
            .bind(file.file_hash.hex())
            .bind(to_i64(file.size)?)
            .bind(now)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted > 0 {
                new_files += 1;
                for (index, segment) in file.segments.iter().enumerate() {
                    // Checked inside the transaction: a concurrent sweep may have removed it.
                    let present: Option<i64> = sqlx::query_scalar("SELECT 1 FROM xet_xorbs WHERE hash = ?")
                        .bind(segment.xorb.hex())
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(backend)?;
                    if present.is_none() {
                        return Err(StoreError::Backend(format!("xorb {} was collected meanwhile", segment.xorb)));
                    }
                    sqlx::query(
                        "INSERT INTO xet_file_segments (file_hash, idx, xorb_hash, chunk_start, chunk_end, unpacked_bytes, file_offset) \
                         VALUES (?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(file.file_hash.hex())
                    .bind(i64::try_from(index).unwrap_or(i64::MAX))
                    .bind(segment.xorb.hex())
                    .bind(i64::from(segment.chunk_start))
                    .bind(i64::from(segment.chunk_end))
                    .bind(to_i64(segment.unpacked_bytes)?)
                    .bind(to_i64(segment.file_offset)?)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?;
                }
            }
            if let Some(sha256) = &file.sha256 {
                sqlx::query(
                    "INSERT INTO xet_upload_grants (repo_id, sha256, file_hash, size, created_at) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (repo_id, sha256) DO UPDATE SET file_hash = excluded.file_hash, size = excluded.size",
                )
                .bind(repo_id)
                .bind(sha256)
                .bind(file.file_hash.hex())
                .bind(to_i64(file.size)?)
                .bind(now)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
            }
        }
        transaction.commit().await.map_err(backend)?;
        Ok(new_files)
    }

    async fn xet_file(&self, file_hash: &XetHash) -> Result<Option<(u64, Vec<SegmentRecord>)>, StoreError> {
        let size: Option<i64> = sqlx::query_scalar("SELECT size FROM xet_files WHERE file_hash = ?")
            .bind(file_hash.hex())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        let Some(size) = size else { return Ok(None) };
        let rows = sqlx::query("SELECT * FROM xet_file_segments WHERE file_hash = ? ORDER BY idx")
            .bind(file_hash.hex())
            .fetch_all(self.pool())
            .await
            .map_err(backend)?;
        let mut segments = Vec::with_capacity(rows.len());
        for row in rows {
            let xorb: String = row.get("xorb_hash");
            let (start, end): (i64, i64) = (row.get("chunk_start"), row.get("chunk_end"));
            let (bytes, offset): (i64, i64) = (row.get("unpacked_bytes"), row.get("file_offset"));
            segments.push(SegmentRecord {
                xorb: hash_of(&xorb)?,
                chunk_start: u32::try_from(start).unwrap_or_default(),
                chunk_end: u32::try_from(end).unwrap_or_default(),
                unpacked_bytes: u64::try_from(bytes).unwrap_or_default(),
                file_offset: u64::try_from(offset).unwrap_or_default(),
            });
        }
        Ok(Some((u64::try_from(size).unwrap_or_default(), segments)))
    }

    async fn xet_file_for_sha256(&self, repo_id: &str, sha256: &str) -> Result<Option<(XetHash, u64)>, StoreError> {
        let row = sqlx::query(
            "SELECT file_hash, size FROM xet_upload_grants WHERE repo_id = ?1 AND sha256 = ?2 \
             UNION ALL SELECT m.file_hash, f.size FROM repo_xet_files m JOIN xet_files f ON f.file_hash = m.file_hash \
             WHERE m.repo_id = ?1 AND m.sha256 = ?2 LIMIT 1",
        )
        .bind(repo_id)
        .bind(sha256)
        .fetch_optional(self.pool())
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let hash: String = row.get(0);
        let size: i64 = row.get(1);
        Ok(Some((hash_of(&hash)?, u64::try_from(size).unwrap_or_default())))
    }

    async fn repo_xet_file(&self, repo_id: &str, sha256: &str) -> Result<Option<XetHash>, StoreError> {
        let hash: Option<String> =
            sqlx::query_scalar("SELECT file_hash FROM repo_xet_files WHERE repo_id = ? AND sha256 = ?")
                .bind(repo_id)
                .bind(sha256)
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
        hash.as_deref().map(hash_of).transpose()
    }

    async fn record_dedup_chunks(&self, entries: &[(XetHash, XetHash)]) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        for (chunk, xorb) in entries {
            sqlx::query("INSERT INTO xet_dedup_chunks (chunk_hash, xorb_hash) VALUES (?, ?) ON CONFLICT (chunk_hash) DO NOTHING")
                .bind(chunk.hex())
                .bind(xorb.hex())
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
        }
        transaction.commit().await.map_err(backend)
    }

    async fn dedup_xorb(&self, chunk: &XetHash) -> Result<Option<XetHash>, StoreError> {
        let xorb: Option<String> = sqlx::query_scalar("SELECT xorb_hash FROM xet_dedup_chunks WHERE chunk_hash = ?")
            .bind(chunk.hex())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        xorb.as_deref().map(hash_of).transpose()
    }

    async fn sibling_xorbs(&self, xorb: &XetHash, limit: u32) -> Result<Vec<XetHash>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT s2.xorb_hash FROM xet_file_segments s1 JOIN xet_file_segments s2 ON s1.file_hash = s2.file_hash \
             WHERE s1.xorb_hash = ? GROUP BY s2.xorb_hash ORDER BY MIN(s2.file_offset) LIMIT ?",
        )
        .bind(xorb.hex())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(backend)?;
        let mut xorbs = vec![*xorb];
        for row in rows {
            let hash = hash_of(&row)?;
            if hash != *xorb {
                xorbs.push(hash);
            }
        }
        Ok(xorbs)
    }

    async fn repo_xet_files(
        &self,
        repo_id: &str,
        sha256s: &[String],
    ) -> Result<std::collections::HashMap<String, XetHash>, StoreError> {
        let mut found = std::collections::HashMap::new();
        // Bounded batches keep each statement under SQLite's parameter limit.
        for batch in sha256s.chunks(500) {
            let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT sha256, file_hash FROM repo_xet_files WHERE repo_id = ",
            );
            builder.push_bind(repo_id).push(" AND sha256 IN (");
            let mut separated = builder.separated(", ");
            for sha256 in batch {
                separated.push_bind(sha256.clone());
            }
            builder.push(")");
            for row in builder.build().fetch_all(self.pool()).await.map_err(backend)? {
                let (sha256, file_hash): (String, String) = (row.get(0), row.get(1));
                found.insert(sha256, hash_of(&file_hash)?);
            }
        }
        Ok(found)
    }

    async fn collect_garbage(
        &self,
        grants_before: i64,
        xorbs_before: i64,
        dry_run: bool,
    ) -> Result<stoa_core::xet::store::GcReport, StoreError> {
        self.sweep_xet(grants_before, xorbs_before, dry_run).await
    }

    async fn repo_reads_xet_file(
        &self,
        repo_id: &str,
        file_hash: &XetHash,
        include_grants: bool,
    ) -> Result<bool, StoreError> {
        let committed: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM repo_xet_files WHERE repo_id = ? AND file_hash = ? LIMIT 1")
                .bind(repo_id)
                .bind(file_hash.hex())
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
        if committed.is_some() || !include_grants {
            return Ok(committed.is_some());
        }
        let granted: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM xet_upload_grants WHERE repo_id = ? AND file_hash = ? LIMIT 1")
                .bind(repo_id)
                .bind(file_hash.hex())
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
        Ok(granted.is_some())
    }
}

impl SqliteStore {
    /// The sweep behind [`XetMetaStore::collect_garbage`]. One write transaction: SQLite runs
    /// write transactions one at a time, so a shard registration either sees a xorb row before
    /// the sweep removes it (and its segments then protect it) or finds it gone and fails.
    pub(crate) async fn sweep_xet(
        &self,
        grants_before: i64,
        xorbs_before: i64,
        dry_run: bool,
    ) -> Result<stoa_core::xet::store::GcReport, StoreError> {
        let mut transaction = self.begin_write().await?;
        let expired_grants = sqlx::query(
            "DELETE FROM xet_upload_grants WHERE created_at <= ? AND NOT EXISTS \
             (SELECT 1 FROM repo_xet_files m WHERE m.repo_id = xet_upload_grants.repo_id AND m.sha256 = xet_upload_grants.sha256)",
        )
        .bind(grants_before)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?
        .rows_affected();
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT file_hash FROM xet_files f WHERE \
             NOT EXISTS (SELECT 1 FROM repo_xet_files m WHERE m.file_hash = f.file_hash) AND \
             NOT EXISTS (SELECT 1 FROM xet_upload_grants g WHERE g.file_hash = f.file_hash)",
        )
        .fetch_all(&mut *transaction)
        .await
        .map_err(backend)?;
        for file in &files {
            sqlx::query("DELETE FROM xet_files WHERE file_hash = ?")
                .bind(file)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
        }
        let xorbs: Vec<String> = sqlx::query_scalar(
            "SELECT hash FROM xet_xorbs x WHERE created_at <= ? AND \
             NOT EXISTS (SELECT 1 FROM xet_file_segments s WHERE s.xorb_hash = x.hash)",
        )
        .bind(xorbs_before)
        .fetch_all(&mut *transaction)
        .await
        .map_err(backend)?;
        for xorb in &xorbs {
            sqlx::query("DELETE FROM xet_dedup_chunks WHERE xorb_hash = ?")
                .bind(xorb)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
            sqlx::query("DELETE FROM xet_xorbs WHERE hash = ?")
                .bind(xorb)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
            sqlx::query("DELETE FROM xet_xorb_refs WHERE xorb_hash = ?")
                .bind(xorb)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
        }
        if dry_run {
            transaction.rollback().await.map_err(backend)?;
        } else {
            transaction.commit().await.map_err(backend)?;
        }
        Ok(stoa_core::xet::store::GcReport {
            expired_grants,
            files: files.iter().map(|text| hash_of(text)).collect::<Result<_, _>>()?,
            xorbs: xorbs.iter().map(|text| hash_of(text)).collect::<Result<_, _>>()?,
        })
    }
}
