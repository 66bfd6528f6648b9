//! Collections: unique titles per owner, positions, listing with visibility, patches, and
//! items (repos and nested collections) kept in order.

use std::sync::Arc;

use stoa_core::collab::collection_store::{
    Collection, CollectionPatch, CollectionQuery, CollectionSort, ItemRef, ItemTarget, NewCollection,
};
use stoa_core::ports::{MetaStore, User};
use stoa_types::RepoType;

use super::Ctx;
use super::fixtures::{assert_already_exists, repo, user};

for_each_backend!(
    a_collection_reads_back_by_id_and_by_title,
    a_title_is_unique_per_owner_case_insensitively,
    collections_are_positioned_per_owner,
    listing_filters_by_owner_and_by_item,
    listing_hides_private_collections_from_everyone_but_their_owner,
    listing_sorts_by_last_modified_and_limits,
    updating_a_collection_patches_only_the_given_fields,
    items_are_appended_in_order_and_unique,
    updating_an_item_sets_its_note_and_reorders_densely,
    updating_a_missing_item_is_false,
    deleting_items_keeps_the_stored_positions,
    a_moved_repo_stays_in_its_collections_under_its_new_name,
    deleting_a_repo_removes_it_from_collections,
    deleting_a_collection_removes_it_and_its_nesting,
);

// --- helpers --------------------------------------------------------------------------------

fn new_collection(id: &str, owner: &str, title: &str, private: bool, creator: &User, now: i64) -> NewCollection {
    NewCollection {
        id: id.to_owned(),
        slug: format!("{owner}/{id}-slug"),
        owner: owner.to_owned(),
        title: title.to_owned(),
        description: None,
        private,
        theme: "orange".to_owned(),
        created_by: creator.id.clone(),
        now,
    }
}

async fn create(store: &dyn MetaStore, id: &str, owner: &User, title: &str, private: bool, now: i64) {
    let new = new_collection(id, &owner.name, title, private, owner, now);
    store.create_collection(&new).await.expect("create collection");
}

async fn collection(store: &dyn MetaStore, id: &str) -> Collection {
    store.collection_by_id(id).await.expect("collection").expect("found")
}

fn query() -> CollectionQuery {
    CollectionQuery { owner: None, item_repo_id: None, viewer: None, sort: CollectionSort::LastModified, limit: 100 }
}

async fn listed(store: &dyn MetaStore, query: CollectionQuery) -> Vec<String> {
    store.list_collections(&query).await.expect("list collections").into_iter().map(|c| c.id).collect()
}

fn owner(name: &str) -> Option<String> {
    Some(name.to_owned())
}

/// (item id, what it points at, position) in the order returned.
fn items(collection: &Collection) -> Vec<(String, String, i64)> {
    collection
        .items
        .iter()
        .map(|item| {
            let target = match &item.target {
                ItemTarget::Repo(repo) => format!("repo:{}", repo.id),
                ItemTarget::Collection(child) => format!("collection:{}", child.id),
            };
            (item.id.clone(), target, item.position)
        })
        .collect()
}

fn item_ids(collection: &Collection) -> Vec<String> {
    collection.items.iter().map(|item| item.id.clone()).collect()
}

fn positions(collection: &Collection) -> Vec<(String, i64)> {
    collection.items.iter().map(|item| (item.id.clone(), item.position)).collect()
}

async fn add_repo(store: &dyn MetaStore, collection_id: &str, item_id: &str, repo_id: &str, now: i64) {
    store.add_collection_item(collection_id, item_id, ItemRef::Repo(repo_id), None, now).await.expect("add repo item");
}

/// alice's collection `c` holding repos r0..r{count-1} as items i0..i{count-1}.
async fn with_items(store: &dyn MetaStore, count: usize) -> User {
    let alice = user(store, "alice").await;
    create(store, "c", &alice, "Picks", false, 1_000).await;
    for index in 0..count {
        let repo_id = format!("r{index}");
        repo(store, &repo_id, &alice, &format!("alice/model-{index}")).await;
        let at = 2_000 + i64::try_from(index).expect("small");
        add_repo(store, "c", &format!("i{index}"), &repo_id, at).await;
    }
    alice
}

