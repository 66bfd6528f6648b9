//! Scanning: cached verdicts per file content, scanned commits, quarantined files, per-namespace
//! policies; the jobs a commit queues as it lands, repos by id, and orphaned jobs released.

use std::sync::Arc;

use stoa_core::coordination::{Job, NewJob};
use stoa_core::ports::{CommitIntent, MetaStore};
use stoa_core::scan::store::{Quarantine, StoredFileScan, StoredPolicy};
use stoa_types::RepoType;

use super::Ctx;
use super::fixtures::{intent, new_repo, oid, repo, user};

for_each_backend!(
    an_applied_intent_queues_its_jobs_and_only_then,
    applying_twice_with_one_dedup_key_queues_one_job,
    file_scans_keep_the_latest_verdict,
    file_scans_are_read_in_chunks,
    commit_scans_are_kept_per_repo_and_commit,
    a_released_quarantine_stays_released,
    scan_policies_are_set_and_replaced_per_namespace,
    repos_are_found_by_id,
    released_orphaned_jobs_are_claimable_at_once,
);
postgres_only!(releasing_orphans_leaves_other_nodes_jobs_alone);

const LEASE: i64 = 3_600;

fn job(kind: &str, payload: &str, dedup_key: Option<&str>, run_at: i64) -> NewJob {
    NewJob { kind: kind.to_owned(), payload: payload.to_owned(), dedup_key: dedup_key.map(str::to_owned), run_at }
}

async fn claim(store: &dyn MetaStore, kind: &str, worker: &str, now: i64) -> Option<Job> {
    store.claim_job(&[kind], worker, now, LEASE).await.expect("claim")
}

fn scan(version: i64, status: &str, report: &str) -> StoredFileScan {
    StoredFileScan { scanner_version: version, status: status.to_owned(), report: report.to_owned() }
}

fn policy(dangerous: &str, unscannable: &str) -> StoredPolicy {
    StoredPolicy { dangerous: dangerous.to_owned(), unscannable: unscannable.to_owned() }
}

// --- jobs queued by a commit -----------------------------------------------------------------

async fn an_applied_intent_queues_its_jobs_and_only_then(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;

    let applied = intent("i1", "r1", 2_000);
    let discarded = intent("i2", "r1", 3_000);
    store.record_commit_intent(&applied).await.expect("record");
    store.record_commit_intent(&discarded).await.expect("record");
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 0, "recording an intent queues nothing");

    // Discarded: its jobs were never handed to the store.
    store.discard_commit_intent("i2").await.expect("discard");
    // Failed half-way (its repo is gone): the jobs roll back with the rest.
    let orphan = CommitIntent { lfs_oids: vec![oid('a').to_string()], ..intent("i3", "gone", 4_000) };
    store.record_commit_intent(&orphan).await.expect("record");
    let orphan_job = job("scan", "{\"repo\":\"gone\"}", Some("gone"), 4_000);
    assert!(store.apply_commit_intent(&orphan, &[orphan_job]).await.is_err());
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 0, "a failed apply queues nothing");
    assert_eq!(claim(store, "scan", "w1", 10_000).await, None);
    let pending = store.pending_commit_intents().await.expect("pending");
    assert_eq!(pending.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["i1", "i3"], "the orphan stays");

    let jobs =
        [job("scan", "{\"repo\":\"r1\"}", Some("r1:ccc"), 2_000), job("reindex", "{\"repo\":\"r1\"}", None, 2_500)];
    store.apply_commit_intent(&applied, &jobs).await.expect("apply");
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 1);
    assert_eq!(store.pending_jobs("reindex").await.expect("pending"), 1);
    assert_eq!(claim(store, "scan", "w1", 1_999).await, None, "due at its run_at, not before");
    let scan_job = claim(store, "scan", "w1", 2_000).await.expect("queued by the apply");
    assert_eq!(
        (scan_job.kind.as_str(), scan_job.payload.as_str(), scan_job.attempts),
        ("scan", "{\"repo\":\"r1\"}", 1)
    );
    assert!(store.finish_job(scan_job.id, "w1").await.expect("finish"));
    let reindex = claim(store, "reindex", "w1", 2_500).await.expect("every job of the apply is queued");
    assert_eq!(reindex.payload, "{\"repo\":\"r1\"}");
    assert_eq!(claim(store, "scan", "w2", 10_000).await, None, "each job queued once");
    // Another node sees the job as soon as the apply returns.
    assert_eq!(ctx.another_store().await.pending_jobs("reindex").await.expect("pending"), 1);
}

