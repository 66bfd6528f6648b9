//! Commit intents and the LFS object registry, upload grants and links.

use std::sync::Arc;

use stoa_core::ports::{CommitIntent, MetaStore, Repo};
use stoa_types::RepoType;

use super::Ctx;
use super::fixtures::{assert_already_exists, intent, oid, repo, user};

for_each_backend!(
    intents_round_trip_until_applied_or_discarded,
    applying_an_intent_links_objects_dates_and_tags,
    a_failed_apply_changes_nothing,
    lfs_objects_grants_and_links,
);

async fn model(store: &dyn MetaStore, full_name: &str) -> Repo {
    store.repo_by_name(RepoType::Model, full_name).await.expect("lookup").expect("found")
}

fn full_intent(id: &str, repo_id: &str, committed_at: i64) -> CommitIntent {
    CommitIntent {
        ref_name: "refs/pr/3".to_owned(),
        new_commit: "0123456789abcdef0123456789abcdef01234567".to_owned(),
        lfs_oids: vec![oid('a').to_string(), oid('b').to_string()],
        is_default_branch: false,
        tags: Some(vec!["text-generation".to_owned(), "license:mit".to_owned(), "with space".to_owned()]),
        xet_files: vec![(oid('c').to_string(), "f".repeat(64)), (oid('d').to_string(), "e".repeat(64))],
        ..intent(id, repo_id, committed_at)
    }
}

fn assert_same(found: &CommitIntent, expected: &CommitIntent) {
    assert_eq!(found.id, expected.id);
    assert_eq!(found.repo_id, expected.repo_id);
    assert_eq!(found.ref_name, expected.ref_name);
    assert_eq!(found.new_commit, expected.new_commit);
    assert_eq!(found.lfs_oids, expected.lfs_oids);
    assert_eq!(found.committed_at, expected.committed_at);
    assert_eq!(found.is_default_branch, expected.is_default_branch);
    assert_eq!(found.tags, expected.tags);
    assert_eq!(found.xet_files, expected.xet_files);
}

async fn intents_round_trip_until_applied_or_discarded(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    assert!(store.pending_commit_intents().await.expect("pending").is_empty());

    let full = full_intent("i-full", "r1", 3_000);
    let bare = intent("i-bare", "r1", 2_000);
    let cleared = CommitIntent { tags: Some(Vec::new()), ..intent("i-cleared", "r1", 4_000) };
    for recorded in [&full, &bare, &cleared] {
        store.record_commit_intent(recorded).await.expect("record");
    }
    let pending = store.pending_commit_intents().await.expect("pending");
    assert_eq!(pending.len(), 3);
    // Oldest first: recovery replays them in commit order.
    for (found, expected) in pending.iter().zip([&bare, &full, &cleared]) {
        assert_same(found, expected);
    }
    // A second node sees them too (recovery may run on any node).
    assert_eq!(ctx.another_store().await.pending_commit_intents().await.expect("pending").len(), 3);

    store.discard_commit_intent("i-bare").await.expect("discard");
    store.discard_commit_intent("i-unknown").await.expect("discarding a missing intent is not an error");
    store.apply_commit_intent(&full, &[]).await.expect("apply");
    let left = store.pending_commit_intents().await.expect("pending");
    assert_eq!(left.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["i-cleared"]);
    assert_eq!(left[0].tags, Some(Vec::new()), "no tags (clear them) differs from None (keep them)");
    assert_eq!(left[0].xet_files, Vec::new());
    assert!(store.repo_has_lfs_object("r1", &oid('a')).await.expect("linked"), "a discarded intent links nothing");

    store.record_commit_intent(&full).await.expect("an applied intent's id may come back");
    // ...but not twice while pending.
    assert_already_exists(store.record_commit_intent(&full).await);
}