// --- collections ----------------------------------------------------------------------------

async fn a_collection_reads_back_by_id_and_by_title(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let new = NewCollection {
        description: Some("The best ones".to_owned()),
        theme: "indigo".to_owned(),
        ..new_collection("c1", "Alice", "My Picks", true, &alice, 1_500)
    };
    store.create_collection(&new).await.expect("create");

    let found = collection(store, "c1").await;
    assert_eq!(
        (found.id.as_str(), found.slug.as_str(), found.owner.as_str(), found.title.as_str()),
        ("c1", "Alice/c1-slug", "Alice", "My Picks"),
        "the owner is kept as spelled"
    );
    assert_eq!(
        (found.description.as_deref(), found.private, found.theme.as_str()),
        (Some("The best ones"), true, "indigo")
    );
    assert_eq!((found.position, found.upvotes, found.created_by.as_str()), (0, 0, alice.id.as_str()));
    assert_eq!((found.created_at, found.updated_at), (1_500, 1_500));
    assert!(found.items.is_empty());

    for owner_spelling in ["Alice", "alice", "ALICE"] {
        let by_title = store.collection_by_title(owner_spelling, "My Picks").await.expect("by title");
        assert_eq!(by_title.map(|c| c.id).as_deref(), Some("c1"), "owner {owner_spelling}");
    }
    assert!(store.collection_by_title("bob", "My Picks").await.expect("by title").is_none());
    assert!(store.collection_by_title("alice", "Other").await.expect("by title").is_none());
    assert!(store.collection_by_id("missing").await.expect("by id").is_none());
}

async fn a_title_is_unique_per_owner_case_insensitively(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    store.create_collection(&new_collection("c1", "alice", "Picks", false, &alice, 1_000)).await.expect("create");

    assert_already_exists(store.create_collection(&new_collection("c2", "ALICE", "Picks", true, &alice, 2_000)).await);
    assert!(store.collection_by_id("c2").await.expect("by id").is_none(), "nothing was written");
    assert!(!collection(store, "c1").await.private, "the existing one is untouched");

    store
        .create_collection(&new_collection("c3", "bob", "Picks", false, &bob, 3_000))
        .await
        .expect("another owner may use the title");
    store
        .create_collection(&new_collection("c4", "alice", "Other picks", false, &alice, 4_000))
        .await
        .expect("another title");
    assert_eq!(store.collection_by_title("bob", "Picks").await.expect("by title").expect("found").id, "c3");
    assert_eq!(store.collection_by_title("alice", "Picks").await.expect("by title").expect("found").id, "c1");
}

async fn collections_are_positioned_per_owner(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    create(store, "a0", &alice, "zero", false, 1_000).await;
    create(store, "a1", &alice, "one", true, 2_000).await;
    create(store, "b0", &bob, "zero", false, 3_000).await;
    store
        .create_collection(&new_collection("a2", "Alice", "two", false, &alice, 4_000))
        .await
        .expect("create under another spelling of the owner");
    create(store, "b1", &bob, "one", false, 5_000).await;

    let mut found = Vec::new();
    for id in ["a0", "a1", "a2", "b0", "b1"] {
        found.push((id, collection(store, id).await.position));
    }
    assert_eq!(found, [("a0", 0), ("a1", 1), ("a2", 2), ("b0", 0), ("b1", 1)]);
}

