//! [`DiscussionStore`] for both backends. The statements are written once in the dialect SQLite
//! and PostgreSQL share (`$n` parameters, `ON CONFLICT`, `RETURNING`), and the macro instantiates
//! them for each store's pool and row types.
//!
//! Numbers (discussion numbers, event positions) are `MAX + 1` inside a transaction that first
//! locks the repo's row (PostgreSQL; SQLite write transactions exclude each other anyway), so
//! concurrent writers to one repo take turns. A unique key still guards every number, and the
//! loser of any remaining race retries with a fresh transaction.

use stoa_core::collab::store::{
    ActivityEntry, Discussion, DiscussionEvent, DiscussionFilter, DiscussionStatus, DiscussionStore, DiscussionUpdate,
    NewDiscussion, NewEvent, PullRequestEvent,
};
use stoa_core::ports::StoreError;

use crate::codec::{json_text, json_value, num_from, to_i64};

/// Attempts at a numbered insert before giving up (only concurrent writers make it retry).
const NUMBER_ATTEMPTS: usize = 8;

fn status(text: &str) -> Result<DiscussionStatus, StoreError> {
    DiscussionStatus::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown discussion status {text}")))
}

const DISCUSSION_SELECT: &str = "SELECT d.*, u.name AS author, (SELECT COUNT(*) FROM discussion_events e \
     WHERE e.repo_id = d.repo_id AND e.num = d.num AND e.kind = 'comment') AS num_comments \
     FROM discussions d JOIN users u ON u.id = d.author_user_id";
const EVENT_SELECT: &str =
    "SELECT e.*, u.name AS author FROM discussion_events e JOIN users u ON u.id = e.author_user_id";

macro_rules! discussion_store {
    ($store:ty, $row:ty, $db:ty, $lock_repo:literal, $insert_activity:path) => {
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

        /// Serialises the numbering of one repo's discussions and events (a row lock on
        /// PostgreSQL; SQLite's write transaction already excludes every other writer).
        async fn lock_repo(
            connection: &mut <$db as sqlx::Database>::Connection,
            repo_id: &str,
        ) -> Result<(), StoreError> {
            sqlx::query($lock_repo).bind(repo_id).execute(&mut *connection).await.map_err(backend)?;
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
            lock_repo(&mut *connection, repo_id).await?;
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
                let mut transaction = self.begin_write().await?;
                lock_repo(&mut transaction, &discussion.repo_id).await?;
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
                $insert_activity(&mut transaction, &activity).await?;
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
                let mut transaction = self.begin_write().await?;
                lock_repo(&mut transaction, repo_id).await?;
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
                    $insert_activity(&mut transaction, activity).await?;
                }
                transaction.commit().await.map_err(backend)?;
                Ok(true)
            }
        }

        #[async_trait]
        impl DiscussionStore for $store {
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
        }
    };
}

pub(crate) mod sqlite {
    discussion_store!(
        crate::SqliteStore,
        sqlx::sqlite::SqliteRow,
        sqlx::Sqlite,
        "SELECT 1 FROM repos WHERE id = $1",
        crate::community_sql::sqlite::insert_activity
    );
}

pub(crate) mod postgres {
    discussion_store!(
        crate::PgStore,
        sqlx::postgres::PgRow,
        sqlx::Postgres,
        "SELECT 1 FROM repos WHERE id = $1 FOR NO KEY UPDATE",
        crate::community_sql::postgres::insert_activity
    );
}
