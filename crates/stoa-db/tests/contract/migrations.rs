//! Starting on a shared schema: older nodes after newer ones, several nodes at once.

use std::sync::Arc;

use sqlx::Connection as _;
use stoa_db::PgStore;

use super::Ctx;

for_each_backend!(an_older_node_starts_on_a_schema_a_newer_one_migrated);
postgres_only!(nodes_starting_together_migrate_once);

async fn an_older_node_starts_on_a_schema_a_newer_one_migrated(ctx: Arc<Ctx>) {
    ctx.execute_raw(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer release', TRUE, X'00', 0)",
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer release', TRUE, '\\x00'::bytea, 0)",
    )
    .await;
    let restarted = ctx.another_store().await;
    assert!(restarted.user_by_name("anyone").await.expect("query").is_none());
}

async fn nodes_starting_together_migrate_once(ctx: Arc<Ctx>) {
    let url = ctx.spare_database().await;
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { PgStore::connect(&url).await })
    });
    let mut stores = Vec::new();
    for start in starts.collect::<Vec<_>>() {
        stores.push(start.await.expect("task").expect("every node starts"));
    }
    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut connection).await.expect("count");
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).expect("dir").count();
    assert_eq!(usize::try_from(applied).expect("count"), embedded, "each migration applied once");
    for store in stores {
        store.close().await;
    }
}