/// alice: `a-pub` (holds r1), `a-priv` (private, holds r2); bob: `b-pub` (holds r1).
async fn listing_fixture(store: &dyn MetaStore) -> (User, User) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    repo(store, "r1", &alice, "alice/one").await;
    repo(store, "r2", &alice, "alice/two").await;
    repo(store, "r3", &alice, "alice/three").await;
    create(store, "a-pub", &alice, "Public", false, 1_000).await;
    create(store, "a-priv", &alice, "Private", true, 1_100).await;
    create(store, "b-pub", &bob, "Bob's", false, 1_200).await;
    // Modified in this order: a-pub, then b-pub, then a-priv last.
    add_repo(store, "a-pub", "i1", "r1", 2_000).await;
    add_repo(store, "b-pub", "i2", "r1", 3_000).await;
    add_repo(store, "a-priv", "i3", "r2", 4_000).await;
    (alice, bob)
}

async fn listing_filters_by_owner_and_by_item(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    listing_fixture(store).await;

    assert_eq!(listed(store, CollectionQuery { owner: owner("alice"), ..query() }).await, ["a-pub"]);
    assert_eq!(listed(store, CollectionQuery { owner: owner("BOB"), ..query() }).await, ["b-pub"], "owner case");
    assert!(listed(store, CollectionQuery { owner: owner("carol"), ..query() }).await.is_empty());
    assert_eq!(
        listed(store, CollectionQuery { item_repo_id: Some("r1".to_owned()), ..query() }).await,
        ["b-pub", "a-pub"]
    );
    let both = CollectionQuery { owner: owner("alice"), item_repo_id: Some("r1".to_owned()), ..query() };
    assert_eq!(listed(store, both).await, ["a-pub"]);
    assert!(listed(store, CollectionQuery { item_repo_id: Some("r3".to_owned()), ..query() }).await.is_empty());

    // Listed collections come with their items.
    let found = store.list_collections(&CollectionQuery { owner: owner("bob"), ..query() }).await.expect("list");
    assert_eq!(items(&found[0]), [("i2".to_owned(), "repo:r1".to_owned(), 0)]);
}

async fn listing_hides_private_collections_from_everyone_but_their_owner(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    listing_fixture(store).await;

    assert_eq!(listed(store, query()).await, ["b-pub", "a-pub"], "anonymous");
    assert_eq!(listed(store, CollectionQuery { viewer: owner("bob"), ..query() }).await, ["b-pub", "a-pub"]);
    for viewer in ["alice", "ALICE", "Alice"] {
        assert_eq!(
            listed(store, CollectionQuery { viewer: owner(viewer), ..query() }).await,
            ["a-priv", "b-pub", "a-pub"],
            "the owner (as {viewer})"
        );
    }
    let alices = |viewer: Option<String>| CollectionQuery { owner: owner("alice"), viewer, ..query() };
    assert_eq!(listed(store, alices(owner("bob"))).await, ["a-pub"]);
    assert_eq!(listed(store, alices(owner("alice"))).await, ["a-priv", "a-pub"]);
    let holding_r2 =
        |viewer: Option<String>| CollectionQuery { item_repo_id: Some("r2".to_owned()), viewer, ..query() };
    assert!(listed(store, holding_r2(None)).await.is_empty());
    assert!(listed(store, holding_r2(owner("bob"))).await.is_empty());
    assert_eq!(listed(store, holding_r2(owner("alice"))).await, ["a-priv"]);
}

async fn listing_sorts_by_last_modified_and_limits(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    listing_fixture(store).await;
    let viewer = || owner("alice");

    assert_eq!(listed(store, CollectionQuery { viewer: viewer(), limit: 1, ..query() }).await, ["a-priv"]);
    assert_eq!(listed(store, CollectionQuery { viewer: viewer(), limit: 2, ..query() }).await, ["a-priv", "b-pub"]);
    // A change moves a collection to the front.
    store.update_collection("a-pub", &CollectionPatch::default(), 9_000).await.expect("touch");
    assert_eq!(listed(store, CollectionQuery { viewer: viewer(), ..query() }).await, ["a-pub", "a-priv", "b-pub"]);
    // Without upvotes, sorting by them falls back on the last change.
    let by_upvotes = CollectionQuery { viewer: viewer(), sort: CollectionSort::Upvotes, ..query() };
    assert_eq!(listed(store, by_upvotes).await, ["a-pub", "a-priv", "b-pub"]);
}

