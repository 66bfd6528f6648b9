//! Metadata stores behind [`stoa_core::ports::MetaStore`]. SQLite is the embedded default:
//! one file under the data dir, WAL mode, `synchronous=FULL` so an acknowledged write survives
//! a crash, and migrations embedded in the binary. PostgreSQL ([`PgStore`]) is the shared store
//! of a multi-node deployment; both pass the same contract suite (`tests/metastore_contract.rs`).

mod codec;
mod collections_sql;
mod community_sql;
mod discussions_sql;
mod identity_sql;
mod pg_intents;
mod pg_jobs;
mod pg_repos;
mod pg_store;
pub(crate) mod pg_users;
mod pg_xet;
mod scan_sql;
mod sqlite_intents;
mod sqlite_jobs;
mod sqlite_repos;
pub(crate) mod sqlite_users;
mod sqlite_xet;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{CommitIntent, MetaStore, NewRepo, NewUser, Repo, RepoQuery, StoreError, TokenRecord, User};
use stoa_types::RepoType;

pub use crate::pg_store::PgStore;

/// The SQLite metadata store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    ref_locks: std::sync::Arc<sqlite_jobs::RefLocks>,
}

/// Prepares the embedded migrations of either backend.
///
/// Migrations must be additive (new tables, columns and indexes only, never a rename, a drop or
/// a changed meaning): during a rolling upgrade the first newer node migrates the shared schema
/// while older nodes keep serving on it, and an older node restarting then finds migrations it
/// does not know, which it ignores instead of refusing to start. Locking stays on: on
/// PostgreSQL the migrator holds an advisory lock, so nodes starting together take turns.
fn tolerant(mut migrator: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    migrator.set_ignore_missing(true);
    migrator
}

#[expect(clippy::needless_pass_by_value, reason = "shaped for map_err")]
pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => StoreError::AlreadyExists,
        _ => StoreError::Backend(error.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(backend)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(backend)?;
        tolerant(sqlx::migrate!("./migrations/sqlite"))
            .run(&pool)
            .await
            .map_err(|error| StoreError::Backend(format!("migration failed: {error}")))?;
        Ok(Self { pool, ref_locks: std::sync::Arc::new(sqlite_jobs::RefLocks::new()) })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes SQLite's write lock at once (waiting for it
    /// up to the busy timeout): a deferred transaction that reads first and then writes fails
    /// with "database is locked" when another writer committed in between, instead of waiting.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
    }

    pub(crate) fn ref_locks(&self) -> &sqlite_jobs::RefLocks {
        &self.ref_locks
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Both stores implement the port with inherent methods of the same names (in their
/// `*_users`, `*_repos` and `*_intents` modules); this writes the forwarding once.
macro_rules! forward_meta_store {
    ($store:ty) => {
        #[async_trait]
        impl MetaStore for $store {
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

            async fn repo_by_id(&self, repo_id: &str) -> Result<Option<Repo>, StoreError> {
                self.find_repo_by_id(repo_id).await
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

            async fn apply_commit_intent(
                &self,
                intent: &CommitIntent,
                jobs: &[stoa_core::coordination::NewJob],
            ) -> Result<(), StoreError> {
                self.apply_intent(intent, jobs).await
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
    };
}

forward_meta_store!(SqliteStore);
forward_meta_store!(PgStore);
