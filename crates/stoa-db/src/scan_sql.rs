//! [`ScanStore`] for both backends, written once in their shared dialect (see
//! `discussions_sql.rs`): cached verdicts per file content, scanned commits, quarantined files
//! and per-namespace policies.

use stoa_core::ports::StoreError;
use stoa_core::scan::store::{Quarantine, ScanStore, StoredFileScan, StoredPolicy};

/// Keys per `IN (...)` list, well under both backends' parameter limits.
const KEYS_PER_QUERY: usize = 500;

macro_rules! scan_store {
    ($store:ty, $db:ty) => {
        use async_trait::async_trait;
        use sqlx::Row;

        use super::*;
        use crate::backend;

        fn quarantine_from_row(row: &<$db as sqlx::Database>::Row) -> Quarantine {
            Quarantine { path: row.get("path"), reason: row.get("reason"), created_at: row.get("created_at") }
        }

        #[async_trait]
        impl ScanStore for $store {
            async fn file_scans(&self, content_keys: &[String]) -> Result<Vec<(String, StoredFileScan)>, StoreError> {
                let mut found = Vec::new();
                for keys in content_keys.chunks(KEYS_PER_QUERY) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(
                        "SELECT content_key, scanner_version, status, report FROM file_scans WHERE content_key IN (",
                    );
                    let mut list = query.separated(", ");
                    for key in keys {
                        list.push_bind(key);
                    }
                    query.push(")");
                    for row in query.build().fetch_all(self.pool()).await.map_err(backend)? {
                        found.push((
                            row.get("content_key"),
                            StoredFileScan {
                                scanner_version: row.get("scanner_version"),
                                status: row.get("status"),
                                report: row.get("report"),
                            },
                        ));
                    }
                }
                Ok(found)
            }

            async fn put_file_scan(
                &self,
                content_key: &str,
                scan: &StoredFileScan,
                now: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO file_scans (content_key, scanner_version, status, report, scanned_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (content_key) DO UPDATE SET \
                     scanner_version = excluded.scanner_version, status = excluded.status, \
                     report = excluded.report, scanned_at = excluded.scanned_at",
                )
                .bind(content_key)
                .bind(scan.scanner_version)
                .bind(&scan.status)
                .bind(&scan.report)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn commit_scan(&self, repo_id: &str, commit: &str) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar("SELECT summary FROM commit_scans WHERE repo_id = $1 AND commit_id = $2")
                    .bind(repo_id)
                    .bind(commit)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)
            }

            async fn put_commit_scan(
                &self,
                repo_id: &str,
                commit: &str,
                summary: &str,
                now: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO commit_scans (repo_id, commit_id, summary, scanned_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (repo_id, commit_id) DO UPDATE SET summary = excluded.summary, \
                     scanned_at = excluded.scanned_at",
                )
                .bind(repo_id)
                .bind(commit)
                .bind(summary)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn quarantine_file(
                &self,
                repo_id: &str,
                content_key: &str,
                path: &str,
                reason: &str,
                now: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO quarantined_files (repo_id, content_key, path, reason, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repo_id, content_key) DO NOTHING",
                )
                .bind(repo_id)
                .bind(content_key)
                .bind(path)
                .bind(reason)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn quarantined(&self, repo_id: &str, content_key: &str) -> Result<Option<Quarantine>, StoreError> {
                let row = sqlx::query(
                    "SELECT path, reason, created_at FROM quarantined_files \
                     WHERE repo_id = $1 AND content_key = $2 AND released_at IS NULL",
                )
                .bind(repo_id)
                .bind(content_key)
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
                Ok(row.as_ref().map(quarantine_from_row))
            }

            async fn quarantined_xet_file(
                &self,
                repo_id: &str,
                file_hash: &str,
            ) -> Result<Option<Quarantine>, StoreError> {
                let row = sqlx::query(
                    "SELECT q.path, q.reason, q.created_at FROM quarantined_files q \
                     JOIN repo_xet_files x ON x.repo_id = q.repo_id AND q.content_key = 'lfs:' || x.sha256 \
                     WHERE q.repo_id = $1 AND x.file_hash = $2 AND q.released_at IS NULL",
                )
                .bind(repo_id)
                .bind(file_hash)
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
                Ok(row.as_ref().map(quarantine_from_row))
            }

            async fn release_quarantine(&self, repo_id: &str, path: &str, now: i64) -> Result<bool, StoreError> {
                let released = sqlx::query(
                    "UPDATE quarantined_files SET released_at = $3 \
                     WHERE repo_id = $1 AND path = $2 AND released_at IS NULL",
                )
                .bind(repo_id)
                .bind(path)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(released.rows_affected() > 0)
            }

            async fn scan_policy(&self, namespace: &str) -> Result<Option<StoredPolicy>, StoreError> {
                let row = sqlx::query("SELECT dangerous, unscannable FROM scan_policies WHERE namespace = $1")
                    .bind(namespace)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(row.map(|row| StoredPolicy { dangerous: row.get("dangerous"), unscannable: row.get("unscannable") }))
            }

            async fn set_scan_policy(&self, namespace: &str, policy: &StoredPolicy) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO scan_policies (namespace, dangerous, unscannable) VALUES ($1, $2, $3) \
                     ON CONFLICT (namespace) DO UPDATE SET dangerous = excluded.dangerous, \
                     unscannable = excluded.unscannable",
                )
                .bind(namespace)
                .bind(&policy.dangerous)
                .bind(&policy.unscannable)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }
        }
    };
}

pub(crate) mod sqlite {
    scan_store!(crate::SqliteStore, sqlx::Sqlite);
}

pub(crate) mod postgres {
    scan_store!(crate::PgStore, sqlx::Postgres);
}
