//! [`CollabStore`] for both backends. The statements are written once in the dialect SQLite and
//! PostgreSQL share (`$n` parameters, `ON CONFLICT`, `RETURNING`), and the macro instantiates
//! them for each store's pool and row types.
//!
//! Numbers (discussion numbers, event positions) are `MAX + 1` inside the transaction; on
//! PostgreSQL two concurrent writers may pick the same one, the unique key refuses the second,
//! and it retries with a fresh transaction.

use stoa_core::collab::store::{
    ActivityEntry, ActivityRecord, ActivityScope, CollabStore, Discussion, DiscussionEvent, DiscussionFilter,
    DiscussionStatus, DiscussionUpdate, NewDiscussion, NewEvent, PullRequestEvent,
};
use stoa_core::ports::{Repo, StoreError, User};
use stoa_types::RepoType;

/// Attempts at a numbered insert before giving up (only concurrent writers make it retry).
const NUMBER_ATTEMPTS: usize = 8;

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn json_value(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Backend(format!("stored JSON is invalid: {error}")))
}

fn status(text: &str) -> Result<DiscussionStatus, StoreError> {
    DiscussionStatus::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown discussion status {text}")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn num_from(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

const DISCUSSION_SELECT: &str = "SELECT d.*, u.name AS author, (SELECT COUNT(*) FROM discussion_events e \
     WHERE e.repo_id = d.repo_id AND e.num = d.num AND e.kind = 'comment') AS num_comments \
     FROM discussions d JOIN users u ON u.id = d.author_user_id";
const EVENT_SELECT: &str =
    "SELECT e.*, u.name AS author FROM discussion_events e JOIN users u ON u.id = e.author_user_id";
const ACTIVITY_SELECT: &str = "SELECT a.*, u.name AS actor, r.repo_type, r.namespace, r.name AS repo_name \
     FROM activity a JOIN users u ON u.id = a.actor_user_id JOIN repos r ON r.id = a.repo_id";

macro_rules! collab_store {
    ($store:ty, $row:ty, $db:ty) => {
        use async_trait::async_trait;
        use sqlx::Row;

        use super::*;
        use crate::backend;

        fn discussion_from_row(row: &$row) -> Result<Discussion, StoreError> {
            Ok(Discussion {
                repo_id: row.get("repo_id"),
                num: num_from(row.get("num")),
                is_pull_request: row.get("is_pull_request"),
                title: row.get("title"),
                status: status(row.get("status"))?,
                author_user_id: row.get("author_user_id"),
                author: row.get("author"),
                created_at: row.get("created_at"),
                base_ref: row.get("base_ref"),
                merge_commit: row.get("merge_commit"),
                num_comments: num_from(row.get("num_comments")),
            })
        }

        fn event_from_row(row: &$row) -> Result<DiscussionEvent, StoreError> {
            Ok(DiscussionEvent {
                id: row.get("id"),
                kind: row.get("kind"),
                author_user_id: row.get("author_user_id"),
                author: row.get("author"),
                created_at: row.get("created_at"),
                data: json_value(row.get("data"))?,
            })
        }

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

        fn user_from_row(row: &$row) -> User {
            User {
                id: row.get("id"),
                name: row.get("name"),
                fullname: row.get("fullname"),
                email: row.get("email"),
                created_at: row.get("created_at"),
            }
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

        async fn insert_event(
            connection: &mut <$db as sqlx::Database>::Connection,
            repo_id: &str,
            num: i64,
            event: &NewEvent,
        ) -> Result<(), StoreError> {
            let position: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM discussion_events WHERE repo_id = $1 AND num = $2",
            )
            .bind(repo_id)
            .bind(num)
            .fetch_one(&mut *connection)
            .await
            .map_err(backend)?;
            sqlx::query(
                "INSERT INTO discussion_events (id, repo_id, num, position, kind, author_user_id, created_at, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&event.id)
            .bind(repo_id)
            .bind(num)
            .bind(position)
            .bind(&event.kind)
            .bind(&event.author_user_id)
            .bind(event.created_at)
            .bind(json_text(&event.data))
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

        /// A pull request's `commit` event, when that pull request exists (writers may push
        /// `refs/pr/<num>` refs that no pull request owns).
        pub(crate) async fn insert_pull_request_event(
            connection: &mut <$db as sqlx::Database>::Connection,
            repo_id: &str,
            pr_event: &PullRequestEvent,
        ) -> Result<(), StoreError> {
            let num = to_i64(pr_event.num);
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT num FROM discussions WHERE repo_id = $1 AND num = $2 AND is_pull_request = TRUE")
                    .bind(repo_id)
                    .bind(num)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(backend)?;
            if exists.is_some() {
                insert_event(connection, repo_id, num, &pr_event.event).await?;
            }
            Ok(())
        }

        impl $store {
            /// Inserts with `num`, or with the next free number.
            async fn try_create_discussion(
                &self,
                discussion: &NewDiscussion,
                num: Option<i64>,
                first_event: Option<&NewEvent>,
                activity: &ActivityEntry,
            ) -> Result<i64, StoreError> {
                let mut transaction = self.pool().begin().await.map_err(backend)?;
                let num: i64 = match num {
                    Some(num) => num,
                    None => sqlx::query_scalar("SELECT COALESCE(MAX(num), 0) + 1 FROM discussions WHERE repo_id = $1")
                        .bind(&discussion.repo_id)
                        .fetch_one(&mut *transaction)
                        .await
                        .map_err(backend)?,
                };
                sqlx::query(
                    "INSERT INTO discussions (repo_id, num, is_pull_request, title, status, author_user_id, created_at, base_ref) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&discussion.repo_id)
                .bind(num)
                .bind(discussion.is_pull_request)
                .bind(&discussion.title)
                .bind(discussion.status.as_str())
                .bind(&discussion.author_user_id)
                .bind(discussion.created_at)
                .bind(&discussion.base_ref)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                if let Some(event) = first_event {
                    insert_event(&mut transaction, &discussion.repo_id, num, event).await?;
                }
                let mut activity = activity.clone();
                if let Some(data) = activity.data.as_object_mut() {
                    data.insert("num".to_owned(), num.into());
                }
                insert_activity(&mut transaction, &activity).await?;
                transaction.commit().await.map_err(backend)?;
                Ok(num)
            }

            async fn try_add_event(
                &self,
                repo_id: &str,
                num: i64,
                event: &NewEvent,
                update: &DiscussionUpdate,
                activity: Option<&ActivityEntry>,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.pool().begin().await.map_err(backend)?;
                let current: Option<String> =
                    sqlx::query_scalar("SELECT status FROM discussions WHERE repo_id = $1 AND num = $2")
                        .bind(repo_id)
                        .bind(num)
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(backend)?;
                let Some(current) = current else { return Ok(false) };
                if update.expected_status.is_some_and(|expected| expected.as_str() != current) {
                    return Ok(false);
                }
                // The conditional UPDATE is what settles a race on PostgreSQL: the loser updates
                // no row and writes nothing.
                let updated = sqlx::query(
                    "UPDATE discussions SET title = COALESCE($3, title), status = COALESCE($4, status), \
                     merge_commit = COALESCE($5, merge_commit) WHERE repo_id = $1 AND num = $2 AND status = $6",
                )
                .bind(repo_id)
                .bind(num)
                .bind(&update.title)
                .bind(update.status.map(DiscussionStatus::as_str))
                .bind(&update.merge_commit)
                .bind(&current)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                if updated.rows_affected() == 0 {
                    return Ok(false);
                }
                insert_event(&mut transaction, repo_id, num, event).await?;
                if let Some(activity) = activity {
                    insert_activity(&mut transaction, activity).await?;
                }
                transaction.commit().await.map_err(backend)?;
                Ok(true)
            }
        }

        #[async_trait]
        impl CollabStore for $store {
            async fn create_discussion(
                &self,
                discussion: &NewDiscussion,
                first_event: Option<&NewEvent>,
                activity: &ActivityEntry,
            ) -> Result<u64, StoreError> {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match self.try_create_discussion(discussion, None, first_event, activity).await {
                        Err(StoreError::AlreadyExists) if attempt < NUMBER_ATTEMPTS => {}
                        other => return other.map(num_from),
                    }
                }
            }

            async fn next_discussion_number(&self, repo_id: &str) -> Result<u64, StoreError> {
                let num: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(num), 0) + 1 FROM discussions WHERE repo_id = $1")
                    .bind(repo_id)
                    .fetch_one(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(num_from(num))
            }

            async fn create_numbered_discussion(
                &self,
                discussion: &NewDiscussion,
                num: u64,
                first_event: Option<&NewEvent>,
                activity: &ActivityEntry,
            ) -> Result<(), StoreError> {
                self.try_create_discussion(discussion, Some(to_i64(num)), first_event, activity).await.map(|_| ())
            }

            async fn discussion(&self, repo_id: &str, num: u64) -> Result<Option<Discussion>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{DISCUSSION_SELECT} WHERE d.repo_id = $1 AND d.num = $2")))
                    .bind(repo_id)
                    .bind(to_i64(num))
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                row.as_ref().map(discussion_from_row).transpose()
            }

            async fn list_discussions(
                &self,
                repo_id: &str,
                filter: &DiscussionFilter,
            ) -> Result<(Vec<Discussion>, u64), StoreError> {
                // NULL parameters switch a condition off, so one statement serves every filter.
                let conditions = " WHERE d.repo_id = $1 AND ($2 IS NULL OR d.is_pull_request = $2) \
                     AND ($3 IS NULL OR (d.status IN ('open', 'draft')) = $3) AND ($4 IS NULL OR d.author_user_id = $4)";
                let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM discussions d{conditions}")))
                    .bind(repo_id)
                    .bind(filter.pull_requests)
                    .bind(filter.open)
                    .bind(&filter.author_user_id)
                    .fetch_one(self.pool())
                    .await
                    .map_err(backend)?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{DISCUSSION_SELECT}{conditions} ORDER BY d.num DESC LIMIT $5 OFFSET $6")))
                    .bind(repo_id)
                    .bind(filter.pull_requests)
                    .bind(filter.open)
                    .bind(&filter.author_user_id)
                    .bind(to_i64(filter.limit))
                    .bind(to_i64(filter.offset))
                    .fetch_all(self.pool())
                    .await
                    .map_err(backend)?;
                let discussions = rows.iter().map(discussion_from_row).collect::<Result<_, _>>()?;
                Ok((discussions, num_from(count)))
            }

            async fn discussion_events(&self, repo_id: &str, num: u64) -> Result<Vec<DiscussionEvent>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{EVENT_SELECT} WHERE e.repo_id = $1 AND e.num = $2 ORDER BY e.position")))
                    .bind(repo_id)
                    .bind(to_i64(num))
                    .fetch_all(self.pool())
                    .await
                    .map_err(backend)?;
                rows.iter().map(event_from_row).collect()
            }

            async fn add_discussion_event(
                &self,
                repo_id: &str,
                num: u64,
                event: &NewEvent,
                update: &DiscussionUpdate,
                activity: Option<&ActivityEntry>,
            ) -> Result<bool, StoreError> {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match self.try_add_event(repo_id, to_i64(num), event, update, activity).await {
                        Err(StoreError::AlreadyExists) if attempt < NUMBER_ATTEMPTS => {}
                        other => return other,
                    }
                }
            }

            async fn replace_event_data(
                &self,
                repo_id: &str,
                num: u64,
                event_id: &str,
                data: &serde_json::Value,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE discussion_events SET data = $1 WHERE repo_id = $2 AND num = $3 AND id = $4")
                    .bind(json_text(data))
                    .bind(repo_id)
                    .bind(to_i64(num))
                    .bind(event_id)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(())
            }

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
                let mut transaction = self.pool().begin().await.map_err(backend)?;
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
                let mut transaction = self.pool().begin().await.map_err(backend)?;
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
                Ok(rows.iter().map(|row| (user_from_row(row), row.get("liked_at"))).collect())
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
                let mut transaction = self.pool().begin().await.map_err(backend)?;
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
                let mut transaction = self.pool().begin().await.map_err(backend)?;
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
    collab_store!(crate::SqliteStore, sqlx::sqlite::SqliteRow, sqlx::Sqlite);
}

pub(crate) mod postgres {
    collab_store!(crate::PgStore, sqlx::postgres::PgRow, sqlx::Postgres);
}