async fn applying_twice_with_one_dedup_key_queues_one_job(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;

    let first = intent("i1", "r1", 1_000);
    let second = intent("i2", "r1", 2_000);
    for recorded in [&first, &second] {
        store.record_commit_intent(recorded).await.expect("record");
    }
    store.apply_commit_intent(&first, &[job("scan", "first", Some("r1"), 100)]).await.expect("apply");
    store
        .apply_commit_intent(&second, &[job("scan", "second", Some("r1"), 50)])
        .await
        .expect("a queued duplicate does not fail the apply");
    assert!(store.pending_commit_intents().await.expect("pending").is_empty(), "both intents applied");
    // Replayed (recovery after a crash between the apply and its acknowledgement).
    store.apply_commit_intent(&second, &[job("scan", "replayed", Some("r1"), 50)]).await.expect("apply again");
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 1);

    let queued = claim(store, "scan", "w1", 1_000).await.expect("queued");
    assert_eq!(queued.payload, "first", "the duplicates left the first job untouched");
    assert_eq!(claim(store, "scan", "w2", 1_000).await, None);

    // Running: still a duplicate. Finished: the key is free again.
    let third = intent("i3", "r1", 3_000);
    store.record_commit_intent(&third).await.expect("record");
    store.apply_commit_intent(&third, &[job("scan", "third", Some("r1"), 100)]).await.expect("apply");
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 1, "a running job dedups too");
    assert!(store.finish_job(queued.id, "w1").await.expect("finish"));
    let fourth = intent("i4", "r1", 4_000);
    store.record_commit_intent(&fourth).await.expect("record");
    let both = [job("scan", "fourth", Some("r1"), 100), job("scan", "other key", Some("r2"), 100)];
    store.apply_commit_intent(&fourth, &both).await.expect("apply");
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 2);
    // Without a key, nothing is deduplicated, even within one apply.
    let fifth = intent("i5", "r1", 5_000);
    store.record_commit_intent(&fifth).await.expect("record");
    let unkeyed = [job("gc", "a", None, 100), job("gc", "a", None, 100)];
    store.apply_commit_intent(&fifth, &unkeyed).await.expect("apply");
    assert_eq!(store.pending_jobs("gc").await.expect("pending"), 2);
    // A key repeated within one apply queues once.
    let sixth = intent("i6", "r1", 6_000);
    store.record_commit_intent(&sixth).await.expect("record");
    let repeated = [job("index", "a", Some("k"), 100), job("index", "b", Some("k"), 100)];
    store.apply_commit_intent(&sixth, &repeated).await.expect("apply");
    assert_eq!(store.pending_jobs("index").await.expect("pending"), 1);
    assert_eq!(claim(store, "index", "w1", 100).await.map(|job| job.payload), Some("a".to_owned()));
}

// --- verdicts --------------------------------------------------------------------------------

async fn file_scans_keep_the_latest_verdict(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let key = oid('a').to_string();
    assert!(store.file_scans(std::slice::from_ref(&key)).await.expect("scans").is_empty());

    let first = scan(1, "dangerous", "{\"imports\":[\"os.system\"]}");
    store.put_file_scan(&key, &first, 100).await.expect("put");
    let found = store.file_scans(&[key.clone(), "unknown".to_owned()]).await.expect("scans");
    assert_eq!(found, [(key.clone(), first)], "unknown keys are left out");

    let rescanned = scan(2, "safe", "{}");
    store.put_file_scan(&key, &rescanned, 200).await.expect("put again replaces");
    let found = store.file_scans(std::slice::from_ref(&key)).await.expect("scans");
    assert_eq!(found, [(key.clone(), rescanned.clone())]);
    // Another node reads the same cache.
    let other = ctx.another_store().await;
    assert_eq!(other.file_scans(std::slice::from_ref(&key)).await.expect("scans"), [(key, rescanned)]);
}

async fn file_scans_are_read_in_chunks(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    assert!(store.file_scans(&[]).await.expect("no keys, no query").is_empty());

    // More keys than one query takes (500): every chunk is read, every hit returned once.
    let keys: Vec<String> = (0..1_200).map(|n| format!("{n:064x}")).collect();
    for (n, key) in keys.iter().enumerate() {
        if n % 3 != 1 {
            let status = if n % 2 == 0 { "safe" } else { "dangerous" };
            store.put_file_scan(key, &scan(1, status, &format!("{{\"n\":{n}}}")), 100).await.expect("put");
        }
    }
    let mut found = store.file_scans(&keys).await.expect("scans");
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let expected: Vec<(String, StoredFileScan)> = keys
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 3 != 1)
        .map(|(n, key)| {
            let status = if n % 2 == 0 { "safe" } else { "dangerous" };
            (key.clone(), scan(1, status, &format!("{{\"n\":{n}}}")))
        })
        .collect();
    assert_eq!(found.len(), 800);
    assert_eq!(found, expected);

    let one = store.file_scans(&keys[1_199..]).await.expect("scans");
    assert_eq!(one, [expected.last().cloned().expect("last")]);
}

