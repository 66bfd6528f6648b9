//! Discussions and pull requests: numbering, listing, events and their updates, the activity
//! entries they write, and pull request commit events carried by commit intents.

use std::sync::Arc;

use serde_json::json;
use stoa_core::collab::store::{
    ActivityEntry, Discussion, DiscussionFilter, DiscussionStatus, DiscussionUpdate, NewDiscussion, PullRequestEvent,
};
use stoa_core::ports::{CommitIntent, MetaStore, User};
use stoa_types::RepoType;

use super::Ctx;
use super::collab_helpers::*;
use super::fixtures::{assert_already_exists, intent, repo, user};

for_each_backend!(
    discussion_numbers_are_shared_by_pull_requests_and_independent_across_repos,
    a_numbered_discussion_takes_its_number_or_fails_without_writing,
    a_discussion_reads_back_with_its_author_status_and_base_ref,
    listing_discussions_filters_newest_first_and_counts_all_matches,
    listing_discussions_pages_with_offset_and_limit,
    events_keep_their_order_and_apply_their_updates,
    expected_status_is_a_compare_and_swap_that_writes_nothing_when_it_fails,
    an_event_on_a_missing_discussion_writes_nothing,
    a_failed_event_insert_leaves_the_discussion_unchanged,
    replacing_event_data_changes_only_that_event,
    concurrent_discussions_get_distinct_numbers,
    a_discussion_records_its_activity_with_its_number,
    a_pull_request_commit_event_lands_with_its_intent,
);

/// r1: #1 alice open discussion, #2 bob open PR, #3 bob closed discussion, #4 alice merged PR,
/// #5 alice draft PR, #6 alice open discussion; r2: one discussion.
async fn listing_fixture(store: &dyn MetaStore) -> (User, User) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    let rows = [
        (&alice, "d1", false, DiscussionStatus::Open),
        (&bob, "p2", true, DiscussionStatus::Open),
        (&bob, "d3", false, DiscussionStatus::Closed),
        (&alice, "p4", true, DiscussionStatus::Merged),
        (&alice, "p5", true, DiscussionStatus::Draft),
        (&alice, "d6", false, DiscussionStatus::Open),
    ];
    for (at, (author, title, is_pr, status)) in (1_000..).step_by(1_000).zip(rows) {
        create(store, "r1", author, title, is_pr, status, at).await;
    }
    create(store, "r2", &bob, "elsewhere", false, DiscussionStatus::Open, 9_000).await;
    (alice, bob)
}

async fn discussion_numbers_are_shared_by_pull_requests_and_independent_across_repos(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    repo(store, "r2", &alice, "alice/two").await;

    assert_eq!(create(store, "r1", &alice, "d1", false, DiscussionStatus::Open, 1_000).await, 1);
    assert_eq!(create(store, "r1", &alice, "p2", true, DiscussionStatus::Open, 2_000).await, 2);
    assert_eq!(create(store, "r1", &alice, "d3", false, DiscussionStatus::Open, 3_000).await, 3);
    assert_eq!(create(store, "r2", &alice, "other", true, DiscussionStatus::Open, 4_000).await, 1, "per repo");
    assert_eq!(create(store, "r2", &alice, "other2", false, DiscussionStatus::Open, 5_000).await, 2);

    let mut kinds = Vec::new();
    for num in 1..=3 {
        let found = discussion(store, "r1", num).await;
        kinds.push((found.num, found.title, found.is_pull_request));
    }
    assert_eq!(kinds, [(1, "d1".to_owned(), false), (2, "p2".to_owned(), true), (3, "d3".to_owned(), false)]);
    assert_eq!(discussion(store, "r2", 1).await.title, "other");
    assert!(store.discussion("r2", 3).await.expect("discussion").is_none());
}

