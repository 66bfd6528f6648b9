//! The community side of the store: the activity log, likes, repo settings, moves with their
//! redirects, and large objects shared with a duplicate.

use std::sync::Arc;

use serde_json::json;
use stoa_core::collab::store::{ActivityEntry, DiscussionStatus};
use stoa_core::ports::{CommitIntent, Repo, StoreError};
use stoa_types::RepoType;

use super::Ctx;
use super::collab_helpers::*;
use super::fixtures::{intent, new_repo, oid, repo, user};

for_each_backend!(
    activity_lists_newest_first_and_pages,
    actor_activity_hides_private_repos_from_everyone_but_their_owner,
    commit_activity_is_recorded_when_the_intent_is_applied_not_when_discarded,
    deleting_a_repo_removes_its_discussions_likes_and_activity,
    liking_twice_counts_once_and_unliking_recounts,
    likers_are_listed_newest_first_with_their_user,
    liked_repos_hide_private_repos_from_everyone_but_their_owner,
    repo_settings_change_only_what_is_given,
    moving_a_repo_renames_it_and_leaves_a_redirect,
    moving_onto_a_taken_name_fails_and_changes_nothing,
    moving_back_reclaims_the_old_name,
    chained_moves_keep_every_old_name_redirecting_to_the_last,
    sharing_objects_lets_the_duplicate_serve_them,
);

async fn activity_lists_newest_first_and_pages(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    // Recorded out of order; listed by time.
    for (id, at) in [("e3", 3_000), ("e1", 1_000), ("e5", 5_000), ("e2", 2_000), ("e4", 4_000)] {
        store.record_activity(&entry(id, "r1", &alice, "commit", at)).await.expect("record");
    }
    store.record_activity(&entry("other-repo", "r2", &alice, "commit", 2_500)).await.expect("record");
    store.record_activity(&entry("by-bob", "r1", &bob, "comment", 3_500)).await.expect("record");

    assert_eq!(activity_ids(store, of_repo("r1")).await, ["e5", "e4", "by-bob", "e3", "e2", "e1"]);
    let page = store.list_activity(&of_repo("r1"), 1, 2).await.expect("page");
    assert_eq!(page.iter().map(|r| r.entry.id.as_str()).collect::<Vec<_>>(), ["e4", "by-bob"]);
    let last = store.list_activity(&of_repo("r1"), 5, 10).await.expect("page");
    assert_eq!(last.iter().map(|r| r.entry.id.as_str()).collect::<Vec<_>>(), ["e1"]);
    assert!(store.list_activity(&of_repo("r1"), 6, 10).await.expect("page").is_empty());

    assert_eq!(
        activity_ids(store, of_actor(&alice, Some(&alice))).await,
        ["e5", "e4", "e3", "other-repo", "e2", "e1"],
        "an actor's activity spans repos"
    );
    let actor_page = store.list_activity(&of_actor(&alice, None), 2, 2).await.expect("page");
    assert_eq!(actor_page.iter().map(|r| r.entry.id.as_str()).collect::<Vec<_>>(), ["e3", "other-repo"]);

    let record = &activity(store, of_repo("r1")).await[2];
    assert_eq!(
        (record.entry.id.as_str(), record.entry.kind.as_str(), record.entry.created_at),
        ("by-bob", "comment", 3_500)
    );
    assert_eq!((record.actor.as_str(), record.repo_name.as_str()), ("bob", "alice/model"));
    assert_eq!(record.entry.data, json!({ "note": "by-bob" }));
    assert!(activity(store, of_repo("missing")).await.is_empty());
}

async fn actor_activity_hides_private_repos_from_everyone_but_their_owner(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "pub", &alice, "alice/public").await;
    private_repo(store, "priv", &alice, "alice/private").await;
    store.record_activity(&entry("a-pub", "pub", &alice, "commit", 1_000)).await.expect("record");
    store.record_activity(&entry("a-priv", "priv", &alice, "commit", 2_000)).await.expect("record");
    store.record_activity(&entry("b-priv", "priv", &bob, "comment", 3_000)).await.expect("record");
    store.record_activity(&entry("b-pub", "pub", &bob, "comment", 4_000)).await.expect("record");

    assert_eq!(activity_ids(store, of_actor(&alice, None)).await, ["a-pub"], "anonymous viewer");
    assert_eq!(activity_ids(store, of_actor(&alice, Some(&bob))).await, ["a-pub"], "another user");
    assert_eq!(activity_ids(store, of_actor(&alice, Some(&alice))).await, ["a-priv", "a-pub"], "the owner");

    // Bob acted in alice's private repo: only alice, its owner, sees that entry.
    assert_eq!(activity_ids(store, of_actor(&bob, Some(&bob))).await, ["b-pub"]);
    assert_eq!(activity_ids(store, of_actor(&bob, None)).await, ["b-pub"]);
    assert_eq!(activity_ids(store, of_actor(&bob, Some(&alice))).await, ["b-pub", "b-priv"]);

    // Made public, the repo's entries show to everyone.
    store.update_repo_settings("priv", Some(false), None).await.expect("publish");
    assert_eq!(activity_ids(store, of_actor(&alice, None)).await, ["a-priv", "a-pub"]);
}