async fn updating_a_collection_patches_only_the_given_fields(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let original = NewCollection {
        description: Some("desc".to_owned()),
        ..new_collection("c1", "alice", "Old title", false, &alice, 1_000)
    };
    store.create_collection(&original).await.expect("create");
    create(store, "c2", &alice, "Untouched", false, 1_100).await;

    let retitle = CollectionPatch {
        title: Some("New title".to_owned()),
        slug: Some("alice/new-title-c1".to_owned()),
        ..CollectionPatch::default()
    };
    store.update_collection("c1", &retitle, 2_000).await.expect("retitle");
    let renamed = collection(store, "c1").await;
    assert_eq!((renamed.title.as_str(), renamed.slug.as_str()), ("New title", "alice/new-title-c1"));
    assert_eq!(
        (renamed.description.as_deref(), renamed.private, renamed.theme.as_str(), renamed.position),
        (Some("desc"), false, "orange", 0),
        "fields not in the patch stay"
    );
    assert_eq!((renamed.created_at, renamed.updated_at), (1_000, 2_000));
    assert_eq!(store.collection_by_title("alice", "New title").await.expect("by title").expect("found").id, "c1");
    assert!(store.collection_by_title("alice", "Old title").await.expect("by title").is_none());

    let rest = CollectionPatch {
        description: Some("other".to_owned()),
        private: Some(true),
        theme: Some("green".to_owned()),
        position: Some(5),
        ..CollectionPatch::default()
    };
    store.update_collection("c1", &rest, 3_000).await.expect("patch the rest");
    let patched = collection(store, "c1").await;
    assert_eq!(
        (patched.title.as_str(), patched.slug.as_str(), patched.description.as_deref()),
        ("New title", "alice/new-title-c1", Some("other"))
    );
    assert_eq!(
        (patched.private, patched.theme.as_str(), patched.position, patched.updated_at),
        (true, "green", 5, 3_000)
    );

    store.update_collection("c1", &CollectionPatch::default(), 4_000).await.expect("empty patch");
    let touched = collection(store, "c1").await;
    assert_eq!(
        (touched.title.as_str(), touched.description.as_deref(), touched.private, touched.theme.as_str()),
        ("New title", Some("other"), true, "green")
    );
    assert_eq!((touched.position, touched.updated_at), (5, 4_000));

    let other = collection(store, "c2").await;
    assert_eq!((other.title.as_str(), other.updated_at, other.position), ("Untouched", 1_100, 1));
}

async fn items_are_appended_in_order_and_unique(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/one").await;
    repo(store, "r2", &alice, "Alice/Two").await;
    create(store, "c", &alice, "Parent", false, 1_000).await;
    create(store, "child", &alice, "Child", false, 1_100).await;
    add_repo(store, "child", "inner", "r1", 1_200).await;

    store.add_collection_item("c", "i1", ItemRef::Repo("r1"), Some("start here"), 2_000).await.expect("add repo");
    store.add_collection_item("c", "i2", ItemRef::Collection("child"), None, 3_000).await.expect("add collection");
    store.add_collection_item("c", "i3", ItemRef::Repo("r2"), None, 4_000).await.expect("add repo");

    let parent = collection(store, "c").await;
    assert_eq!(
        items(&parent),
        [
            ("i1".to_owned(), "repo:r1".to_owned(), 0),
            ("i2".to_owned(), "collection:child".to_owned(), 1),
            ("i3".to_owned(), "repo:r2".to_owned(), 2),
        ]
    );
    assert_eq!(parent.updated_at, 4_000, "adding an item touches the collection");
    assert_eq!((parent.items[0].note.as_deref(), parent.items[0].created_at), (Some("start here"), 2_000));
    assert_eq!(parent.items[1].note, None);
    let ItemTarget::Repo(two) = &parent.items[2].target else { panic!("a repo item") };
    assert_eq!((two.full_name(), two.repo_type), ("Alice/Two".to_owned(), RepoType::Model));
    let ItemTarget::Collection(child) = &parent.items[1].target else { panic!("a collection item") };
    assert_eq!((child.title.as_str(), child.owner.as_str()), ("Child", "alice"));
    assert!(child.items.is_empty(), "a nested collection's items are not loaded");

    assert_already_exists(store.add_collection_item("c", "dup1", ItemRef::Repo("r1"), None, 5_000).await);
    assert_already_exists(store.add_collection_item("c", "dup2", ItemRef::Collection("child"), None, 5_000).await);
    let after = collection(store, "c").await;
    assert_eq!(item_ids(&after), ["i1", "i2", "i3"], "nothing added");
    assert_eq!(after.updated_at, 4_000, "a refused item does not touch the collection");

    // The same repo may be in another collection.
    assert_eq!(item_ids(&collection(store, "child").await), ["inner"]);
}