async fn a_numbered_discussion_takes_its_number_or_fails_without_writing(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    repo(store, "r2", &alice, "alice/other").await;
    assert_eq!(store.next_discussion_number("r1").await.expect("next"), 1);
    assert_eq!(store.next_discussion_number("missing").await.expect("next"), 1);

    let numbered = |title: &str| new_discussion("r1", &alice, title, true, DiscussionStatus::Open, 1_000);
    let activity_of = |id: &str| entry(id, "r1", &alice, "pr", 1_000);
    store
        .create_numbered_discussion(&numbered("one"), 1, Some(&comment("one-e1", &alice, 1_000)), &activity_of("one-a"))
        .await
        .expect("create #1");
    assert_eq!(store.next_discussion_number("r1").await.expect("next"), 2);
    assert_eq!(store.next_discussion_number("r2").await.expect("next"), 1, "per repo");
    assert_eq!(create(store, "r1", &alice, "two", false, DiscussionStatus::Open, 2_000).await, 2);

    // A taken number: nothing of it is written.
    assert_already_exists(
        store
            .create_numbered_discussion(
                &numbered("clash"),
                2,
                Some(&comment("clash-e1", &alice, 3_000)),
                &activity_of("clash-a"),
            )
            .await,
    );
    assert_eq!(discussion(store, "r1", 2).await.title, "two");
    assert_eq!(event_ids(store, "r1", 2).await, ["two-e1"]);
    assert!(!activity_ids(store, of_repo("r1")).await.contains(&"clash-a".to_owned()));

    // A number past the end leaves a gap; the next one follows it.
    store.create_numbered_discussion(&numbered("five"), 5, None, &activity_of("five-a")).await.expect("create #5");
    let five = discussion(store, "r1", 5).await;
    assert_eq!((five.title.as_str(), five.is_pull_request, five.num_comments), ("five", true, 0));
    let five_activity = activity(store, of_repo("r1")).await.into_iter().find(|r| r.entry.id == "five-a");
    assert_eq!(five_activity.expect("recorded").entry.data, json!({ "note": "five-a", "num": 5 }));
    assert_eq!(store.next_discussion_number("r1").await.expect("next"), 6);
    assert_eq!(create(store, "r1", &alice, "six", false, DiscussionStatus::Open, 4_000).await, 6);
    assert_eq!(list(store, "r1", all()).await, (vec![6, 5, 2, 1], 4));
}

async fn a_discussion_reads_back_with_its_author_status_and_base_ref(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/model").await;

    let pr = NewDiscussion {
        base_ref: Some("refs/heads/dev".to_owned()),
        ..new_discussion("r1", &bob, "Add weights", true, DiscussionStatus::Draft, 1_234)
    };
    let first = event("ev-1", "comment", &bob, 1_234, json!({ "text": "please review", "hidden": false }));
    let num =
        store.create_discussion(&pr, Some(&first), &entry("act-1", "r1", &bob, "pr", 1_234)).await.expect("create");
    assert_eq!(num, 1);
    assert_eq!(
        discussion(store, "r1", 1).await,
        Discussion {
            repo_id: "r1".to_owned(),
            num: 1,
            is_pull_request: true,
            title: "Add weights".to_owned(),
            status: DiscussionStatus::Draft,
            author_user_id: bob.id.clone(),
            author: "bob".to_owned(),
            created_at: 1_234,
            base_ref: Some("refs/heads/dev".to_owned()),
            merge_commit: None,
            num_comments: 1,
        }
    );
    let events = store.discussion_events("r1", 1).await.expect("events");
    assert_eq!(events.len(), 1, "the first event is created with the discussion");
    let first_read = &events[0];
    assert_eq!(
        (first_read.id.as_str(), first_read.kind.as_str(), first_read.author_user_id.as_str()),
        ("ev-1", "comment", bob.id.as_str())
    );
    assert_eq!((first_read.author.as_str(), first_read.created_at), ("bob", 1_234));
    assert_eq!(first_read.data, json!({ "text": "please review", "hidden": false }));

    // A discussion without a first event, and without a base ref.
    let plain = new_discussion("r1", &alice, "Question", false, DiscussionStatus::Open, 2_000);
    let num = store.create_discussion(&plain, None, &entry("act-2", "r1", &alice, "d", 2_000)).await.expect("create");
    assert_eq!(num, 2);
    let read = discussion(store, "r1", 2).await;
    assert_eq!(
        (read.author.as_str(), read.status, read.base_ref, read.num_comments),
        ("alice", DiscussionStatus::Open, None, 0)
    );
    assert!(store.discussion_events("r1", 2).await.expect("events").is_empty());

    assert!(store.discussion("r1", 3).await.expect("discussion").is_none());
    assert!(store.discussion("missing", 1).await.expect("discussion").is_none());
}