async fn commit_activity_is_recorded_when_the_intent_is_applied_not_when_discarded(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;

    let commit_entry = ActivityEntry {
        data: json!({ "commit": "c".repeat(40), "title": "Upload" }),
        ..entry("act-commit", "r1", &alice, "commit", 2_000)
    };
    let applied = CommitIntent { activity: Some(commit_entry), ..intent("i1", "r1", 2_000) };
    let discarded = CommitIntent {
        activity: Some(entry("act-discarded", "r1", &alice, "commit", 3_000)),
        ..intent("i2", "r1", 3_000)
    };
    store.record_commit_intent(&applied).await.expect("record");
    store.record_commit_intent(&discarded).await.expect("record");
    assert!(activity(store, of_repo("r1")).await.is_empty(), "a pending intent records nothing yet");

    // The entry travels with the intent, so recovery can record it.
    let pending = store.pending_commit_intents().await.expect("pending");
    let carried = pending.iter().find(|i| i.id == "i1").and_then(|i| i.activity.clone()).expect("activity kept");
    assert_eq!(
        (carried.id.as_str(), carried.repo_id.as_str(), carried.actor_user_id.as_str(), carried.kind.as_str()),
        ("act-commit", "r1", alice.id.as_str(), "commit")
    );
    assert_eq!(
        (carried.created_at, carried.data.clone()),
        (2_000, json!({ "commit": "c".repeat(40), "title": "Upload" }))
    );

    store.apply_commit_intent(&applied, &[]).await.expect("apply");
    store.discard_commit_intent("i2").await.expect("discard");
    let records = activity(store, of_repo("r1")).await;
    assert_eq!(records.iter().map(|r| r.entry.id.as_str()).collect::<Vec<_>>(), ["act-commit"]);
    assert_eq!(records[0].entry.data, json!({ "commit": "c".repeat(40), "title": "Upload" }));
    assert_eq!(records[0].actor, "alice");

    // An intent without an entry records none.
    let silent = intent("i3", "r1", 4_000);
    store.record_commit_intent(&silent).await.expect("record");
    store.apply_commit_intent(&silent, &[]).await.expect("apply");
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["act-commit"]);
}

async fn deleting_a_repo_removes_its_discussions_likes_and_activity(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/gone").await;
    repo(store, "r2", &alice, "alice/kept").await;
    create(store, "r1", &bob, "gone-d", false, DiscussionStatus::Open, 1_000).await;
    create(store, "r2", &bob, "kept-d", false, DiscussionStatus::Open, 1_100).await;
    assert!(store.like(&bob.id, "r1", &like_entry("like-1", "r1", &bob, 1_200)).await.expect("like"));
    assert!(store.like(&bob.id, "r2", &like_entry("like-2", "r2", &bob, 1_300)).await.expect("like"));
    store.record_activity(&entry("commit-1", "r1", &alice, "commit", 1_400)).await.expect("record");

    store.delete_repo("r1").await.expect("delete");
    assert!(activity(store, of_repo("r1")).await.is_empty());
    assert_eq!(activity_ids(store, of_actor(&bob, Some(&bob))).await, ["like-2", "kept-d-a"]);
    assert!(activity_ids(store, of_actor(&alice, Some(&alice))).await.is_empty());
    assert!(store.discussion("r1", 1).await.expect("discussion").is_none());
    assert!(store.discussion_events("r1", 1).await.expect("events").is_empty());
    assert!(store.likers("r1", 0, 10).await.expect("likers").is_empty());
    let liked: Vec<String> =
        store.liked_repos(&bob.id, None, 0, 10).await.expect("liked").into_iter().map(|(r, _)| r.id).collect();
    assert_eq!(liked, ["r2"]);

    // A new repo under the old name starts from nothing, numbering included.
    repo(store, "r3", &alice, "alice/gone").await;
    assert!(activity(store, of_repo("r3")).await.is_empty());
    assert_eq!(create(store, "r3", &bob, "reborn", false, DiscussionStatus::Open, 2_000).await, 1);
    assert_eq!(model(store, "alice/gone").await.likes, 0);
}

