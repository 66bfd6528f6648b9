//! Repos, listing with search/filter/sort, and download counts.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use stoa_core::ports::{NewRepo, Repo, RepoQuery, RepoSort, StoreError};
use stoa_types::RepoType;

use crate::{SqliteStore, backend, codec};

/// Downloads in the rolling 30-day window, as the Hub's `downloads` field.
const DOWNLOADS_30D: &str =
    "(SELECT COALESCE(SUM(d.count), 0) FROM repo_downloads d WHERE d.repo_id = r.id AND d.day > ";

fn repo_from_row(row: &SqliteRow) -> Result<Repo, StoreError> {
    let type_text: String = row.get("repo_type");
    let repo_type = RepoType::parse(&type_text).map_err(|error| StoreError::Backend(error.to_string()))?;
    let tags = codec::repo_tags(row.get("tags"));
    Ok(Repo {
        id: row.get("id"),
        repo_type,
        namespace: row.get("namespace"),
        name: row.get("name"),
        private: row.get("private"),
        owner_user_id: row.get("owner_user_id"),
        created_at: row.get("created_at"),
        last_modified: row.get("last_modified"),
        downloads_all_time: row.get("downloads_all_time"),
        downloads: row.get("downloads"),
        likes: row.get("likes"),
        discussions_disabled: row.get("discussions_disabled"),
        gated: row.get("gated"),
        tags,
    })
}

fn push_select(builder: &mut QueryBuilder<Sqlite>) {
    builder.push("SELECT r.*, ");
    builder.push(DOWNLOADS_30D);
    builder.push_bind(codec::today() - 30);
    builder.push(") AS downloads, (SELECT GROUP_CONCAT(t.tag, char(31)) FROM (SELECT tag FROM repo_tags WHERE repo_id = r.id ORDER BY position) t) AS tags FROM repos r");
}

impl SqliteStore {
    pub(crate) async fn insert_repo(&self, repo: &NewRepo) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repos (id, repo_type, namespace, name, repo_key, private, owner_user_id, created_at, last_modified) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&repo.id)
        .bind(repo.repo_type.as_str())
        .bind(&repo.namespace)
        .bind(&repo.name)
        .bind(format!("{}/{}", repo.namespace, repo.name).to_ascii_lowercase())
        .bind(repo.private)
        .bind(&repo.owner_user_id)
        .bind(repo.created_at)
        .bind(repo.created_at)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn find_repo(&self, repo_type: RepoType, key: &str) -> Result<Option<Repo>, StoreError> {
        let mut builder = QueryBuilder::new("");
        push_select(&mut builder);
        builder.push(" WHERE r.repo_type = ").push_bind(repo_type.as_str());
        builder.push(" AND r.repo_key = ").push_bind(key.to_ascii_lowercase());
        let row = builder.build().fetch_optional(self.pool()).await.map_err(backend)?;
        row.as_ref().map(repo_from_row).transpose()
    }

    pub(crate) async fn find_repo_by_id(&self, repo_id: &str) -> Result<Option<Repo>, StoreError> {
        let mut builder = QueryBuilder::new("");
        push_select(&mut builder);
        builder.push(" WHERE r.id = ").push_bind(repo_id);
        let row = builder.build().fetch_optional(self.pool()).await.map_err(backend)?;
        row.as_ref().map(repo_from_row).transpose()
    }

    pub(crate) async fn remove_repo(&self, repo_id: &str) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        sqlx::query("DELETE FROM commit_intents WHERE repo_id = ?")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM repos WHERE id = ?")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)
    }

    pub(crate) async fn query_repos(&self, query: &RepoQuery) -> Result<Vec<Repo>, StoreError> {
        let mut builder = QueryBuilder::new("");
        push_select(&mut builder);
        builder.push(" WHERE r.repo_type = ").push_bind(query.repo_type.as_str());
        match &query.viewer_user_id {
            Some(viewer) => {
                builder.push(" AND (r.private = FALSE OR r.owner_user_id = ").push_bind(viewer.clone()).push(")");
            }
            None => {
                builder.push(" AND r.private = FALSE");
            }
        }
        for term in &query.search {
            builder.push(" AND r.repo_key LIKE ").push_bind(codec::like_pattern(term)).push(" ESCAPE '\\'");
        }
        if let Some(author) = &query.author {
            builder.push(" AND LOWER(r.namespace) = ").push_bind(author.to_ascii_lowercase());
        }
        for tag in &query.tags {
            builder
                .push(" AND EXISTS (SELECT 1 FROM repo_tags t WHERE t.repo_id = r.id AND t.tag = ")
                .push_bind(tag.clone())
                .push(")");
        }
        let column = match query.sort {
            RepoSort::LastModified => "r.last_modified",
            RepoSort::CreatedAt => "r.created_at",
            RepoSort::Downloads => "downloads",
            RepoSort::Likes => "r.likes",
            RepoSort::Id => "r.repo_key",
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        builder.push(format!(" ORDER BY {column} {direction}, r.id {direction}"));
        builder.push(" LIMIT ").push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
        builder.push(" OFFSET ").push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = builder.build().fetch_all(self.pool()).await.map_err(backend)?;
        rows.iter().map(repo_from_row).collect()
    }

    pub(crate) async fn increment_downloads(&self, repo_id: &str, day: i64) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO repo_downloads (repo_id, day, count) VALUES (?, ?, 1) \
             ON CONFLICT (repo_id, day) DO UPDATE SET count = repo_downloads.count + 1",
        )
        .bind(repo_id)
        .bind(day)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE repos SET downloads_all_time = downloads_all_time + 1 WHERE id = ?")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)
    }
}
