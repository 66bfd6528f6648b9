//! [`CollectionStore`] for both backends, written once in their shared dialect (see
//! `discussions_sql.rs`).

use stoa_core::collab::collection_store::{
    Collection, CollectionItem, CollectionPatch, CollectionQuery, CollectionSort, CollectionStore, ItemRef, ItemTarget,
    NewCollection,
};
use stoa_core::ports::StoreError;
use stoa_types::RepoType;

use crate::codec::to_i64;

macro_rules! collection_store {
    ($store:ty, $row:ty, $db:ty, $lock_owner:literal, $lock_collection:literal) => {
        use async_trait::async_trait;
        use sqlx::Row;

        use super::*;
        use crate::backend;

        fn collection_from_row(row: &$row) -> Collection {
            Collection {
                id: row.get("id"),
                slug: row.get("slug"),
                owner: row.get("owner"),
                title: row.get("title"),
                description: row.get("description"),
                private: row.get("private"),
                theme: row.get("theme"),
                position: row.get("position"),
                upvotes: row.get("upvotes"),
                created_by: row.get("created_by"),
                created_at: row.get("created_at"),
                updated_at: row.get("updated_at"),
                items: Vec::new(),
            }
        }

        async fn touch(
            connection: &mut <$db as sqlx::Database>::Connection,
            collection_id: &str,
            now: i64,
        ) -> Result<(), StoreError> {
            sqlx::query("UPDATE collections SET updated_at = $2 WHERE id = $1")
                .bind(collection_id)
                .bind(now)
                .execute(&mut *connection)
                .await
                .map_err(backend)?;
            Ok(())
        }

        /// Serialise the positions of an owner's collections and of one collection's items (row
        /// locks on PostgreSQL; SQLite's write transaction already excludes other writers).
        async fn lock(
            connection: &mut <$db as sqlx::Database>::Connection,
            statement: &'static str,
            key: &str,
        ) -> Result<(), StoreError> {
            sqlx::query(statement).bind(key).execute(&mut *connection).await.map_err(backend)?;
            Ok(())
        }

        impl $store {
            async fn with_items(&self, mut collection: Collection) -> Result<Collection, StoreError> {
                let rows = sqlx::query(
                    "SELECT i.*, r.repo_type, r.repo_key FROM collection_items i LEFT JOIN repos r ON r.id = i.repo_id \
                     WHERE i.collection_id = $1 ORDER BY i.position, i.created_at",
                )
                .bind(&collection.id)
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                for row in &rows {
                    let child: Option<String> = row.get("child_collection_id");
                    let target = match child {
                        Some(child) => {
                            let found = sqlx::query("SELECT * FROM collections WHERE id = $1")
                                .bind(&child)
                                .fetch_optional(self.pool())
                                .await
                                .map_err(backend)?;
                            found.map(|row| ItemTarget::Collection(Box::new(collection_from_row(&row))))
                        }
                        None => {
                            let type_text: String = row.get("repo_type");
                            let repo_type =
                                RepoType::parse(&type_text).map_err(|error| StoreError::Backend(error.to_string()))?;
                            let key: String = row.get("repo_key");
                            self.find_repo(repo_type, &key).await?.map(ItemTarget::Repo)
                        }
                    };
                    if let Some(target) = target {
                        collection.items.push(CollectionItem {
                            id: row.get("id"),
                            target,
                            note: row.get("note"),
                            position: row.get("position"),
                            created_at: row.get("created_at"),
                        });
                    }
                }
                Ok(collection)
            }

            async fn first_collection(&self, query: sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments>) -> Result<Option<Collection>, StoreError> {
                let row = query.fetch_optional(self.pool()).await.map_err(backend)?;
                match row {
                    Some(row) => Ok(Some(self.with_items(collection_from_row(&row)).await?)),
                    None => Ok(None),
                }
            }
        }

        #[async_trait]
        impl CollectionStore for $store {
            async fn create_collection(&self, collection: &NewCollection) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                lock(&mut transaction, $lock_owner, &collection.owner.to_ascii_lowercase()).await?;
                let position: i64 =
                    sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM collections WHERE owner_key = $1")
                        .bind(collection.owner.to_ascii_lowercase())
                        .fetch_one(&mut *transaction)
                        .await
                        .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO collections (id, owner, owner_key, slug, title, description, private, theme, position, \
                     created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(&collection.id)
                .bind(&collection.owner)
                .bind(collection.owner.to_ascii_lowercase())
                .bind(&collection.slug)
                .bind(&collection.title)
                .bind(&collection.description)
                .bind(collection.private)
                .bind(&collection.theme)
                .bind(position)
                .bind(&collection.created_by)
                .bind(collection.now)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                transaction.commit().await.map_err(backend)
            }

            async fn collection_by_id(&self, id: &str) -> Result<Option<Collection>, StoreError> {
                self.first_collection(sqlx::query("SELECT * FROM collections WHERE id = $1").bind(id.to_owned()))
                    .await
            }

            async fn collection_by_title(&self, owner: &str, title: &str) -> Result<Option<Collection>, StoreError> {
                self.first_collection(
                    sqlx::query("SELECT * FROM collections WHERE owner_key = $1 AND title = $2")
                        .bind(owner.to_ascii_lowercase())
                        .bind(title.to_owned()),
                )
                .await
            }

            async fn list_collections(&self, query: &CollectionQuery) -> Result<Vec<Collection>, StoreError> {
                let order = match query.sort {
                    CollectionSort::LastModified => "c.updated_at DESC",
                    CollectionSort::Upvotes => "c.upvotes DESC, c.updated_at DESC",
                };
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT c.* FROM collections c WHERE ($1 IS NULL OR c.owner_key = $1) \
                     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM collection_items i WHERE i.collection_id = c.id AND i.repo_id = $2)) \
                     AND (c.private = FALSE OR c.owner_key = $3) ORDER BY {order}, c.id LIMIT $4"
                )))
                .bind(query.owner.as_ref().map(|owner| owner.to_ascii_lowercase()))
                .bind(&query.item_repo_id)
                .bind(query.viewer.as_ref().map(|viewer| viewer.to_ascii_lowercase()))
                .bind(to_i64(query.limit))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                let mut collections = Vec::with_capacity(rows.len());
                for row in &rows {
                    collections.push(self.with_items(collection_from_row(row)).await?);
                }
                Ok(collections)
            }

            async fn update_collection(&self, id: &str, patch: &CollectionPatch, now: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE collections SET title = COALESCE($2, title), description = COALESCE($3, description), \
                     private = COALESCE($4, private), theme = COALESCE($5, theme), position = COALESCE($6, position), \
                     updated_at = $7, slug = COALESCE($8, slug) WHERE id = $1",
                )
                .bind(id)
                .bind(&patch.title)
                .bind(&patch.description)
                .bind(patch.private)
                .bind(&patch.theme)
                .bind(patch.position)
                .bind(now)
                .bind(&patch.slug)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn delete_collection(&self, id: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM collections WHERE id = $1").bind(id).execute(self.pool()).await.map_err(backend)?;
                Ok(())
            }

            async fn add_collection_item(
                &self,
                collection_id: &str,
                item_id: &str,
                target: ItemRef<'_>,
                note: Option<&str>,
                now: i64,
            ) -> Result<(), StoreError> {
                let (repo_id, child_id) = match target {
                    ItemRef::Repo(id) => (Some(id), None),
                    ItemRef::Collection(id) => (None, Some(id)),
                };
                let mut transaction = self.begin_write().await?;
                lock(&mut transaction, $lock_collection, collection_id).await?;
                let position: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(position), -1) + 1 FROM collection_items WHERE collection_id = $1",
                )
                .bind(collection_id)
                .fetch_one(&mut *transaction)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO collection_items (id, collection_id, repo_id, child_collection_id, note, position, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(item_id)
                .bind(collection_id)
                .bind(repo_id)
                .bind(child_id)
                .bind(note)
                .bind(position)
                .bind(now)
                .execute(&mut *transaction)
                .await
                .map_err(backend)?;
                touch(&mut transaction, collection_id, now).await?;
                transaction.commit().await.map_err(backend)
            }

            async fn update_collection_item(
                &self,
                collection_id: &str,
                item_id: &str,
                note: Option<&str>,
                position: Option<i64>,
                now: i64,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                lock(&mut transaction, $lock_collection, collection_id).await?;
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM collection_items WHERE collection_id = $1 ORDER BY position, created_at",
                )
                .bind(collection_id)
                .fetch_all(&mut *transaction)
                .await
                .map_err(backend)?;
                let Some(current) = ids.iter().position(|id| id == item_id) else { return Ok(false) };
                if let Some(note) = note {
                    sqlx::query("UPDATE collection_items SET note = $2 WHERE id = $1")
                        .bind(item_id)
                        .bind(note)
                        .execute(&mut *transaction)
                        .await
                        .map_err(backend)?;
                }
                if let Some(wanted) = position {
                    // Positions stay dense: the item is taken out and put back at `wanted`.
                    let mut order = ids.clone();
                    let moved = order.remove(current);
                    let index = usize::try_from(wanted.max(0)).unwrap_or(usize::MAX).min(order.len());
                    order.insert(index, moved);
                    for (index, id) in order.iter().enumerate() {
                        sqlx::query("UPDATE collection_items SET position = $2 WHERE id = $1")
                            .bind(id)
                            .bind(i64::try_from(index).unwrap_or(i64::MAX))
                            .execute(&mut *transaction)
                            .await
                            .map_err(backend)?;
                    }
                }
                touch(&mut transaction, collection_id, now).await?;
                transaction.commit().await.map_err(backend)?;
                Ok(true)
            }

            async fn delete_collection_item(&self, collection_id: &str, item_id: &str, now: i64) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let removed = sqlx::query("DELETE FROM collection_items WHERE collection_id = $1 AND id = $2")
                    .bind(collection_id)
                    .bind(item_id)
                    .execute(&mut *transaction)
                    .await
                    .map_err(backend)?
                    .rows_affected()
                    > 0;
                if removed {
                    touch(&mut transaction, collection_id, now).await?;
                }
                transaction.commit().await.map_err(backend)?;
                Ok(removed)
            }
        }
    };
}

mod sqlite {
    collection_store!(
        crate::SqliteStore,
        sqlx::sqlite::SqliteRow,
        sqlx::Sqlite,
        "SELECT 1 FROM users WHERE name_key = $1",
        "SELECT 1 FROM collections WHERE id = $1"
    );
}

mod postgres {
    collection_store!(
        crate::PgStore,
        sqlx::postgres::PgRow,
        sqlx::Postgres,
        "SELECT 1 FROM users WHERE name_key = $1 FOR NO KEY UPDATE",
        "SELECT 1 FROM collections WHERE id = $1 FOR NO KEY UPDATE"
    );
}
