//! [`CommunityStore`] for both backends, written once in their shared dialect (see
//! `discussions_sql.rs`): the activity log, likes, attachments, repo settings, moves with their
//! redirects, and the objects a duplicate shares with its source.

use stoa_core::collab::store::{ActivityEntry, ActivityRecord, ActivityScope, CommunityStore};
use stoa_core::ports::{Repo, StoreError, User};
use stoa_types::RepoType;

use crate::codec::{json_text, json_value, to_i64};

const ACTIVITY_SELECT: &str = "SELECT a.*, u.name AS actor, r.repo_type, r.namespace, r.name AS repo_name \
     FROM activity a JOIN users u ON u.id = a.actor_user_id JOIN repos r ON r.id = a.repo_id";

macro_rules! community_store {
    ($store:ty, $row:ty, $db:ty, $user_from_row:path) => {
        use async_trait::async_trait;
        use sqlx::Row;

        use super::*;
        use crate::backend;

        fn activity_from_row(row: &$row) -> Result<ActivityRecord, StoreError> {
            let type_text: String = row.get("repo_type");
            let repo_type = RepoType::parse(&type_text).map_err(|error| StoreError::Backend(error.to_string()))?;
            let namespace: String = row.get("namespace");
            let name: String = row.get("repo_name");
            Ok(ActivityRecord {
                entry: ActivityEntry {
                    id: row.get("id"),
                    repo_id: row.get("repo_id"),
                    actor_user_id: row.get("actor_user_id"),
                    kind: row.get("kind"),
                    created_at: row.get("created_at"),
                    data: json_value(row.get("data"))?,
                },
                actor: row.get("actor"),
                repo_type,
                repo_name: format!("{namespace}/{name}"),
            })
        }

        pub(crate) async fn insert_activity(
            connection: &mut <$db as sqlx::Database>::Connection,
            entry: &ActivityEntry,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO activity (id, repo_id, actor_user_id, kind, created_at, data) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&entry.id)
            .bind(&entry.repo_id)
            .bind(&entry.actor_user_id)
            .bind(&entry.kind)
            .bind(entry.created_at)
            .bind(json_text(&entry.data))
            .execute(&mut *connection)
            .await
            .map_err(backend)?;
            Ok(())
        }

        async fn recount_likes(
            connection: &mut <$db as sqlx::Database>::Connection,
            repo_id: &str,
        ) -> Result<(), StoreError> {
            sqlx::query("UPDATE repos SET likes = (SELECT COUNT(*) FROM likes WHERE repo_id = $1) WHERE id = $1")
                .bind(repo_id)
                .execute(&mut *connection)
                .await
                .map_err(backend)?;
            Ok(())
        }

        #[async_trait]
        impl CommunityStore for $store {
            async fn record_activity(&self, entry: &ActivityEntry) -> Result<(), StoreError> {
                let mut connection = self.pool().acquire().await.map_err(backend)?;
                insert_activity(&mut connection, entry).await
            }

            async fn list_activity(
                &self,
                scope: &ActivityScope,
                offset: u64,
                limit: u64,
            ) -> Result<Vec<ActivityRecord>, StoreError> {
                let order = " ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3";
                let query = match scope {
                    ActivityScope::Repo(repo_id) => {
                        sqlx::query(sqlx::AssertSqlSafe(format!("{ACTIVITY_SELECT} WHERE a.repo_id = $1{order}")))
                            .bind(repo_id.clone())
                            .bind(to_i64(limit))
                            .bind(to_i64(offset))
                    }
                    ActivityScope::Actor { user_id, viewer_user_id } => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{ACTIVITY_SELECT} WHERE a.actor_user_id = $1 AND (r.private = FALSE OR r.owner_user_id = $4){order}"
                    )))
                    .bind(user_id.clone())
                    .bind(to_i64(limit))
                    .bind(to_i64(offset))
                    .bind(viewer_user_id.clone()),
                };
                let rows = query.fetch_all(self.pool()).await.map_err(backend)?;
                rows.iter().map(activity_from_row).collect()
            }

            async fn like(&self, user_id: &str, repo_id: &str, activity: &ActivityEntry) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let added = sqlx::query(
                    "INSERT INTO likes (user_id, repo_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(user_id)
                .bind(repo_id)
                .bind(activity.created_at)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?
                .rows_affected()
                    > 0;
                if added {
                    recount_likes(&mut transaction, repo_id).await?;
                    insert_activity(&mut transaction, activity).await?;
                }
                transaction.commit().await.map_err(backend)?;
                Ok(added)
            }

            async fn unlike(&self, user_id: &str, repo_id: &str) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let removed = sqlx::query("DELETE FROM likes WHERE user_id = $1 AND repo_id = $2")
                    .bind(user_id)
                    .bind(repo_id)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                    > 0;
                if removed {
                    recount_likes(&mut transaction, repo_id).await?;
                }
                transaction.commit().await.map_err(backend)?;
                Ok(removed)
            }

            async fn likers(&self, repo_id: &str, offset: u64, limit: u64) -> Result<Vec<(User, i64)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT u.*, l.created_at AS liked_at FROM likes l JOIN users u ON u.id = l.user_id \
                     WHERE l.repo_id = $1 ORDER BY l.created_at DESC, u.name LIMIT $2 OFFSET $3",
                )
                .bind(repo_id)
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                Ok(rows.iter().map(|row| ($user_from_row(row), row.get("liked_at"))).collect())
            }

            async fn liked_repos(
                &self,
                user_id: &str,
                viewer_user_id: Option<&str>,
                offset: u64,
                limit: u64,
            ) -> Result<Vec<(Repo, i64)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT r.repo_type, r.repo_key, l.created_at FROM likes l JOIN repos r ON r.id = l.repo_id \
                     WHERE l.user_id = $1 AND (r.private = FALSE OR r.owner_user_id = $2) \
                     ORDER BY l.created_at DESC, r.repo_key LIMIT $3 OFFSET $4",
                )
                .bind(user_id)
                .bind(viewer_user_id)
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                let mut liked = Vec::with_capacity(rows.len());
                for row in &rows {
                    let type_text: String = row.get("repo_type");
                    let repo_type =
                        RepoType::parse(&type_text).map_err(|error| StoreError::Backend(error.to_string()))?;
                    let key: String = row.get("repo_key");
                    if let Some(repo) = self.find_repo(repo_type, &key).await? {
                        liked.push((repo, row.get("created_at")));
                    }
                }
                Ok(liked)
            }

            async fn update_repo_settings(
                &self,
                repo_id: &str,
                private: Option<bool>,
                discussions_disabled: Option<bool>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE repos SET private = COALESCE($2, private), \
                     discussions_disabled = COALESCE($3, discussions_disabled) WHERE id = $1",
                )
                .bind(repo_id)
                .bind(private)
                .bind(discussions_disabled)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn move_repo(&self, repo_id: &str, namespace: &str, name: &str, now: i64) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let old: Option<(String, String)> =
                    sqlx::query_as("SELECT repo_type, repo_key FROM repos WHERE id = $1")
                        .bind(repo_id)
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(backend)?;
                let Some((repo_type, old_key)) = old else {
                    return Err(StoreError::Backend("the repo to move is gone".to_owned()));
                };
                let new_key = format!("{namespace}/{name}").to_ascii_lowercase();
                sqlx::query("UPDATE repos SET namespace = $2, name = $3, repo_key = $4 WHERE id = $1")
                    .bind(repo_id)
                    .bind(namespace)
                    .bind(name)
                    .bind(&new_key)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?;
                // The new name is live again: an old redirect under it would be dead weight.
                sqlx::query("DELETE FROM repo_redirects WHERE repo_type = $1 AND repo_key = $2")
                    .bind(&repo_type)
                    .bind(&new_key)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?;
                if old_key != new_key {
                    sqlx::query(
                        "INSERT INTO repo_redirects (repo_type, repo_key, repo_id, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (repo_type, repo_key) DO UPDATE SET repo_id = excluded.repo_id, created_at = excluded.created_at",
                    )
                    .bind(&repo_type)
                    .bind(&old_key)
                    .bind(repo_id)
                    .bind(now)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?;
                }
                transaction.commit().await.map_err(backend)
            }

            async fn redirected_repo(&self, repo_type: RepoType, key: &str) -> Result<Option<Repo>, StoreError> {
                let target: Option<String> = sqlx::query_scalar(
                    "SELECT r.repo_key FROM repo_redirects x JOIN repos r ON r.id = x.repo_id \
                     WHERE x.repo_type = $1 AND x.repo_key = $2",
                )
                .bind(repo_type.as_str())
                .bind(key.to_ascii_lowercase())
                .fetch_optional(self.pool())
                .await
                .map_err(backend)?;
                match target {
                    Some(key) => self.find_repo(repo_type, &key).await,
                    None => Ok(None),
                }
            }

            async fn record_attachment(&self, oid: &str, extension: &str, user_id: &str, now: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO attachments (oid, extension, uploaded_by, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(oid)
                .bind(extension)
                .bind(user_id)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn attachment_exists(&self, oid: &str, extension: &str) -> Result<bool, StoreError> {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT oid FROM attachments WHERE oid = $1 AND extension = $2")
                        .bind(oid)
                        .bind(extension)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(backend)?;
                Ok(found.is_some())
            }

            async fn share_repo_objects(&self, from_repo_id: &str, to_repo_id: &str) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO repo_lfs_objects (repo_id, oid) SELECT $2, oid FROM repo_lfs_objects WHERE repo_id = $1 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(from_repo_id)
                .bind(to_repo_id)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO repo_xet_files (repo_id, sha256, file_hash) \
                     SELECT $2, sha256, file_hash FROM repo_xet_files WHERE repo_id = $1 ON CONFLICT DO NOTHING",
                )
                .bind(from_repo_id)
                .bind(to_repo_id)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                transaction.commit().await.map_err(backend)
            }
        }
    };
}

pub(crate) mod sqlite {
    community_store!(crate::SqliteStore, sqlx::sqlite::SqliteRow, sqlx::Sqlite, crate::sqlite_users::user_from_row);
}

pub(crate) mod postgres {
    community_store!(crate::PgStore, sqlx::postgres::PgRow, sqlx::Postgres, crate::pg_users::user_from_row);
}