async fn liking_twice_counts_once_and_unliking_recounts(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    assert_eq!(model(store, "alice/model").await.likes, 0);

    assert!(store.like(&alice.id, "r1", &like_entry("l1", "r1", &alice, 1_000)).await.expect("like"));
    assert!(!store.like(&alice.id, "r1", &like_entry("l2", "r1", &alice, 2_000)).await.expect("like again"));
    assert_eq!(model(store, "alice/model").await.likes, 1);
    assert!(store.like(&bob.id, "r1", &like_entry("l3", "r1", &bob, 3_000)).await.expect("like"));
    assert_eq!(model(store, "alice/model").await.likes, 2);
    assert_eq!(model(store, "alice/other").await.likes, 0, "likes are per repo");
    assert_eq!(
        activity_ids(store, of_repo("r1")).await,
        ["l3", "l1"],
        "a like records its activity, a repeated like does not"
    );

    assert!(store.unlike(&alice.id, "r1").await.expect("unlike"));
    assert_eq!(model(store, "alice/model").await.likes, 1);
    assert!(!store.unlike(&alice.id, "r1").await.expect("unlike again"));
    assert!(!store.unlike(&carol.id, "r1").await.expect("unlike never liked"));
    assert!(!store.unlike(&bob.id, "r2").await.expect("unlike another repo"));
    assert_eq!(model(store, "alice/model").await.likes, 1);

    // Liking again after unliking counts again.
    assert!(store.like(&alice.id, "r1", &like_entry("l4", "r1", &alice, 4_000)).await.expect("like"));
    assert_eq!(model(store, "alice/model").await.likes, 2);
    assert!(store.unlike(&bob.id, "r1").await.expect("unlike"));
    assert!(store.unlike(&alice.id, "r1").await.expect("unlike"));
    assert_eq!(model(store, "alice/model").await.likes, 0);
}

async fn likers_are_listed_newest_first_with_their_user(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    for (who, at) in [(&alice, 1_000), (&bob, 3_000), (&carol, 2_000)] {
        let id = format!("like-{}", who.name);
        assert!(store.like(&who.id, "r1", &like_entry(&id, "r1", who, at)).await.expect("like"));
    }
    assert!(store.like(&alice.id, "r2", &like_entry("like-r2", "r2", &alice, 5_000)).await.expect("like"));

    let likers = store.likers("r1", 0, 10).await.expect("likers");
    let listed: Vec<(&str, i64)> = likers.iter().map(|(u, at)| (u.name.as_str(), *at)).collect();
    assert_eq!(listed, [("bob", 3_000), ("carol", 2_000), ("alice", 1_000)]);
    let (first, _) = &likers[0];
    assert_eq!(
        (first.id.as_str(), first.name.as_str(), first.fullname.as_str(), first.email.as_deref(), first.created_at),
        (bob.id.as_str(), "bob", "bob Full", None, bob.created_at)
    );

    let page = store.likers("r1", 1, 1).await.expect("page");
    assert_eq!(page.iter().map(|(u, _)| u.name.as_str()).collect::<Vec<_>>(), ["carol"]);
    assert!(store.likers("r1", 3, 10).await.expect("past the end").is_empty());
    assert!(store.likers("missing", 0, 10).await.expect("missing repo").is_empty());

    store.unlike(&carol.id, "r1").await.expect("unlike");
    let names: Vec<String> =
        store.likers("r1", 0, 10).await.expect("likers").into_iter().map(|(u, _)| u.name).collect();
    assert_eq!(names, ["bob", "alice"]);
}