async fn listing_discussions_filters_newest_first_and_counts_all_matches(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let (alice, bob) = listing_fixture(store).await;

    assert_eq!(list(store, "r1", all()).await, (vec![6, 5, 4, 3, 2, 1], 6), "newest first, one repo only");
    let prs = DiscussionFilter { pull_requests: Some(true), ..all() };
    assert_eq!(list(store, "r1", prs).await, (vec![5, 4, 2], 3));
    let discussions = DiscussionFilter { pull_requests: Some(false), ..all() };
    assert_eq!(list(store, "r1", discussions).await, (vec![6, 3, 1], 3));
    let open = DiscussionFilter { open: Some(true), ..all() };
    assert_eq!(list(store, "r1", open).await, (vec![6, 5, 2, 1], 4), "draft counts as open");
    let closed = DiscussionFilter { open: Some(false), ..all() };
    assert_eq!(list(store, "r1", closed).await, (vec![4, 3], 2), "merged counts as closed");
    let by_bob = DiscussionFilter { author_user_id: Some(bob.id.clone()), ..all() };
    assert_eq!(list(store, "r1", by_bob).await, (vec![3, 2], 2));
    let combined = DiscussionFilter {
        pull_requests: Some(true),
        open: Some(true),
        author_user_id: Some(alice.id.clone()),
        ..all()
    };
    assert_eq!(list(store, "r1", combined).await, (vec![5], 1));
    let nobody = DiscussionFilter { author_user_id: Some("user-nobody".to_owned()), ..all() };
    assert_eq!(list(store, "r1", nobody).await, (vec![], 0));
    assert_eq!(list(store, "r2", all()).await, (vec![1], 1));
    assert_eq!(list(store, "missing", all()).await, (vec![], 0));

    // The listed rows carry what `discussion()` returns.
    let (found, _) = store.list_discussions("r1", &all()).await.expect("list");
    for listed in &found {
        assert_eq!(listed, &discussion(store, "r1", listed.num).await);
    }
}

async fn listing_discussions_pages_with_offset_and_limit(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    listing_fixture(store).await;

    let page = |offset, limit| DiscussionFilter { offset, limit, ..DiscussionFilter::default() };
    assert_eq!(list(store, "r1", page(0, 2)).await, (vec![6, 5], 6), "the count is of all matches, not the page");
    assert_eq!(list(store, "r1", page(2, 2)).await, (vec![4, 3], 6));
    assert_eq!(list(store, "r1", page(4, 2)).await, (vec![2, 1], 6));
    assert_eq!(list(store, "r1", page(5, 10)).await, (vec![1], 6));
    assert_eq!(list(store, "r1", page(6, 10)).await, (vec![], 6));
    let prs = DiscussionFilter { pull_requests: Some(true), ..page(1, 1) };
    assert_eq!(list(store, "r1", prs).await, (vec![4], 3), "paging applies after filtering");
}

async fn events_keep_their_order_and_apply_their_updates(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/model").await;
    let num = store
        .create_discussion(
            &new_discussion("r1", &bob, "Typo", true, DiscussionStatus::Open, 5_000),
            Some(&comment("z-first", &bob, 5_000)),
            &entry("a1", "r1", &bob, "pr", 5_000),
        )
        .await
        .expect("create");

    // Ids and times deliberately out of order: events come in the order they were added.
    let plain = DiscussionUpdate::default();
    assert!(
        store
            .add_discussion_event("r1", num, &comment("a-second", &alice, 3_000), &plain, None)
            .await
            .expect("comment")
    );
    assert_eq!(discussion(store, "r1", num).await.title, "Typo", "an empty update changes nothing");

    let retitle = DiscussionUpdate { title: Some("Fix typo".to_owned()), ..DiscussionUpdate::default() };
    let title_change = event("m-third", "title-change", &bob, 4_000, json!({ "from": "Typo", "to": "Fix typo" }));
    assert!(
        store
            .add_discussion_event("r1", num, &title_change, &retitle, Some(&entry("a2", "r1", &bob, "title", 4_000)))
            .await
            .expect("retitle")
    );
    let after_title = discussion(store, "r1", num).await;
    assert_eq!((after_title.title.as_str(), after_title.status), ("Fix typo", DiscussionStatus::Open));

    let merge = DiscussionUpdate {
        status: Some(DiscussionStatus::Merged),
        merge_commit: Some("d".repeat(40)),
        ..DiscussionUpdate::default()
    };
    let status_change = event("b-fourth", "status-change", &alice, 1_000, json!({ "status": "merged" }));
    assert!(store.add_discussion_event("r1", num, &status_change, &merge, None).await.expect("merge"));
    let merged = discussion(store, "r1", num).await;
    assert_eq!(
        (merged.title.as_str(), merged.status, merged.merge_commit),
        ("Fix typo", DiscussionStatus::Merged, Some("d".repeat(40)))
    );
    assert_eq!((merged.author.as_str(), merged.created_at), ("bob", 5_000), "the opening stays as it was");

    let reopen = DiscussionUpdate { status: Some(DiscussionStatus::Closed), ..DiscussionUpdate::default() };
    assert!(
        store.add_discussion_event("r1", num, &comment("c-fifth", &bob, 2_000), &reopen, None).await.expect("close")
    );
    assert_eq!(
        discussion(store, "r1", num).await.merge_commit,
        Some("d".repeat(40)),
        "a None merge commit keeps the stored one"
    );

    assert_eq!(event_ids(store, "r1", num).await, ["z-first", "a-second", "m-third", "b-fourth", "c-fifth"]);
    assert_eq!(discussion(store, "r1", num).await.num_comments, 3, "comments only, not title or status changes");
    let events = store.discussion_events("r1", num).await.expect("events");
    assert_eq!(events[2].kind, "title-change");
    assert_eq!(events[2].data, json!({ "from": "Typo", "to": "Fix typo" }));
    assert_eq!((events[3].author.as_str(), events[3].created_at), ("alice", 1_000));
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["a1", "a2"], "activity only where given");
}

