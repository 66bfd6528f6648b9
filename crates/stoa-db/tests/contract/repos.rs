//! Repos: case-insensitive ids, deletion, listing (search, filters, sort, paging, visibility)
//! and download counts.

use std::sync::Arc;

use stoa_core::ports::{MetaStore, RepoQuery, RepoSort};
use stoa_types::RepoType;

use super::Ctx;
use super::fixtures::{assert_already_exists, intent, new_repo, oid, repo, today, user};

for_each_backend!(
    repo_ids_are_unique_case_insensitively,
    deleting_a_repo_drops_what_hangs_on_it,
    listing_filters_by_search_author_tags_and_visibility,
    listing_sorts_and_pages,
    downloads_count_all_time_and_the_last_30_days,
);

async fn repo_ids_are_unique_case_insensitively(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    store.create_repo(&new_repo("r1", &alice, "Alice/My-Model", true, 1_500)).await.expect("create");

    for key in ["Alice/My-Model", "alice/my-model", "ALICE/MY-MODEL"] {
        let found = store.repo_by_name(RepoType::Model, key).await.expect("lookup").expect("found by any case");
        assert_eq!(found.id, "r1");
        assert_eq!(found.full_name(), "Alice/My-Model", "the spelling given at creation is kept");
        assert_eq!(
            (found.repo_type, found.private, found.owner_user_id.as_str()),
            (RepoType::Model, true, "user-alice")
        );
        assert_eq!((found.created_at, found.last_modified), (1_500, 1_500));
        assert_eq!((found.downloads, found.downloads_all_time), (0, 0));
        assert!(found.tags.is_empty());
    }
    assert!(store.repo_by_name(RepoType::Dataset, "alice/my-model").await.expect("lookup").is_none());
    assert!(store.repo_by_name(RepoType::Model, "alice/other").await.expect("lookup").is_none());

    assert_already_exists(store.create_repo(&new_repo("r2", &alice, "alice/MY-model", false, 1)).await);
    assert_already_exists(store.create_repo(&new_repo("r1", &alice, "alice/fresh", false, 1)).await);
    let mut dataset = new_repo("r3", &alice, "alice/my-model", false, 1);
    dataset.repo_type = RepoType::Dataset;
    store.create_repo(&dataset).await.expect("the same name is free for another repo type");
    assert_eq!(store.repo_by_name(RepoType::Dataset, "ALICE/my-model").await.expect("lookup").expect("found").id, "r3");
}

async fn deleting_a_repo_drops_what_hangs_on_it(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/gone").await;
    repo(store, "r2", &alice, "alice/kept").await;
    let linked = intent("i1", "r1", 2_000);
    let linked = stoa_core::ports::CommitIntent { lfs_oids: vec![oid('a').to_string()], ..linked };
    store.record_commit_intent(&linked).await.expect("record");
    store.apply_commit_intent(&linked, &[]).await.expect("apply");
    store.grant_lfs_upload("r1", &oid('b'), 2_000).await.expect("grant");
    store.count_download("r1", today()).await.expect("count");
    store.record_commit_intent(&intent("i2", "r1", 2_100)).await.expect("record");
    store.record_commit_intent(&intent("i3", "r2", 2_100)).await.expect("record");

    store.delete_repo("r1").await.expect("delete");
    assert!(store.repo_by_name(RepoType::Model, "alice/gone").await.expect("lookup").is_none());
    let pending: Vec<String> =
        store.pending_commit_intents().await.expect("pending").into_iter().map(|i| i.id).collect();
    assert_eq!(pending, ["i3"], "the deleted repo's intents go with it");
    assert!(!store.repo_has_lfs_object("r1", &oid('a')).await.expect("linked"));
    assert!(!store.repo_may_reference_lfs("r1", &oid('b')).await.expect("granted"));

    // The name is free again, and the new repo starts from nothing.
    repo(store, "r4", &alice, "Alice/Gone").await;
    let reborn = store.repo_by_name(RepoType::Model, "alice/gone").await.expect("lookup").expect("found");
    assert_eq!((reborn.id.as_str(), reborn.downloads_all_time), ("r4", 0));
    store.delete_repo("missing").await.expect("deleting a missing repo is not an error");
}

