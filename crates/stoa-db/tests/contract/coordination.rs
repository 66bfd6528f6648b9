//! Ref locks. The repo ids used here fall in different stripes of SQLite's in-process locks,
//! which may serialise unrelated repos that share one.

use std::sync::Arc;
use std::time::Duration;

use stoa_core::coordination::RefLockGuard;
use stoa_core::ports::MetaStore;

use super::Ctx;

for_each_backend!(
    ref_locks_exclude_until_released,
    dropping_a_ref_lock_releases_it,
    a_waiting_locker_gets_the_lock_on_release,
    lock_holders_and_waiters_do_not_starve_the_store,
);
postgres_only!(ref_locks_exclude_across_nodes);

async fn try_lock(store: &dyn MetaStore, repo_id: &str) -> Option<Box<dyn RefLockGuard>> {
    store.try_lock_repo_refs(repo_id).await.expect("try lock")
}

/// Dropping a guard may release its lock a moment later (PostgreSQL rolls the transaction
/// back when the connection goes back to the pool): poll for it.
async fn eventually_lock(store: &dyn MetaStore, repo_id: &str) -> Box<dyn RefLockGuard> {
    for _ in 0..100 {
        if let Some(guard) = try_lock(store, repo_id).await {
            return guard;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the lock of {repo_id} was not released within 5 s");
}

async fn ref_locks_exclude_until_released(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let held = try_lock(store, "repo-a").await.expect("a free lock is taken");
    assert!(try_lock(store, "repo-a").await.is_none(), "a held lock is not");
    let other = try_lock(store, "repo-b").await.expect("other repos have their own lock");
    held.release().await;
    let again = try_lock(store, "repo-a").await.expect("free again once released");
    again.release().await;
    other.release().await;

    let waited = store.lock_repo_refs("repo-a").await.expect("lock");
    assert!(try_lock(store, "repo-a").await.is_none(), "a waited-for lock excludes too");
    waited.release().await;
    try_lock(store, "repo-a").await.expect("free").release().await;
}

async fn dropping_a_ref_lock_releases_it(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    for _ in 0..3 {
        let held = store.lock_repo_refs("repo-a").await.expect("lock");
        assert!(try_lock(store, "repo-a").await.is_none());
        drop(held);
        // Dropped again: the next round's lock_repo_refs waits for that release.
        drop(eventually_lock(store, "repo-a").await);
    }
    drop(store.lock_repo_refs("repo-a").await.expect("lock"));
}

async fn a_waiting_locker_gets_the_lock_on_release(ctx: Arc<Ctx>) {
    let held = ctx.store.lock_repo_refs("repo-a").await.expect("lock");
    let store = Arc::clone(&ctx.store);
    let waiter = tokio::spawn(async move {
        let guard = store.lock_repo_refs("repo-a").await.expect("lock");
        guard.release().await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "the second locker waits");
    held.release().await;
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter gets the lock once released")
        .expect("waiter task");
}

async fn ref_locks_exclude_across_nodes(ctx: Arc<Ctx>) {
    let node_a = ctx.store.as_ref();
    let node_b = ctx.another_store().await;
    let node_b = node_b.as_ref();

    let held = node_a.lock_repo_refs("repo-a").await.expect("lock");
    assert!(try_lock(node_b, "repo-a").await.is_none(), "another node cannot take a held lock");
    try_lock(node_b, "repo-b").await.expect("other repos are free").release().await;
    held.release().await;

    let held = try_lock(node_b, "repo-a").await.expect("free once released");
    assert!(try_lock(node_a, "repo-a").await.is_none());
    drop(held);
    drop(eventually_lock(node_a, "repo-a").await);

    // A node blocked on a lock another node holds gets it when that one lets go.
    let held = node_b.lock_repo_refs("repo-a").await.expect("lock");
    let waiter_store = Arc::clone(&ctx.store);
    let waiter =
        tokio::spawn(async move { waiter_store.lock_repo_refs("repo-a").await.expect("lock").release().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "the other node waits");
    held.release().await;
    tokio::time::timeout(Duration::from_secs(10), waiter).await.expect("lock handed over").expect("waiter task");
}

async fn lock_holders_and_waiters_do_not_starve_the_store(ctx: Arc<Ctx>) {
    // More lockers than a connection pool holds: holders must still reach the store.
    let repos: Vec<String> = (0..24).map(|n| format!("busy-{n}")).collect();
    let mut held = Vec::new();
    for repo_id in repos.iter().take(6) {
        held.push(ctx.store.lock_repo_refs(repo_id).await.expect("lock"));
    }
    let waiters: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&ctx.store);
            tokio::spawn(async move { store.lock_repo_refs("busy-0").await.expect("lock").release().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queries = async {
        for n in 0..20 {
            let intent = super::fixtures::intent(&format!("i{n}"), "busy-0", n);
            ctx.store.record_commit_intent(&intent).await.expect("record under the lock");
        }
        ctx.store.pending_commit_intents().await.expect("pending").len()
    };
    let recorded = tokio::time::timeout(Duration::from_secs(10), queries).await.expect("the store still answers");
    assert_eq!(recorded, 20);
    for guard in held {
        guard.release().await;
    }
    for waiter in waiters {
        tokio::time::timeout(Duration::from_secs(20), waiter)
            .await
            .expect("every waiter gets its turn")
            .expect("waiter");
    }
}