async fn commit_scans_are_kept_per_repo_and_commit(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let (c1, c2) = ("1".repeat(40), "2".repeat(40));
    assert_eq!(store.commit_scan("r1", &c1).await.expect("commit scan"), None);

    store.put_commit_scan("r1", &c1, "{\"files\":[]}", 100).await.expect("put");
    store.put_commit_scan("r2", &c1, "{\"other\":true}", 100).await.expect("put");
    assert_eq!(store.commit_scan("r1", &c1).await.expect("commit scan").as_deref(), Some("{\"files\":[]}"));
    assert_eq!(store.commit_scan("r2", &c1).await.expect("commit scan").as_deref(), Some("{\"other\":true}"));
    assert_eq!(store.commit_scan("r1", &c2).await.expect("commit scan"), None, "per commit");

    store.put_commit_scan("r1", &c1, "{\"files\":[1]}", 200).await.expect("put again replaces");
    assert_eq!(store.commit_scan("r1", &c1).await.expect("commit scan").as_deref(), Some("{\"files\":[1]}"));
    assert_eq!(store.commit_scan("r2", &c1).await.expect("commit scan").as_deref(), Some("{\"other\":true}"));
}

// --- quarantine ------------------------------------------------------------------------------

async fn a_released_quarantine_stays_released(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let (old, new) = (oid('a').to_string(), oid('b').to_string());
    assert_eq!(store.quarantined("r1", &old).await.expect("quarantined"), None);

    store.quarantine_file("r1", &old, "model.pkl", "os.system", 100).await.expect("quarantine");
    let held = Quarantine { path: "model.pkl".to_owned(), reason: "os.system".to_owned(), created_at: 100 };
    assert_eq!(store.quarantined("r1", &old).await.expect("quarantined"), Some(held.clone()));
    store.quarantine_file("r1", &old, "renamed.pkl", "again", 200).await.expect("quarantining again is a no-op");
    assert_eq!(store.quarantined("r1", &old).await.expect("quarantined"), Some(held.clone()), "the first hold stays");
    assert_eq!(store.quarantined("r2", &old).await.expect("quarantined"), None, "holds are per repo");

    // A newer content at the same path, and the same content in another repo.
    store.quarantine_file("r1", &new, "model.pkl", "eval", 300).await.expect("quarantine");
    store.quarantine_file("r2", &old, "model.pkl", "os.system", 100).await.expect("quarantine");
    store.quarantine_file("r1", &oid('c').to_string(), "other.pkl", "exec", 300).await.expect("quarantine");

    assert!(!store.release_quarantine("r1", "unknown.pkl", 400).await.expect("release"), "nothing held there");
    assert!(!store.release_quarantine("r3", "model.pkl", 400).await.expect("release"), "nor in another repo");
    assert!(store.release_quarantine("r1", "model.pkl", 400).await.expect("release"));
    assert_eq!(store.quarantined("r1", &old).await.expect("quarantined"), None, "released");
    assert_eq!(store.quarantined("r1", &new).await.expect("quarantined"), None, "every content at the path");
    assert!(store.quarantined("r1", &oid('c').to_string()).await.expect("quarantined").is_some(), "other paths");
    assert_eq!(store.quarantined("r2", &old).await.expect("quarantined"), Some(held.clone()), "other repos");
    assert!(!store.release_quarantine("r1", "model.pkl", 500).await.expect("release"), "already released");

    // An administrator's release holds: a rescan does not quarantine the file again.
    store.quarantine_file("r1", &old, "model.pkl", "os.system", 600).await.expect("quarantine");
    assert_eq!(store.quarantined("r1", &old).await.expect("quarantined"), None, "stays released");
    assert!(!store.release_quarantine("r1", "model.pkl", 700).await.expect("release"), "nothing held again");
    let other = ctx.another_store().await;
    assert_eq!(other.quarantined("r1", &old).await.expect("quarantined"), None);
    assert_eq!(other.quarantined("r2", &old).await.expect("quarantined"), Some(held));
}

async fn scan_policies_are_set_and_replaced_per_namespace(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    assert_eq!(store.scan_policy("acme").await.expect("policy"), None);
    store.set_scan_policy("acme", &policy("quarantine", "warn")).await.expect("set");
    store.set_scan_policy("other", &policy("reject", "reject")).await.expect("set");
    assert_eq!(store.scan_policy("acme").await.expect("policy"), Some(policy("quarantine", "warn")));

    store.set_scan_policy("acme", &policy("warn", "quarantine")).await.expect("set again replaces");
    assert_eq!(store.scan_policy("acme").await.expect("policy"), Some(policy("warn", "quarantine")));
    assert_eq!(store.scan_policy("other").await.expect("policy"), Some(policy("reject", "reject")));
    assert_eq!(store.scan_policy("nobody").await.expect("policy"), None);
}