async fn updating_an_item_sets_its_note_and_reorders_densely(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    with_items(store, 4).await;
    let order = |ids: [&str; 4]| ids.iter().zip(0_i64..).map(|(id, at)| ((*id).to_owned(), at)).collect::<Vec<_>>();

    assert!(store.update_collection_item("c", "i3", None, Some(0), 5_000).await.expect("move to front"));
    let moved = collection(store, "c").await;
    assert_eq!(positions(&moved), order(["i3", "i0", "i1", "i2"]));
    assert_eq!(moved.updated_at, 5_000);

    assert!(store.update_collection_item("c", "i0", None, Some(2), 6_000).await.expect("move down"));
    assert_eq!(positions(&collection(store, "c").await), order(["i3", "i1", "i0", "i2"]));

    assert!(store.update_collection_item("c", "i3", None, Some(100), 7_000).await.expect("move past the end"));
    assert_eq!(positions(&collection(store, "c").await), order(["i1", "i0", "i2", "i3"]));

    assert!(store.update_collection_item("c", "i2", Some("a note"), None, 8_000).await.expect("note"));
    let noted = collection(store, "c").await;
    assert_eq!(positions(&noted), order(["i1", "i0", "i2", "i3"]), "a note alone does not move the item");
    assert_eq!(noted.items[2].note.as_deref(), Some("a note"));
    assert_eq!(noted.updated_at, 8_000);

    assert!(store.update_collection_item("c", "i2", None, Some(0), 9_000).await.expect("move"));
    let kept = collection(store, "c").await;
    assert_eq!(positions(&kept), order(["i2", "i1", "i0", "i3"]));
    assert_eq!(kept.items[0].note.as_deref(), Some("a note"), "moving keeps the note");

    assert!(store.update_collection_item("c", "i1", Some("both"), Some(3), 10_000).await.expect("note and move"));
    let both = collection(store, "c").await;
    assert_eq!(positions(&both), order(["i2", "i0", "i3", "i1"]));
    assert_eq!(both.items[3].note.as_deref(), Some("both"));
}

async fn updating_a_missing_item_is_false(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = with_items(store, 2).await;
    create(store, "other", &alice, "Other", false, 1_500).await;
    let before = collection(store, "c").await;

    assert!(!store.update_collection_item("c", "missing", Some("n"), Some(0), 9_000).await.expect("update"));
    assert!(
        !store.update_collection_item("other", "i1", Some("n"), Some(0), 9_000).await.expect("update"),
        "the item belongs to another collection"
    );
    assert!(!store.update_collection_item("gone", "i1", None, None, 9_000).await.expect("update"));
    let after = collection(store, "c").await;
    assert_eq!(positions(&after), positions(&before));
    assert!(after.items.iter().all(|item| item.note.is_none()));
    assert_eq!(after.updated_at, before.updated_at, "nothing touched");
    assert_eq!(collection(store, "other").await.updated_at, 1_500);
}