async fn expected_status_is_a_compare_and_swap_that_writes_nothing_when_it_fails(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    let num = create(store, "r1", &alice, "pr", true, DiscussionStatus::Open, 1_000).await;
    let before = discussion(store, "r1", num).await;

    let merge_if_closed = DiscussionUpdate {
        title: Some("renamed".to_owned()),
        status: Some(DiscussionStatus::Merged),
        merge_commit: Some("e".repeat(40)),
        expected_status: Some(DiscussionStatus::Closed),
    };
    let lost = store
        .add_discussion_event(
            "r1",
            num,
            &comment("merge-1", &alice, 2_000),
            &merge_if_closed,
            Some(&entry("act-merge-1", "r1", &alice, "merge", 2_000)),
        )
        .await
        .expect("add");
    assert!(!lost, "the status is open, not closed");
    assert_eq!(discussion(store, "r1", num).await, before, "nothing changed");
    assert_eq!(event_ids(store, "r1", num).await, ["pr-e1"], "no event appended");
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["pr-a"], "no activity recorded");

    let merge_if_open = DiscussionUpdate { expected_status: Some(DiscussionStatus::Open), ..merge_if_closed };
    let won = store
        .add_discussion_event(
            "r1",
            num,
            &comment("merge-2", &alice, 3_000),
            &merge_if_open,
            Some(&entry("act-merge-2", "r1", &alice, "merge", 3_000)),
        )
        .await
        .expect("add");
    assert!(won);
    let merged = discussion(store, "r1", num).await;
    assert_eq!(
        (merged.title.as_str(), merged.status, merged.merge_commit.clone()),
        ("renamed", DiscussionStatus::Merged, Some("e".repeat(40)))
    );

    // A second merge expecting "open" loses: two racing merges cannot both win.
    let again = DiscussionUpdate {
        status: Some(DiscussionStatus::Merged),
        merge_commit: Some("f".repeat(40)),
        expected_status: Some(DiscussionStatus::Open),
        ..DiscussionUpdate::default()
    };
    let second =
        store.add_discussion_event("r1", num, &comment("merge-3", &alice, 4_000), &again, None).await.expect("add");
    assert!(!second);
    assert_eq!(discussion(store, "r1", num).await, merged);
    assert_eq!(event_ids(store, "r1", num).await, ["pr-e1", "merge-2"]);
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["act-merge-2", "pr-a"]);
}

async fn an_event_on_a_missing_discussion_writes_nothing(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    create(store, "r1", &alice, "only", false, DiscussionStatus::Open, 1_000).await;

    let update = DiscussionUpdate { status: Some(DiscussionStatus::Closed), ..DiscussionUpdate::default() };
    let activity_entry = entry("act-x", "r1", &alice, "comment", 2_000);
    for (repo_id, num) in [("r1", 2), ("missing", 1)] {
        let added = store
            .add_discussion_event(repo_id, num, &comment("ghost", &alice, 2_000), &update, Some(&activity_entry))
            .await
            .expect("a missing discussion is not an error");
        assert!(!added, "{repo_id}#{num} does not exist");
    }
    assert!(store.discussion_events("r1", 2).await.expect("events").is_empty());
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["only-a"], "no activity recorded");
    assert_eq!(discussion(store, "r1", 1).await.status, DiscussionStatus::Open, "the other discussion is untouched");
}