// --- repos by id, orphaned jobs --------------------------------------------------------------

async fn repos_are_found_by_id(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    store.create_repo(&new_repo("r1", &alice, "Alice/Private-Model", true, 1_500)).await.expect("create");
    repo(store, "r2", &alice, "alice/other").await;

    let found = store.repo_by_id("r1").await.expect("lookup").expect("found");
    assert_eq!(found.full_name(), "Alice/Private-Model");
    assert_eq!((found.private, found.owner_user_id.as_str(), found.created_at), (true, alice.id.as_str(), 1_500));
    let by_name = store.repo_by_name(RepoType::Model, "alice/private-model").await.expect("by name");
    assert_eq!(format!("{:?}", Some(found)), format!("{by_name:?}"), "the same repo as by name");
    assert_eq!(store.repo_by_id("r2").await.expect("lookup").map(|repo| repo.id), Some("r2".to_owned()));
    assert!(store.repo_by_id("unknown").await.expect("lookup").is_none());
    assert!(store.repo_by_id("alice/other").await.expect("lookup").is_none(), "a name is not an id");

    store.delete_repo("r1").await.expect("delete");
    assert!(store.repo_by_id("r1").await.expect("lookup").is_none(), "gone once deleted");
}

async fn released_orphaned_jobs_are_claimable_at_once(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    assert_eq!(store.release_orphaned_jobs("node-a:").await.expect("release"), 0, "nothing running");
    let running = store.enqueue_job("scan", "p1", Some("k"), 0).await.expect("enqueue").expect("queued");
    let waiting = store.enqueue_job("scan", "p2", None, 5_000).await.expect("enqueue").expect("queued");

    let claimed = claim(store, "scan", "node-a:41", 100).await.expect("claimed");
    assert_eq!(claimed.id, running);
    assert_eq!(claim(store, "scan", "node-a:42", 100).await, None, "held by its lease");

    // The node restarts: its previous incarnation's job is free at once, not after the lease.
    assert_eq!(store.release_orphaned_jobs("node-a:").await.expect("release"), 1);
    assert_eq!(store.pending_jobs("scan").await.expect("pending"), 2, "released jobs stay pending");
    let again = claim(store, "scan", "node-a:42", 101).await.expect("claimable again");
    assert_eq!((again.id, again.payload.as_str(), again.attempts), (running, "p1", 2));
    assert!(!store.finish_job(running, "node-a:41").await.expect("finish"), "the old worker lost it");
    assert_eq!(
        store.enqueue_job("scan", "dup", Some("k"), 0).await.expect("enqueue"),
        None,
        "a released job still holds its dedup key"
    );
    assert!(store.finish_job(running, "node-a:42").await.expect("finish"));

    // Queued jobs are left as they are: not due before their run_at.
    assert_eq!(store.release_orphaned_jobs("node-a:").await.expect("release"), 0);
    assert_eq!(claim(store, "scan", "node-a:42", 4_999).await, None);
    assert_eq!(claim(store, "scan", "node-a:42", 5_000).await.map(|job| job.id), Some(waiting));
}

async fn releasing_orphans_leaves_other_nodes_jobs_alone(ctx: Arc<Ctx>) {
    let node_a = ctx.store.as_ref();
    let node_b = ctx.another_store().await;
    let node_b = node_b.as_ref();
    let workers = ["node-a:1", "node-a:2", "node-b:1", "node-ab:1", "xnode-a:1", "node_a:1"];
    let mut ids = Vec::new();
    for (n, worker) in workers.iter().enumerate() {
        let id = node_a.enqueue_job("scan", &n.to_string(), None, 0).await.expect("enqueue").expect("queued");
        let store = if worker.starts_with("node-b") { node_b } else { node_a };
        assert_eq!(claim(store, "scan", worker, 100).await.map(|job| job.id), Some(id));
        ids.push(id);
    }

    assert_eq!(node_a.release_orphaned_jobs("node-a:").await.expect("release"), 2, "only node-a's own workers");
    let mut freed = Vec::new();
    while let Some(job) = claim(node_b, "scan", "node-b:2", 101).await {
        freed.push(job.id);
    }
    freed.sort_unstable();
    assert_eq!(freed, ids[..2], "another node may take them at once");
    for (id, worker) in ids.iter().zip(workers).skip(2) {
        assert!(node_a.finish_job(*id, worker).await.expect("finish"), "{worker} still holds its job");
    }
}
