//! The PostgreSQL metadata store: one database shared by every node of a deployment. The queries
//! are the SQLite ones ported statement by statement, so both stores behave the same (the
//! contract suite runs against both); where several nodes add a race SQLite cannot have, the
//! module that handles it says how.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use stoa_core::ports::StoreError;

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

    /// A write transaction (the same call as SQLite's, which needs to say so up front).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(backend)
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