async fn applying_an_intent_links_objects_dates_and_tags(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;

    // A PR commit: objects and Xet files are linked, the date stays, the tags are replaced.
    let pr = full_intent("i1", "r1", 5_000);
    store.record_commit_intent(&pr).await.expect("record");
    store.apply_commit_intent(&pr, &[]).await.expect("apply");
    let after_pr = model(store, "alice/model").await;
    assert_eq!(after_pr.last_modified, 1_000, "only the default branch moves last-modified");
    assert_eq!(after_pr.tags, ["text-generation", "license:mit", "with space"]);
    assert!(store.pending_commit_intents().await.expect("pending").is_empty());
    for seed in ['a', 'b'] {
        assert!(store.repo_has_lfs_object("r1", &oid(seed)).await.expect("linked"));
        assert!(!store.repo_has_lfs_object("r2", &oid(seed)).await.expect("linked"), "links are per repo");
    }
    let xet = store.repo_xet_file("r1", oid('c').as_str()).await.expect("xet").expect("mapped");
    assert_eq!(xet.hex(), "f".repeat(64));

    // Main moves last-modified forward only; duplicate tags keep their first position.
    let main = CommitIntent {
        tags: Some(vec!["b".to_owned(), "a".to_owned(), "b".to_owned()]),
        xet_files: vec![(oid('c').to_string(), "0".repeat(64))],
        lfs_oids: vec![oid('a').to_string()],
        ..intent("i2", "r1", 7_000)
    };
    store.record_commit_intent(&main).await.expect("record");
    store.apply_commit_intent(&main, &[]).await.expect("apply again over existing links");
    let after_main = model(store, "alice/model").await;
    assert_eq!((after_main.last_modified, after_main.tags.clone()), (7_000, vec!["b".to_owned(), "a".to_owned()]));
    let remapped = store.repo_xet_file("r1", oid('c').as_str()).await.expect("xet").expect("mapped");
    assert_eq!(remapped.hex(), "0".repeat(64), "a new commit of the same oid remaps it");

    let older = intent("i3", "r1", 6_000);
    store.record_commit_intent(&older).await.expect("record");
    store.apply_commit_intent(&older, &[]).await.expect("apply");
    let after_older = model(store, "alice/model").await;
    assert_eq!(after_older.last_modified, 7_000, "an older commit time never moves it back");
    assert_eq!(after_older.tags, ["b", "a"], "None keeps the tags");

    let cleared = CommitIntent { tags: Some(Vec::new()), ..intent("i4", "r1", 6_000) };
    store.record_commit_intent(&cleared).await.expect("record");
    store.apply_commit_intent(&cleared, &[]).await.expect("apply");
    assert!(model(store, "alice/model").await.tags.is_empty());
}

async fn a_failed_apply_changes_nothing(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    // The repo vanishes after the intent was written: linking its objects fails half-way.
    let orphan = CommitIntent {
        tags: Some(vec!["t".to_owned()]),
        lfs_oids: vec![oid('a').to_string()],
        ..intent("i1", "gone", 9_000)
    };
    store.record_commit_intent(&orphan).await.expect("intents do not check the repo");
    assert!(store.apply_commit_intent(&orphan, &[]).await.is_err());
    let pending = store.pending_commit_intents().await.expect("pending");
    assert_eq!(pending.len(), 1, "the intent stays for the next recovery");
    assert_same(&pending[0], &orphan);
    assert!(!store.repo_has_lfs_object("gone", &oid('a')).await.expect("linked"));
    store.discard_commit_intent("i1").await.expect("discard");
    assert!(store.pending_commit_intents().await.expect("pending").is_empty());
}

async fn lfs_objects_grants_and_links(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/uploader").await;
    repo(store, "r2", &alice, "alice/other").await;

    assert_eq!(store.lfs_object_size(&oid('a')).await.expect("size"), None);
    store.record_lfs_object(&oid('a'), 1 << 40, 10).await.expect("record");
    store.record_lfs_object(&oid('a'), 7, 20).await.expect("recording again is not an error");
    assert_eq!(store.lfs_object_size(&oid('a')).await.expect("size"), Some(1 << 40), "the first record stays");
    assert!(store.record_lfs_object(&oid('b'), u64::MAX, 10).await.is_err(), "sizes beyond i64 are refused");

    assert!(!store.repo_may_reference_lfs("r1", &oid('a')).await.expect("may reference"));
    store.grant_lfs_upload("r1", &oid('a'), 30).await.expect("grant");
    store.grant_lfs_upload("r1", &oid('a'), 40).await.expect("granting again is not an error");
    assert!(store.repo_may_reference_lfs("r1", &oid('a')).await.expect("may reference"));
    assert!(
        !store.repo_may_reference_lfs("r2", &oid('a')).await.expect("may reference"),
        "knowing a hash is not enough"
    );
    assert!(!store.repo_has_lfs_object("r1", &oid('a')).await.expect("linked"), "a grant alone lets nobody read");

    // Linked by a commit without a grant (history copied in): referencable and readable.
    let linked = CommitIntent { lfs_oids: vec![oid('c').to_string()], ..intent("i1", "r2", 50) };
    store.record_commit_intent(&linked).await.expect("record");
    store.apply_commit_intent(&linked, &[]).await.expect("apply");
    assert!(store.repo_has_lfs_object("r2", &oid('c')).await.expect("linked"));
    assert!(store.repo_may_reference_lfs("r2", &oid('c')).await.expect("may reference"));
    assert!(!store.repo_may_reference_lfs("r1", &oid('c')).await.expect("may reference"));
}
