//! The job queue.

use std::collections::HashSet;
use std::sync::Arc;

use stoa_core::coordination::Job;
use stoa_core::ports::MetaStore;

use super::Ctx;

for_each_backend!(
    jobs_are_claimed_in_order_and_finished_once,
    failed_jobs_are_retried_or_kept_failed,
    a_dedup_key_allows_one_live_job,
    an_expired_lease_makes_a_job_claimable_again,
    concurrent_workers_on_two_nodes_claim_each_job_once,
);

const LEASE: i64 = 3_600;

async fn claim(store: &dyn MetaStore, kinds: &[&str], worker: &str, now: i64) -> Option<Job> {
    store.claim_job(kinds, worker, now, LEASE).await.expect("claim")
}

async fn enqueue(store: &dyn MetaStore, kind: &str, payload: &str, run_at: i64) -> i64 {
    store.enqueue_job(kind, payload, None, run_at).await.expect("enqueue").expect("queued without a dedup key")
}

async fn jobs_are_claimed_in_order_and_finished_once(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let later = enqueue(store, "gc", "{\"n\":1}", 200).await;
    let first = enqueue(store, "gc", "{\"n\":2}", 100).await;
    let second = enqueue(store, "gc", "{\"n\":3}", 100).await;
    let other = enqueue(store, "index", "{}", 50).await;
    assert!(first < second, "ids grow");
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 3);
    assert_eq!(store.pending_jobs("nothing").await.expect("pending"), 0);

    assert_eq!(claim(store, &["gc"], "w1", 99).await, None, "nothing is due yet");
    let job = claim(store, &["gc"], "w1", 150).await.expect("due");
    assert_eq!(job, Job { id: first, kind: "gc".to_owned(), payload: "{\"n\":2}".to_owned(), attempts: 1 });
    assert_eq!(claim(store, &["gc"], "w2", 150).await.map(|job| job.id), Some(second), "by run_at, then id");
    assert_eq!(claim(store, &["gc"], "w3", 150).await, None, "a claimed job is not handed out twice");
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 3, "running jobs are pending");

    assert!(!store.finish_job(first, "w2").await.expect("finish"), "only its worker finishes a job");
    assert!(store.finish_job(first, "w1").await.expect("finish"));
    assert!(!store.finish_job(first, "w1").await.expect("finish"), "a finished job is gone");
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 2);

    let both = claim(store, &["index", "gc"], "w1", 300).await.expect("due");
    assert_eq!(both.id, other, "oldest due job of any listed kind");
    assert_eq!(claim(store, &["gc"], "w1", 300).await.map(|job| job.id), Some(later));
    assert_eq!(claim(store, &[], "w1", 300).await, None, "no kinds, no job");
    for (id, worker) in [(second, "w2"), (both.id, "w1"), (later, "w1")] {
        assert!(store.finish_job(id, worker).await.expect("finish"));
    }
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 0);
    assert_eq!(claim(store, &["gc", "index"], "w1", 10_000).await, None);
}

async fn failed_jobs_are_retried_or_kept_failed(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let id = enqueue(store, "gc", "p", 100).await;
    assert!(!store.fail_job(id, "w1", "not claimed", Some(200)).await.expect("fail"), "only a running job fails");
    claim(store, &["gc"], "w1", 100).await.expect("due");
    assert!(!store.fail_job(id, "w2", "not mine", None).await.expect("fail"), "only its worker fails it");

    assert!(store.fail_job(id, "w1", "disk full", Some(500)).await.expect("fail"));
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 1, "a job to retry is still pending");
    assert!(!store.finish_job(id, "w1").await.expect("finish"), "given back: the worker no longer holds it");
    assert_eq!(claim(store, &["gc"], "w2", 499).await, None, "retried at retry_at, not before");
    let retried = claim(store, &["gc"], "w2", 500).await.expect("due again");
    assert_eq!((retried.id, retried.attempts), (id, 2));

    assert!(store.fail_job(id, "w2", "gave up", None).await.expect("fail"));
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 0, "failed jobs are not pending");
    assert_eq!(claim(store, &["gc"], "w3", 100_000).await, None, "nor claimable");
    assert!(!store.finish_job(id, "w2").await.expect("finish"));
}