async fn a_failed_event_insert_leaves_the_discussion_unchanged(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    let num = create(store, "r1", &alice, "d", false, DiscussionStatus::Open, 1_000).await;
    let before = discussion(store, "r1", num).await;

    // The event id is taken (by the first event): the event cannot be written, so neither is
    // the update nor the activity that came with it.
    let close = DiscussionUpdate {
        title: Some("changed".to_owned()),
        status: Some(DiscussionStatus::Closed),
        ..DiscussionUpdate::default()
    };
    let result = store
        .add_discussion_event(
            "r1",
            num,
            &comment("d-e1", &alice, 2_000),
            &close,
            Some(&entry("act-2", "r1", &alice, "c", 2_000)),
        )
        .await;
    assert!(result.is_err(), "a duplicate event id is refused, got {result:?}");
    assert_eq!(discussion(store, "r1", num).await, before);
    assert_eq!(event_ids(store, "r1", num).await, ["d-e1"]);
    assert_eq!(activity_ids(store, of_repo("r1")).await, ["d-a"]);
}

async fn replacing_event_data_changes_only_that_event(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    let num = create(store, "r1", &alice, "d", false, DiscussionStatus::Open, 1_000).await;
    store
        .add_discussion_event("r1", num, &comment("second", &alice, 2_000), &DiscussionUpdate::default(), None)
        .await
        .expect("comment");
    let before = store.discussion_events("r1", num).await.expect("events");

    let edited = json!({ "text": "edited", "edited": true, "history": [{ "text": "comment second" }] });
    store.replace_event_data("r1", num, "second", &edited).await.expect("replace");
    let after = store.discussion_events("r1", num).await.expect("events");
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], before[0], "the other event is untouched");
    assert_eq!(after[1].data, edited);
    assert_eq!(
        (after[1].id.as_str(), after[1].kind.as_str(), after[1].created_at),
        ("second", "comment", 2_000),
        "only the data changes"
    );

    let hidden = json!({ "hidden": true });
    store.replace_event_data("r1", num, "second", &hidden).await.expect("replace again");
    assert_eq!(store.discussion_events("r1", num).await.expect("events")[1].data, hidden);
}

async fn concurrent_discussions_get_distinct_numbers(ctx: Arc<Ctx>) {
    const WRITERS: u64 = 20;
    let alice = user(ctx.store.as_ref(), "alice").await;
    repo(ctx.store.as_ref(), "r1", &alice, "alice/model").await;

    let barrier = Arc::new(tokio::sync::Barrier::new(usize::try_from(WRITERS).expect("small")));
    let mut tasks = Vec::new();
    for index in 0..WRITERS {
        let store = Arc::clone(&ctx.store);
        let barrier = Arc::clone(&barrier);
        let author = alice.clone();
        tasks.push(tokio::spawn(async move {
            let is_pr = index % 2 == 0;
            let title = format!("t{index}");
            let discussion = new_discussion("r1", &author, &title, is_pr, DiscussionStatus::Open, 1_000);
            let first = comment(&format!("{title}-e1"), &author, 1_000);
            let activity_entry = entry(&format!("{title}-a"), "r1", &author, "discussion", 1_000);
            barrier.wait().await;
            store.create_discussion(&discussion, Some(&first), &activity_entry).await
        }));
    }
    let mut numbers = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(num) => numbers.push(num),
            Err(error) => failures.push(error),
        }
    }
    assert!(failures.is_empty(), "{} of {WRITERS} concurrent creations failed: {failures:?}", failures.len());
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=WRITERS).collect::<Vec<_>>());

    let store = ctx.store.as_ref();
    assert_eq!(list(store, "r1", all()).await.1, WRITERS);
    for num in 1..=WRITERS {
        let found = discussion(store, "r1", num).await;
        assert_eq!(
            event_ids(store, "r1", num).await,
            [format!("{}-e1", found.title)],
            "each discussion got its own first event"
        );
    }
    assert_eq!(activity(store, of_repo("r1")).await.len(), 20);
}

