//! What collections need from the metadata store. Items point at repos by internal id, so a
//! moved repo stays in its collections under its new name.

use async_trait::async_trait;

use crate::ports::{Repo, StoreError};

#[derive(Debug, Clone)]
pub struct Collection {
    pub id: String,
    pub slug: String,
    pub owner: String,
    pub title: String,
    pub description: Option<String>,
    pub private: bool,
    pub theme: String,
    pub position: i64,
    pub upvotes: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// In order of position.
    pub items: Vec<CollectionItem>,
}

/// What an item points at.
#[derive(Debug, Clone)]
pub enum ItemTarget {
    Repo(Repo),
    /// A nested collection (its items are not loaded).
    Collection(Box<Collection>),
}

#[derive(Debug, Clone)]
pub struct CollectionItem {
    pub id: String,
    pub target: ItemTarget,
    pub note: Option<String>,
    pub position: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewCollection {
    pub id: String,
    pub slug: String,
    pub owner: String,
    pub title: String,
    pub description: Option<String>,
    pub private: bool,
    pub theme: String,
    pub created_by: String,
    pub now: i64,
}

/// Changes to a collection's metadata; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CollectionPatch {
    pub title: Option<String>,
    /// Follows the title (set by the domain, not by callers).
    pub slug: Option<String>,
    pub description: Option<String>,
    pub private: Option<bool>,
    pub theme: Option<String>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionSort {
    LastModified,
    Upvotes,
}

#[derive(Debug, Clone)]
pub struct CollectionQuery {
    /// Case-insensitive owner name.
    pub owner: Option<String>,
    /// Collections holding this repo (internal id).
    pub item_repo_id: Option<String>,
    /// Private collections are listed only for their owner.
    pub viewer: Option<String>,
    pub sort: CollectionSort,
    pub limit: u64,
}

/// An item to add, by id.
#[derive(Debug, Clone, Copy)]
pub enum ItemRef<'a> {
    Repo(&'a str),
    Collection(&'a str),
}

#[async_trait]
pub trait CollectionStore: Send + Sync {
    /// [`StoreError::AlreadyExists`] when the owner has a collection of that title.
    async fn create_collection(&self, collection: &NewCollection) -> Result<(), StoreError>;
    async fn collection_by_id(&self, id: &str) -> Result<Option<Collection>, StoreError>;
    async fn collection_by_title(&self, owner: &str, title: &str) -> Result<Option<Collection>, StoreError>;
    async fn list_collections(&self, query: &CollectionQuery) -> Result<Vec<Collection>, StoreError>;
    async fn update_collection(&self, id: &str, patch: &CollectionPatch, now: i64) -> Result<(), StoreError>;
    async fn delete_collection(&self, id: &str) -> Result<(), StoreError>;
    /// Appends an item: a repo (internal id) or a collection (id). [`StoreError::AlreadyExists`]
    /// when it is in the collection already.
    async fn add_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        target: ItemRef<'_>,
        note: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Sets an item's note and/or moves it to `position` (others shift); `Ok(false)` if absent.
    async fn update_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        note: Option<&str>,
        position: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// `Ok(false)` if absent.
    async fn delete_collection_item(&self, collection_id: &str, item_id: &str, now: i64) -> Result<bool, StoreError>;
}
