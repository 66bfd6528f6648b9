//! The PostgreSQL metadata store: one database shared by every node of a deployment. The queries
//! are the SQLite ones ported statement by statement, so both stores behave the same (the
//! contract suite runs against both); where several nodes add a race SQLite cannot have, the
//! module that handles it says how.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{CommitIntent, MetaStore, NewRepo, NewUser, Repo, RepoQuery, StoreError, TokenRecord, User};
use stoa_types::RepoType;

use crate::{backend, tolerant};

/// The PostgreSQL metadata store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Ref locks hold their connection for as long as the lock is held or awaited. A pool of
    /// their own keeps lock holders and waiters from taking every connection the holders need
    /// for their queries (which would stall them all until the acquire timeout).
    locks: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and applies pending
    /// migrations. The migrator holds a PostgreSQL advisory lock meanwhile, so nodes starting
    /// together migrate one after the other.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        // Past 8 concurrent lockers on a node, the next ones queue for a connection, which only
        // delays them as a held lock would; the long timeout lets them wait behind slow commits.
        let locks = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(300))
            .connect_lazy_with(options);
        tolerant(sqlx::migrate!("./migrations/postgres"))
            .run(&pool)
            .await
            .map_err(|error| StoreError::Backend(format!("migration failed: {error}")))?;
        Ok(Self { pool, locks })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn lock_pool(&self) -> &PgPool {
        &self.locks
    }

    /// Closes the pools, waiting for connections to be returned (held ref locks included).
    pub async fn close(&self) {
        self.locks.close().await;
        self.pool.close().await;
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn create_user(&self, user: NewUser, id: String, now: i64) -> Result<User, StoreError> {
        self.insert_user(user, id, now).await
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.find_user_by_name(name).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.find_user_by_id(id).await
    }

    async fn create_token(&self, record: &TokenRecord, secret_hash: &str) -> Result<(), StoreError> {
        self.insert_token(record, secret_hash).await
    }

    async fn token_by_hash(&self, secret_hash: &str, now: i64) -> Result<Option<TokenRecord>, StoreError> {
        self.find_token(secret_hash, now).await
    }

    async fn create_repo(&self, repo: &NewRepo) -> Result<(), StoreError> {
        self.insert_repo(repo).await
    }

    async fn repo_by_name(&self, repo_type: RepoType, key: &str) -> Result<Option<Repo>, StoreError> {
        self.find_repo(repo_type, key).await
    }

    async fn delete_repo(&self, repo_id: &str) -> Result<(), StoreError> {
        self.remove_repo(repo_id).await
    }

    async fn list_repos(&self, query: &RepoQuery) -> Result<Vec<Repo>, StoreError> {
        self.query_repos(query).await
    }

    async fn record_commit_intent(&self, intent: &CommitIntent) -> Result<(), StoreError> {
        self.insert_intent(intent).await
    }

    async fn apply_commit_intent(&self, intent: &CommitIntent) -> Result<(), StoreError> {
        self.apply_intent(intent).await
    }

    async fn discard_commit_intent(&self, intent_id: &str) -> Result<(), StoreError> {
        self.remove_intent(intent_id).await
    }

    async fn pending_commit_intents(&self) -> Result<Vec<CommitIntent>, StoreError> {
        self.list_intents().await
    }

    async fn record_lfs_object(&self, oid: &Sha256Oid, size: u64, now: i64) -> Result<(), StoreError> {
        self.insert_lfs_object(oid, size, now).await
    }

    async fn lfs_object_size(&self, oid: &Sha256Oid) -> Result<Option<u64>, StoreError> {
        self.find_lfs_object(oid).await
    }

    async fn repo_has_lfs_object(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError> {
        self.lfs_linked(repo_id, oid).await
    }

    async fn grant_lfs_upload(&self, repo_id: &str, oid: &Sha256Oid, now: i64) -> Result<(), StoreError> {
        self.insert_lfs_grant(repo_id, oid, now).await
    }

    async fn repo_may_reference_lfs(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError> {
        self.lfs_referencable(repo_id, oid).await
    }

    async fn count_download(&self, repo_id: &str, day: i64) -> Result<(), StoreError> {
        self.increment_downloads(repo_id, day).await
    }
}