async fn liked_repos_hide_private_repos_from_everyone_but_their_owner(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "a-pub", &alice, "alice/public").await;
    private_repo(store, "a-priv", &alice, "alice/private").await;
    repo(store, "b-pub", &bob, "bob/public").await;
    private_repo(store, "b-priv", &bob, "bob/private").await;
    for (repo_id, at) in [("a-pub", 1_000), ("a-priv", 2_000), ("b-pub", 3_000), ("b-priv", 4_000)] {
        let id = format!("like-{repo_id}");
        assert!(store.like(&alice.id, repo_id, &like_entry(&id, repo_id, &alice, at)).await.expect("like"));
    }

    let public = [("bob/public".to_owned(), 3_000), ("alice/public".to_owned(), 1_000)];
    assert_eq!(liked(store, &alice, None).await, public, "anonymous viewer, newest first");
    assert_eq!(
        liked(store, &alice, Some(&bob)).await,
        [("bob/private".to_owned(), 4_000), ("bob/public".to_owned(), 3_000), ("alice/public".to_owned(), 1_000)],
        "bob sees his own private repo, not alice's"
    );
    assert_eq!(
        liked(store, &alice, Some(&alice)).await,
        [("bob/public".to_owned(), 3_000), ("alice/private".to_owned(), 2_000), ("alice/public".to_owned(), 1_000)],
        "alice sees her own private repo, not bob's"
    );

    let page = store.liked_repos(&alice.id, Some(&alice.id), 1, 1).await.expect("page");
    assert_eq!(page.len(), 1);
    let (repo_read, at) = &page[0];
    assert_eq!((repo_read.id.as_str(), repo_read.private, repo_read.likes, *at), ("a-priv", true, 1, 2_000));
    assert!(store.liked_repos(&bob.id, Some(&bob.id), 0, 10).await.expect("nothing liked").is_empty());
}

async fn repo_settings_change_only_what_is_given(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    let settings = |repo: Repo| (repo.private, repo.discussions_disabled);
    assert_eq!(settings(model(store, "alice/model").await), (false, false));

    store.update_repo_settings("r1", Some(true), None).await.expect("private");
    assert_eq!(settings(model(store, "alice/model").await), (true, false));
    store.update_repo_settings("r1", None, Some(true)).await.expect("disable discussions");
    assert_eq!(settings(model(store, "alice/model").await), (true, true));
    store.update_repo_settings("r1", None, None).await.expect("nothing");
    assert_eq!(settings(model(store, "alice/model").await), (true, true));
    store.update_repo_settings("r1", Some(false), None).await.expect("public");
    assert_eq!(settings(model(store, "alice/model").await), (false, true));
    store.update_repo_settings("r1", Some(true), Some(false)).await.expect("both");
    assert_eq!(settings(model(store, "alice/model").await), (true, false));
    assert_eq!(settings(model(store, "alice/other").await), (false, false), "other repos are untouched");
}

async fn moving_a_repo_renames_it_and_leaves_a_redirect(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/old").await;
    create(store, "r1", &alice, "kept", false, DiscussionStatus::Open, 1_000).await;
    assert!(store.like(&bob.id, "r1", &like_entry("like", "r1", &bob, 1_100)).await.expect("like"));

    store.move_repo("r1", "alice", "New-Name", 2_000).await.expect("move");
    let moved = model(store, "ALICE/new-name").await;
    assert_eq!((moved.id.as_str(), moved.full_name()), ("r1", "alice/New-Name".to_owned()));
    assert_eq!((moved.likes, moved.created_at), (1, 1_000), "the repo keeps what it had");
    assert!(store.repo_by_name(RepoType::Model, "alice/old").await.expect("lookup").is_none());
    assert_eq!(discussion(store, "r1", 1).await.title, "kept", "discussions follow the repo id");
    assert_eq!(activity(store, of_repo("r1")).await[0].repo_name, "alice/New-Name", "activity shows the new name");

    for old in ["alice/old", "Alice/OLD"] {
        let redirected = store.redirected_repo(RepoType::Model, old).await.expect("redirect").expect("redirects");
        assert_eq!((redirected.id.as_str(), redirected.full_name()), ("r1", "alice/New-Name".to_owned()));
    }
    assert!(store.redirected_repo(RepoType::Model, "alice/new-name").await.expect("redirect").is_none());
    assert!(store.redirected_repo(RepoType::Dataset, "alice/old").await.expect("redirect").is_none());
    assert!(store.redirected_repo(RepoType::Model, "alice/never").await.expect("redirect").is_none());

    // A move that only changes the case keeps the key: it leaves no redirect to itself.
    store.move_repo("r1", "alice", "new-name", 3_000).await.expect("recase");
    assert_eq!(model(store, "alice/NEW-NAME").await.full_name(), "alice/new-name");
    assert!(store.redirected_repo(RepoType::Model, "alice/new-name").await.expect("redirect").is_none());
    assert_eq!(store.redirected_repo(RepoType::Model, "alice/old").await.expect("redirect").expect("still").id, "r1");
}