/// alice: a public model with tags, a private model, a public dataset; bob: a public model.
async fn listing_fixture(store: &dyn MetaStore) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    store.create_repo(&new_repo("a1", &alice, "Alice/Bert_Base", false, 100)).await.expect("create");
    store.create_repo(&new_repo("a2", &alice, "alice/secret-bert", true, 200)).await.expect("create");
    store.create_repo(&new_repo("b1", &bob, "bob/gpt-small", false, 300)).await.expect("create");
    store.create_repo(&new_repo("b2", &bob, "bob/bertbase", false, 400)).await.expect("create");
    let mut dataset = new_repo("a3", &alice, "alice/bert-data", false, 500);
    dataset.repo_type = RepoType::Dataset;
    store.create_repo(&dataset).await.expect("create");
    let tags = |id: &str, tags: &[&str]| stoa_core::ports::CommitIntent {
        tags: Some(tags.iter().map(|tag| (*tag).to_owned()).collect()),
        ..intent(&format!("tags-{id}"), id, 0)
    };
    for (id, list) in [("a1", &["pytorch", "en"][..]), ("b1", &["pytorch"]), ("a2", &["pytorch", "en"])] {
        let intent = tags(id, list);
        store.record_commit_intent(&intent).await.expect("record");
        store.apply_commit_intent(&intent, &[]).await.expect("apply");
    }
}

fn query(viewer: Option<&str>) -> RepoQuery {
    RepoQuery {
        repo_type: RepoType::Model,
        search: Vec::new(),
        author: None,
        tags: Vec::new(),
        sort: RepoSort::CreatedAt,
        descending: false,
        offset: 0,
        limit: 100,
        viewer_user_id: viewer.map(str::to_owned),
    }
}

async fn ids(store: &dyn MetaStore, query: &RepoQuery) -> Vec<String> {
    store.list_repos(query).await.expect("list").into_iter().map(|repo| repo.id).collect()
}

async fn listing_filters_by_search_author_tags_and_visibility(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    listing_fixture(store).await;

    assert_eq!(ids(store, &query(None)).await, ["a1", "b1", "b2"], "anonymous: public models only");
    assert_eq!(
        ids(store, &query(Some("user-alice"))).await,
        ["a1", "a2", "b1", "b2"],
        "the owner sees her private repo"
    );
    assert_eq!(ids(store, &query(Some("user-bob"))).await, ["a1", "b1", "b2"], "nobody else does");

    let search = |terms: &[&str]| RepoQuery {
        search: terms.iter().map(|t| (*t).to_owned()).collect(),
        ..query(Some("user-alice"))
    };
    assert_eq!(ids(store, &search(&["BERT"])).await, ["a1", "a2", "b2"], "case-insensitive substring of ns/name");
    assert_eq!(ids(store, &search(&["bert", "alice/"])).await, ["a1", "a2"], "every term must match");
    assert_eq!(ids(store, &search(&["t_b"])).await, ["a1"], "`_` is no wildcard");
    assert_eq!(ids(store, &search(&["%"])).await, Vec::<String>::new(), "`%` is no wildcard");
    assert_eq!(ids(store, &search(&["e/g"])).await, Vec::<String>::new());
    assert_eq!(ids(store, &search(&["b/g"])).await, ["b1"]);

    let author = |name: &str| RepoQuery { author: Some(name.to_owned()), ..query(None) };
    assert_eq!(ids(store, &author("ALICE")).await, ["a1"]);
    assert_eq!(ids(store, &author("bob")).await, ["b1", "b2"]);
    assert_eq!(ids(store, &author("bo")).await, Vec::<String>::new(), "authors match whole");

    let tagged = |tags: &[&str]| RepoQuery { tags: tags.iter().map(|t| (*t).to_owned()).collect(), ..query(None) };
    assert_eq!(ids(store, &tagged(&["pytorch"])).await, ["a1", "b1"]);
    assert_eq!(ids(store, &tagged(&["pytorch", "en"])).await, ["a1"], "every tag must be present");
    assert_eq!(ids(store, &tagged(&["EN"])).await, Vec::<String>::new(), "tags are exact");
    let owner_tagged = RepoQuery { viewer_user_id: Some("user-alice".to_owned()), ..tagged(&["en"]) };
    assert_eq!(ids(store, &owner_tagged).await, ["a1", "a2"]);

    let datasets = RepoQuery { repo_type: RepoType::Dataset, ..query(None) };
    let listed = store.list_repos(&datasets).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id.as_str(), listed[0].full_name()), ("a3", "alice/bert-data".to_owned()));
    let a1 = store.list_repos(&author("alice")).await.expect("list").remove(0);
    assert_eq!(a1.tags, ["pytorch", "en"], "tags come back in card order");
}