async fn deleting_items_keeps_the_stored_positions(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    with_items(store, 3).await;

    assert!(store.delete_collection_item("c", "i1", 5_000).await.expect("delete"));
    let after = collection(store, "c").await;
    assert_eq!(positions(&after), [("i0".to_owned(), 0), ("i2".to_owned(), 2)]);
    assert_eq!(after.updated_at, 5_000);
    assert!(!store.delete_collection_item("c", "i1", 6_000).await.expect("delete again"));
    assert!(!store.delete_collection_item("c", "missing", 6_000).await.expect("delete missing"));
    assert_eq!(collection(store, "c").await.updated_at, 5_000, "nothing deleted, nothing touched");

    // New items go after the last; a move renumbers densely again.
    add_repo(store, "c", "i3", "r1", 7_000).await;
    assert_eq!(
        positions(&collection(store, "c").await),
        [("i0".to_owned(), 0), ("i2".to_owned(), 2), ("i3".to_owned(), 3)]
    );
    assert!(store.update_collection_item("c", "i3", None, Some(0), 8_000).await.expect("move"));
    assert_eq!(
        positions(&collection(store, "c").await),
        [("i3".to_owned(), 0), ("i0".to_owned(), 1), ("i2".to_owned(), 2)]
    );
}

async fn a_moved_repo_stays_in_its_collections_under_its_new_name(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    with_items(store, 2).await;

    store.move_repo("r0", "alice", "renamed", 5_000).await.expect("move");
    let after = collection(store, "c").await;
    assert_eq!(item_ids(&after), ["i0", "i1"]);
    let ItemTarget::Repo(moved) = &after.items[0].target else { panic!("a repo item") };
    assert_eq!((moved.id.as_str(), moved.full_name()), ("r0", "alice/renamed".to_owned()));
    assert_eq!(listed(store, CollectionQuery { item_repo_id: Some("r0".to_owned()), ..query() }).await, ["c"]);
}

async fn deleting_a_repo_removes_it_from_collections(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = with_items(store, 3).await;
    create(store, "other", &alice, "Other", false, 1_500).await;
    add_repo(store, "other", "o1", "r1", 1_600).await;

    store.delete_repo("r1").await.expect("delete repo");
    assert_eq!(positions(&collection(store, "c").await), [("i0".to_owned(), 0), ("i2".to_owned(), 2)]);
    assert!(collection(store, "other").await.items.is_empty());
    assert!(listed(store, CollectionQuery { item_repo_id: Some("r1".to_owned()), ..query() }).await.is_empty());
    // The item is gone, not just hidden: the repo can be added back as a new item.
    repo(store, "r1", &alice, "alice/model-1").await;
    add_repo(store, "c", "i1-again", "r1", 9_000).await;
    assert_eq!(item_ids(&collection(store, "c").await), ["i0", "i2", "i1-again"]);
}

async fn deleting_a_collection_removes_it_and_its_nesting(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = with_items(store, 1).await;
    create(store, "child", &alice, "Child", false, 1_100).await;
    add_repo(store, "child", "inner", "r0", 1_200).await;
    store.add_collection_item("c", "nested", ItemRef::Collection("child"), None, 3_000).await.expect("nest");
    assert_eq!(item_ids(&collection(store, "c").await), ["i0", "nested"]);

    store.delete_collection("child").await.expect("delete child");
    assert!(store.collection_by_id("child").await.expect("by id").is_none());
    assert!(store.collection_by_title("alice", "Child").await.expect("by title").is_none());
    assert_eq!(item_ids(&collection(store, "c").await), ["i0"], "the parent no longer holds it");
    assert_eq!(listed(store, CollectionQuery { item_repo_id: Some("r0".to_owned()), ..query() }).await, ["c"]);

    store.delete_collection("c").await.expect("delete parent");
    assert!(store.collection_by_id("c").await.expect("by id").is_none());
    assert!(listed(store, query()).await.is_empty());
    store.delete_collection("c").await.expect("deleting a missing collection is not an error");

    // The title is free again.
    create(store, "c-again", &alice, "Picks", false, 4_000).await;
    assert_eq!(store.collection_by_title("alice", "Picks").await.expect("by title").expect("found").id, "c-again");
}