async fn moving_onto_a_taken_name_fails_and_changes_nothing(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    repo(store, "r2", &alice, "alice/two").await;

    match store.move_repo("r1", "Alice", "TWO", 2_000).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let one = model(store, "alice/one").await;
    assert_eq!((one.id.as_str(), one.full_name()), ("r1", "alice/one".to_owned()));
    let two = model(store, "alice/two").await;
    assert_eq!((two.id.as_str(), two.full_name()), ("r2", "alice/two".to_owned()));
    assert!(store.redirected_repo(RepoType::Model, "alice/one").await.expect("redirect").is_none(), "no redirect left");
    assert!(store.redirected_repo(RepoType::Model, "alice/two").await.expect("redirect").is_none());

    // The same name under another repo type is free.
    let mut dataset = new_repo("d1", &alice, "alice/three", false, 1_000);
    dataset.repo_type = RepoType::Dataset;
    store.create_repo(&dataset).await.expect("create dataset");
    store.move_repo("r1", "alice", "three", 3_000).await.expect("a dataset does not take a model's name");
    assert_eq!(model(store, "alice/three").await.id, "r1");
}

async fn moving_back_reclaims_the_old_name(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/first").await;

    store.move_repo("r1", "alice", "second", 2_000).await.expect("move away");
    store.move_repo("r1", "alice", "First", 3_000).await.expect("move back");
    let back = model(store, "alice/first").await;
    assert_eq!((back.id.as_str(), back.full_name()), ("r1", "alice/First".to_owned()), "found directly");
    assert!(
        store.redirected_repo(RepoType::Model, "alice/first").await.expect("redirect").is_none(),
        "a live name is no longer a redirect"
    );
    assert!(store.repo_by_name(RepoType::Model, "alice/second").await.expect("lookup").is_none());
    let redirected =
        store.redirected_repo(RepoType::Model, "alice/second").await.expect("redirect").expect("redirects");
    assert_eq!(redirected.full_name(), "alice/First", "the name moved away from now redirects");
}

async fn chained_moves_keep_every_old_name_redirecting_to_the_last(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/a").await;

    store.move_repo("r1", "alice", "b", 2_000).await.expect("a to b");
    store.move_repo("r1", "org", "c", 3_000).await.expect("b to c");
    let live = model(store, "org/c").await;
    assert_eq!((live.id.as_str(), live.namespace.as_str(), live.name.as_str()), ("r1", "org", "c"));
    for old in ["alice/a", "alice/b"] {
        assert!(store.repo_by_name(RepoType::Model, old).await.expect("lookup").is_none());
        let redirected = store.redirected_repo(RepoType::Model, old).await.expect("redirect").expect("redirects");
        assert_eq!((redirected.id.as_str(), redirected.full_name()), ("r1", "org/c".to_owned()), "{old} redirects");
    }
    assert!(store.redirected_repo(RepoType::Model, "org/c").await.expect("redirect").is_none());

    // Deleting the repo drops its redirects with it.
    store.delete_repo("r1").await.expect("delete");
    for old in ["alice/a", "alice/b"] {
        assert!(store.redirected_repo(RepoType::Model, old).await.expect("redirect").is_none());
    }
}

async fn sharing_objects_lets_the_duplicate_serve_them(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "src", &alice, "alice/source").await;
    repo(store, "dup", &alice, "alice/duplicate").await;
    repo(store, "other", &alice, "alice/other").await;
    let linked = CommitIntent {
        lfs_oids: vec![oid('a').to_string(), oid('b').to_string()],
        xet_files: vec![(oid('c').to_string(), "f".repeat(64))],
        ..intent("i1", "src", 2_000)
    };
    store.record_commit_intent(&linked).await.expect("record");
    store.apply_commit_intent(&linked, &[]).await.expect("apply");
    assert!(!store.repo_has_lfs_object("dup", &oid('a')).await.expect("linked"), "not yet shared");

    store.share_repo_objects("src", "dup").await.expect("share");
    for seed in ['a', 'b'] {
        assert!(store.repo_has_lfs_object("dup", &oid(seed)).await.expect("linked"), "{seed} shared");
        assert!(store.repo_has_lfs_object("src", &oid(seed)).await.expect("linked"), "{seed} still in the source");
        assert!(!store.repo_has_lfs_object("other", &oid(seed)).await.expect("linked"), "{seed} only to dup");
    }
    let xet = store.repo_xet_file("dup", oid('c').as_str()).await.expect("xet").expect("xet file shared");
    assert_eq!(xet.hex(), "f".repeat(64));

    store.share_repo_objects("src", "dup").await.expect("sharing twice is not an error");
    assert!(store.repo_has_lfs_object("dup", &oid('a')).await.expect("linked"));
    store.share_repo_objects("other", "dup").await.expect("sharing nothing is not an error");
    assert!(store.repo_has_lfs_object("dup", &oid('b')).await.expect("linked"));
}
