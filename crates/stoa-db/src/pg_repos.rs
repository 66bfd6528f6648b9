//! Repos, listing with search/filter/sort, and download counts (the PostgreSQL port of
//! `sqlite_repos.rs`).

use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use stoa_core::ports::{NewRepo, Repo, RepoQuery, RepoSort, StoreError};
use stoa_types::RepoType;

use crate::{PgStore, backend, codec};

fn repo_from_row(row: &PgRow) -> Result<Repo, StoreError> {
    let type_text: String = row.get("repo_type");
    let repo_type = RepoType::parse(&type_text).map_err(|error| StoreError::Backend(error.to_string()))?;
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
        tags: codec::repo_tags(row.get("tags")),
    })
}

/// The repo columns, the rolling 30-day download count (`SUM` of BIGINT is NUMERIC here, hence
/// the cast) and the tags in card order.
fn push_select(builder: &mut QueryBuilder<Postgres>) {
    builder.push(
        "SELECT r.*, (SELECT COALESCE(SUM(d.count), 0)::BIGINT FROM repo_downloads d WHERE d.repo_id = r.id AND d.day > ",
    );
    builder.push_bind(codec::today() - 30);
    builder.push(
        ") AS downloads, (SELECT string_agg(t.tag, chr(31) ORDER BY t.position) FROM repo_tags t WHERE t.repo_id = r.id) AS tags \
         FROM repos r",
    );
}

impl PgStore {
    pub(crate) async fn insert_repo(&self, repo: &NewRepo) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repos (id, repo_type, namespace, name, repo_key, private, owner_user_id, created_at, last_modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&repo.id)
        .bind(repo.repo_type.as_str())
        .bind(&repo.namespace)
        .bind(&repo.name)
        .bind(format!("{}/{}", repo.namespace, repo.name).to_ascii_lowercase())
        .bind(repo.private)
        .bind(&repo.owner_user_id)
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
        let mut transaction = self.pool().begin().await.map_err(backend)?;
        // The repo row first, as an applying intent takes it: the reverse order could deadlock.
        sqlx::query("SELECT 1 FROM repos WHERE id = $1 FOR UPDATE")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM commit_intents WHERE repo_id = $1")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM repos WHERE id = $1")
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
        // repo_key is lower-cased and so is the pattern: LIKE's case sensitivity here does not
        // matter, as with SQLite's case-insensitive LIKE.
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
        // Text sorts by byte, as SQLite's BINARY collation does, whatever the database locale.
        let column = match query.sort {
            RepoSort::LastModified => "r.last_modified",
            RepoSort::CreatedAt => "r.created_at",
            RepoSort::Downloads => "downloads",
            RepoSort::Likes => "r.likes",
            RepoSort::Id => "r.repo_key COLLATE \"C\"",
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        builder.push(format!(" ORDER BY {column} {direction}, r.id COLLATE \"C\" {direction}"));
        builder.push(" LIMIT ").push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
        builder.push(" OFFSET ").push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = builder.build().fetch_all(self.pool()).await.map_err(backend)?;
        rows.iter().map(repo_from_row).collect()
    }

    pub(crate) async fn increment_downloads(&self, repo_id: &str, day: i64) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO repo_downloads (repo_id, day, count) VALUES ($1, $2, 1) \
             ON CONFLICT (repo_id, day) DO UPDATE SET count = repo_downloads.count + 1",
        )
        .bind(repo_id)
        .bind(day)
        .execute(&mut *transaction)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE repos SET downloads_all_time = downloads_all_time + 1 WHERE id = $1")
            .bind(repo_id)
            .execute(&mut *transaction)
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)
    }
}
