//! One behavioural contract for every metadata store (`MetaStore`, `XetMetaStore`,
//! `Coordination`): each test is written once and runs against SQLite (a temp file) and
//! PostgreSQL (a fresh database per test on the server named by `STOA_TEST_DATABASE_URL`; start
//! one with `eval "$(scripts/postgres.sh)"`, or set `STOA_TEST_SKIP_POSTGRES=1` to skip those).
//! Tests are named `<area>::sqlite::<test>` and `<area>::postgres::<test>`.

mod contract;