async fn a_discussion_records_its_activity_with_its_number(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "Alice/Model").await;
    create(store, "r1", &alice, "first", false, DiscussionStatus::Open, 1_000).await;

    let pr = new_discussion("r1", &bob, "Second", true, DiscussionStatus::Open, 2_000);
    let entry_in = ActivityEntry {
        data: json!({ "title": "Second", "isPullRequest": true }),
        ..entry("act-pr", "r1", &bob, "discussion", 2_000)
    };
    let num = store.create_discussion(&pr, None, &entry_in).await.expect("create");
    assert_eq!(num, 2);

    let records = activity(store, of_repo("r1")).await;
    assert_eq!(records.iter().map(|r| r.entry.id.as_str()).collect::<Vec<_>>(), ["act-pr", "first-a"]);
    let newest = &records[0];
    assert_eq!(newest.entry.data, json!({ "title": "Second", "isPullRequest": true, "num": 2 }));
    assert_eq!(
        (newest.entry.repo_id.as_str(), newest.entry.actor_user_id.as_str(), newest.entry.kind.as_str()),
        ("r1", bob.id.as_str(), "discussion")
    );
    assert_eq!(newest.entry.created_at, 2_000);
    assert_eq!(
        (newest.actor.as_str(), newest.repo_type, newest.repo_name.as_str()),
        ("bob", RepoType::Model, "Alice/Model")
    );
    assert_eq!(records[1].entry.data, json!({ "note": "first-a", "num": 1 }));
}

async fn a_pull_request_commit_event_lands_with_its_intent(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/model").await;
    assert_eq!(create(store, "r1", &alice, "pr", true, DiscussionStatus::Open, 1_000).await, 1);
    assert_eq!(create(store, "r1", &alice, "talk", false, DiscussionStatus::Open, 1_100).await, 2);

    let on_pr = |intent_id: &str, num: u64, event_id: &str, at: i64| CommitIntent {
        ref_name: format!("refs/pr/{num}"),
        is_default_branch: false,
        pr_event: Some(PullRequestEvent {
            num,
            event: event(event_id, "commit", &alice, at, json!({ "oid": "c".repeat(40), "subject": event_id })),
        }),
        ..intent(intent_id, "r1", at)
    };
    let landed = on_pr("i1", 1, "commit-1", 2_000);
    store.record_commit_intent(&landed).await.expect("record");
    assert_eq!(event_ids(store, "r1", 1).await, ["pr-e1"], "nothing before the commit lands");
    let pending = store.pending_commit_intents().await.expect("pending");
    let carried = pending[0].pr_event.clone().expect("the event travels with the intent");
    assert_eq!((carried.num, carried.event.id.as_str(), carried.event.kind.as_str()), (1, "commit-1", "commit"));
    assert_eq!(carried.event.data, json!({ "oid": "c".repeat(40), "subject": "commit-1" }));

    store.apply_commit_intent(&landed, &[]).await.expect("apply");
    assert_eq!(event_ids(store, "r1", 1).await, ["pr-e1", "commit-1"]);
    let written = &store.discussion_events("r1", 1).await.expect("events")[1];
    assert_eq!((written.kind.as_str(), written.author.as_str(), written.created_at), ("commit", "alice", 2_000));

    // A refs/pr/N ref no pull request owns (a discussion's number, or none at all) adds nothing.
    for (intent_id, num) in [("i2", 2), ("i3", 9)] {
        let orphan = on_pr(intent_id, num, &format!("commit-{intent_id}"), 3_000);
        store.record_commit_intent(&orphan).await.expect("record");
        store.apply_commit_intent(&orphan, &[]).await.expect("a ref without a pull request still commits");
    }
    assert_eq!(event_ids(store, "r1", 2).await, ["talk-e1"]);
    assert!(store.discussion_events("r1", 9).await.expect("events").is_empty());
    assert!(store.pending_commit_intents().await.expect("pending").is_empty());

    // A discarded commit adds no event.
    let discarded = on_pr("i4", 1, "commit-4", 4_000);
    store.record_commit_intent(&discarded).await.expect("record");
    store.discard_commit_intent("i4").await.expect("discard");
    let second = on_pr("i5", 1, "commit-5", 5_000);
    store.record_commit_intent(&second).await.expect("record");
    store.apply_commit_intent(&second, &[]).await.expect("apply");
    assert_eq!(event_ids(store, "r1", 1).await, ["pr-e1", "commit-1", "commit-5"]);
}