async fn a_dedup_key_allows_one_live_job(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let key = Some("repo-1");
    let first = store.enqueue_job("reindex", "a", key, 100).await.expect("enqueue").expect("queued");
    assert_eq!(store.enqueue_job("reindex", "b", key, 50).await.expect("enqueue"), None, "queued: a no-op");
    assert!(store.enqueue_job("reindex", "c", Some("repo-2"), 100).await.expect("enqueue").is_some());
    assert!(store.enqueue_job("gc", "d", key, 100).await.expect("enqueue").is_some(), "keys are per kind");
    assert!(store.enqueue_job("reindex", "e", None, 100).await.expect("enqueue").is_some());
    assert_eq!(store.pending_jobs("reindex").await.expect("pending"), 3);

    let job = claim(store, &["reindex"], "w1", 100).await.expect("due");
    assert_eq!((job.id, job.payload.as_str()), (first, "a"), "the no-op left the first job untouched");
    assert_eq!(store.enqueue_job("reindex", "f", key, 100).await.expect("enqueue"), None, "running: a no-op");
    assert!(store.finish_job(first, "w1").await.expect("finish"));
    let next = store.enqueue_job("reindex", "g", key, 100).await.expect("enqueue").expect("finished: queued again");

    // The two other live jobs come first, then the re-queued one.
    for _ in 0..2 {
        claim(store, &["reindex"], "w1", 100).await.expect("due");
    }
    assert_eq!(claim(store, &["reindex"], "w1", 100).await.map(|job| job.id), Some(next));
    assert!(store.fail_job(next, "w1", "broken", None).await.expect("fail"));
    assert!(store.enqueue_job("reindex", "h", key, 100).await.expect("enqueue").is_some(), "failed jobs free the key");
}

async fn an_expired_lease_makes_a_job_claimable_again(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let id = enqueue(store, "gc", "p", 0).await;
    assert_eq!(store.claim_job(&["gc"], "w1", 100, 10).await.expect("claim").map(|job| job.id), Some(id));
    assert_eq!(store.claim_job(&["gc"], "w2", 110, 10).await.expect("claim"), None, "held until the lease ends");
    let taken = store.claim_job(&["gc"], "w2", 111, 10).await.expect("claim").expect("lease expired");
    assert_eq!((taken.id, taken.attempts), (id, 2));
    assert!(!store.finish_job(id, "w1").await.expect("finish"), "the dead worker lost it");
    assert!(!store.fail_job(id, "w1", "late", None).await.expect("fail"));
    assert!(store.finish_job(id, "w2").await.expect("finish"));
}

async fn concurrent_workers_on_two_nodes_claim_each_job_once(ctx: Arc<Ctx>) {
    let nodes = [Arc::clone(&ctx.store), ctx.another_store().await];
    let mut queued = HashSet::new();
    for n in 0..200 {
        queued.insert(enqueue(nodes[n % 2].as_ref(), "work", &n.to_string(), 0).await);
    }
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let store = Arc::clone(&nodes[worker % 2]);
            tokio::spawn(async move {
                let name = format!("worker-{worker}");
                let mut claimed = Vec::new();
                while let Some(job) = store.claim_job(&["work"], &name, 1_000, 600).await.expect("claim") {
                    assert!(store.finish_job(job.id, &name).await.expect("finish"), "the claimer holds its job");
                    claimed.push(job.id);
                }
                claimed
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.expect("worker") {
            assert!(seen.insert(id), "job {id} was claimed twice");
            total += 1;
        }
    }
    assert_eq!(total, 200);
    assert_eq!(seen, queued, "every job was claimed");
    assert_eq!(nodes[1].pending_jobs("work").await.expect("pending"), 0);
}
