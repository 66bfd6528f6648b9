//! The harness: a fresh store per test on either backend, and the macros that instantiate each
//! contract test for both.

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::{Connection as _, PgConnection, SqliteConnection};
use stoa_core::ports::MetaStore;
use stoa_db::{PgStore, SqliteStore};

/// Instantiates each test (an `async fn(Arc<Ctx>)` of the enclosing module) for both backends.
macro_rules! for_each_backend {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::contract::run($crate::contract::Backend::Sqlite, super::$test).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::contract::run($crate::contract::Backend::Postgres, super::$test).await;
                }
            )+
        }
    };
}

/// For behaviour only a multi-node store has (SQLite is owned by one process).
macro_rules! postgres_only {
    ($($test:ident),+ $(,)?) => {
        mod postgres_only {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::contract::run($crate::contract::Backend::Postgres, super::$test).await;
                }
            )+
        }
    };
}

mod collab_helpers;
mod collections;
mod community;
mod coordination;
mod discussions;
mod fixtures;
mod identity;
mod intents;
mod jobs;
mod migrations;
mod repos;
mod scanning;
mod users;
mod xet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// One test's store, and where it lives so that a second "node" can open the same one.
pub(crate) struct Ctx {
    pub(crate) store: Arc<dyn MetaStore>,
    place: Place,
    opened: Mutex<Vec<Opened>>,
}

enum Place {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf },
    Postgres { admin_url: String, database: String, url: String, spares: Mutex<Vec<String>> },
}

enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

const SKIP_VARIABLE: &str = "STOA_TEST_SKIP_POSTGRES";
const URL_VARIABLE: &str = "STOA_TEST_DATABASE_URL";

impl Ctx {
    async fn new(backend: Backend) -> Option<Self> {
        let place = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("stoa.db");
                Place::Sqlite { _dir: dir, path }
            }
            Backend::Postgres => {
                let Some(admin_url) = std::env::var(URL_VARIABLE).ok().filter(|url| !url.is_empty()) else {
                    if std::env::var(SKIP_VARIABLE).as_deref() == Ok("1") {
                        // Written to the real stderr: the test harness captures `eprintln!`.
                        let test = std::thread::current().name().unwrap_or("?").to_owned();
                        writeln!(std::io::stderr(), "\n!!! SKIPPED ({SKIP_VARIABLE}=1): {test} !!!").ok();
                        return None;
                    }
                    panic!(
                        "{URL_VARIABLE} is not set: run `eval \"$(scripts/postgres.sh)\"` first \
                         (or set {SKIP_VARIABLE}=1 to skip the PostgreSQL contract tests)"
                    );
                };
                let database = fresh_database_name();
                admin(&admin_url, &format!("CREATE DATABASE {database}")).await.expect("CREATE DATABASE");
                let url = with_database(&admin_url, &database);
                Place::Postgres { admin_url, database, url, spares: Mutex::new(Vec::new()) }
            }
        };
        let (opened, store) = open(&place).await;
        Some(Self { store, place, opened: Mutex::new(vec![opened]) })
    }

    /// Another store on the same database, as a second node (or a restarted one) opens it.
    pub(crate) async fn another_store(&self) -> Arc<dyn MetaStore> {
        let (opened, store) = open(&self.place).await;
        self.opened.lock().expect("opened stores").push(opened);
        store
    }

    /// Runs a statement outside the port, in the dialect of the backend under test.
    pub(crate) async fn execute_raw(&self, sqlite: &'static str, postgres: &'static str) {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let mut connection =
                    SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
                sqlx::raw_sql(sqlite).execute(&mut connection).await.expect("raw statement");
            }
            Place::Postgres { url, .. } => {
                let mut connection = PgConnection::connect(url).await.expect("connect");
                sqlx::raw_sql(postgres).execute(&mut connection).await.expect("raw statement");
            }
        }
    }

    /// The URL of another, empty database on the PostgreSQL server, dropped with this one.
    pub(crate) async fn spare_database(&self) -> String {
        let Place::Postgres { admin_url, spares, .. } = &self.place else { panic!("PostgreSQL only") };
        let database = fresh_database_name();
        admin(admin_url, &format!("CREATE DATABASE {database}")).await.expect("CREATE DATABASE");
        spares.lock().expect("spares").push(database.clone());
        with_database(admin_url, &database)
    }

    /// A token's `last_used_at`, which the port does not expose.
    pub(crate) async fn token_last_used(&self, token_id: &str) -> Option<i64> {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let mut connection =
                    SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
                sqlx::query_scalar("SELECT last_used_at FROM tokens WHERE id = ?")
                    .bind(token_id)
                    .fetch_one(&mut connection)
                    .await
                    .expect("token row")
            }
            Place::Postgres { url, .. } => {
                let mut connection = PgConnection::connect(url).await.expect("connect");
                sqlx::query_scalar("SELECT last_used_at FROM tokens WHERE id = $1")
                    .bind(token_id)
                    .fetch_one(&mut connection)
                    .await
                    .expect("token row")
            }
        }
    }

    async fn teardown(&self) {
        let opened = std::mem::take(&mut *self.opened.lock().expect("opened stores"));
        // Bounded: a failed test may leave a ref lock held, whose connection close would wait for.
        for store in opened {
            let close = async {
                match store {
                    Opened::Sqlite(store) => store.close().await,
                    Opened::Postgres(store) => store.close().await,
                }
            };
            tokio::time::timeout(std::time::Duration::from_secs(5), close).await.ok();
        }
        if let Place::Postgres { admin_url, database, spares, .. } = &self.place {
            let mut databases = std::mem::take(&mut *spares.lock().expect("spares"));
            databases.push(database.clone());
            for database in databases {
                // Best effort: a leftover database on the throwaway server harms nobody.
                let dropped = admin(admin_url, &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await;
                if let Err(error) = dropped {
                    writeln!(std::io::stderr(), "could not drop test database {database}: {error}").ok();
                }
            }
        }
    }
}

async fn open(place: &Place) -> (Opened, Arc<dyn MetaStore>) {
    match place {
        Place::Sqlite { path, .. } => {
            let store = SqliteStore::open(path).await.expect("open SQLite store");
            (Opened::Sqlite(store.clone()), Arc::new(store))
        }
        Place::Postgres { url, .. } => {
            let store = PgStore::connect(url).await.expect("connect PostgreSQL store");
            (Opened::Postgres(store.clone()), Arc::new(store))
        }
    }
}

/// Runs one contract test on a fresh store, cleaning up even when the test panics.
pub(crate) async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<Ctx>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(ctx) = Ctx::new(backend).await else { return };
    let ctx = Arc::new(ctx);
    let outcome = tokio::spawn(test(Arc::clone(&ctx))).await;
    ctx.teardown().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test task failed: {error}"),
        }
    }
}

fn fresh_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |time| time.subsec_nanos());
    format!("stoa_t_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

async fn admin(url: &str, statement: &str) -> Result<(), sqlx::Error> {
    let mut connection = PgConnection::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut connection).await?;
    connection.close().await
}

/// `url` with its database (the path) replaced, query parameters kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let authority = base.find("://").map_or(0, |index| index + 3);
    let server = base[authority..].find('/').map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}