async fn listing_sorts_and_pages(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    // Keys chosen so that byte order differs from most locales' order (`-` < `_` < letters).
    for (id, name, created) in
        [("r1", "alice/aa", 400), ("r2", "alice/a_c", 100), ("r3", "Alice/B", 300), ("r4", "alice/a-b", 200)]
    {
        store.create_repo(&new_repo(id, &alice, name, false, created)).await.expect("create");
    }
    for (id, committed) in [("r2", 5_000), ("r4", 4_000), ("r2", 50)] {
        let touch = intent(&format!("touch-{id}-{committed}"), id, committed);
        store.record_commit_intent(&touch).await.expect("record");
        store.apply_commit_intent(&touch, &[]).await.expect("apply");
    }
    for (id, count) in [("r3", 3), ("r1", 1), ("r4", 2)] {
        for _ in 0..count {
            store.count_download(id, today()).await.expect("count");
        }
    }

    let sorted = |sort, descending| RepoQuery { sort, descending, ..query(None) };
    assert_eq!(ids(store, &sorted(RepoSort::CreatedAt, false)).await, ["r2", "r4", "r3", "r1"]);
    assert_eq!(ids(store, &sorted(RepoSort::CreatedAt, true)).await, ["r1", "r3", "r4", "r2"]);
    assert_eq!(ids(store, &sorted(RepoSort::LastModified, true)).await, ["r2", "r4", "r1", "r3"]);
    assert_eq!(ids(store, &sorted(RepoSort::Downloads, true)).await, ["r3", "r4", "r1", "r2"]);
    assert_eq!(
        ids(store, &sorted(RepoSort::Id, false)).await,
        ["r4", "r2", "r1", "r3"],
        "byte order of the lower-cased id"
    );
    assert_eq!(ids(store, &sorted(RepoSort::Id, true)).await, ["r3", "r1", "r2", "r4"]);
    // Nothing sets likes yet: ties fall back to the internal id, in the same direction.
    assert_eq!(ids(store, &sorted(RepoSort::Likes, false)).await, ["r1", "r2", "r3", "r4"]);
    assert_eq!(ids(store, &sorted(RepoSort::Likes, true)).await, ["r4", "r3", "r2", "r1"]);

    let page = |offset, limit| RepoQuery { offset, limit, ..sorted(RepoSort::CreatedAt, false) };
    assert_eq!(ids(store, &page(0, 2)).await, ["r2", "r4"]);
    assert_eq!(ids(store, &page(2, 2)).await, ["r3", "r1"]);
    assert_eq!(ids(store, &page(3, 10)).await, ["r1"]);
    assert_eq!(ids(store, &page(4, 10)).await, Vec::<String>::new());
    assert_eq!(ids(store, &page(1, 0)).await, Vec::<String>::new());
    assert_eq!(ids(store, &page(1, u64::MAX)).await, ["r4", "r3", "r1"], "huge limits are clamped, not errors");
}

async fn downloads_count_all_time_and_the_last_30_days(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/popular").await;
    repo(store, "r2", &alice, "alice/quiet").await;
    let today = today();
    // The window is the 30 days after `today - 30`: day `today - 30` itself is out.
    for day in [today, today, today - 29, today - 30, today - 400] {
        store.count_download("r1", day).await.expect("count");
    }
    let popular = store.repo_by_name(RepoType::Model, "alice/popular").await.expect("lookup").expect("found");
    assert_eq!((popular.downloads_all_time, popular.downloads), (5, 3));
    let quiet = store.repo_by_name(RepoType::Model, "alice/quiet").await.expect("lookup").expect("found");
    assert_eq!((quiet.downloads_all_time, quiet.downloads), (0, 0));
    let listed = store.list_repos(&query(None)).await.expect("list");
    assert_eq!(listed.iter().map(|repo| repo.downloads).collect::<Vec<_>>(), [3, 0], "listings carry the same counts");
    assert!(store.count_download("missing", today).await.is_err(), "counting for no repo is refused");
}
