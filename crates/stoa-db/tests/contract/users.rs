//! Users and tokens.

use std::sync::Arc;

use stoa_core::ports::{NewUser, TokenRecord, TokenRole};

use super::Ctx;
use super::fixtures::{assert_already_exists, user};

for_each_backend!(user_names_are_unique_case_insensitively, tokens_are_found_by_hash_and_record_their_use);

async fn user_names_are_unique_case_insensitively(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let new =
        NewUser { name: "Alice".to_owned(), fullname: "Alice A.".to_owned(), email: Some("a@example.org".to_owned()) };
    let created = store.create_user(new, "u1".to_owned(), 1_234).await.expect("create");
    assert_eq!((created.id.as_str(), created.name.as_str(), created.created_at), ("u1", "Alice", 1_234));

    for name in ["Alice", "alice", "ALICE"] {
        let found = store.user_by_name(name).await.expect("lookup").expect("found by any case");
        assert_eq!(found.id, "u1");
        assert_eq!(found.name, "Alice", "the spelling given at creation is kept");
        assert_eq!(found.fullname, "Alice A.");
        assert_eq!(found.email.as_deref(), Some("a@example.org"));
        assert_eq!(found.created_at, 1_234);
    }
    let by_id = store.user_by_id("u1").await.expect("lookup").expect("found by id");
    assert_eq!(by_id.name, "Alice");
    assert!(store.user_by_name("bob").await.expect("lookup").is_none());
    assert!(store.user_by_id("U1").await.expect("lookup").is_none(), "ids are exact");

    let same_name = NewUser { name: "aLiCe".to_owned(), fullname: String::new(), email: None };
    assert_already_exists(store.create_user(same_name, "u2".to_owned(), 1).await);
    let same_id = NewUser { name: "bob".to_owned(), fullname: String::new(), email: None };
    assert_already_exists(store.create_user(same_id, "u1".to_owned(), 1).await);
    assert!(store.user_by_name("bob").await.expect("lookup").is_none(), "a refused user leaves nothing");

    let bob = NewUser { name: "bob".to_owned(), fullname: String::new(), email: None };
    let bob = store.create_user(bob, "u2".to_owned(), 1).await.expect("create");
    assert_eq!(store.user_by_name("BOB").await.expect("lookup").expect("found").id, bob.id);
    assert!(store.user_by_id("u2").await.expect("lookup").expect("found").email.is_none());
}

async fn tokens_are_found_by_hash_and_record_their_use(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let owner = user(store, "alice").await;
    let record = TokenRecord {
        id: "t1".to_owned(),
        user_id: owner.id.clone(),
        name: "laptop".to_owned(),
        role: TokenRole::Write,
        created_at: 500,
        scopes: None,
        expires_at: None,
        last_used_at: None,
    };
    store.create_token(&record, "hash-1").await.expect("create token");
    let reader = TokenRecord { id: "t2".to_owned(), name: "ci".to_owned(), role: TokenRole::Read, ..record.clone() };
    store.create_token(&reader, "hash-2").await.expect("create token");
    assert_eq!(ctx.token_last_used("t1").await, None);

    let found = store.token_by_hash("hash-1", 10_000).await.expect("lookup").expect("found");
    assert_eq!((found.id.as_str(), found.user_id.as_str(), found.name.as_str()), ("t1", owner.id.as_str(), "laptop"));
    assert_eq!((found.role, found.created_at), (TokenRole::Write, 500));
    assert_eq!(store.token_by_hash("hash-2", 10_000).await.expect("lookup").expect("found").role, TokenRole::Read);
    assert_eq!(ctx.token_last_used("t1").await, Some(10_000));

    // Use is recorded at most once a minute.
    store.token_by_hash("hash-1", 10_059).await.expect("lookup").expect("found");
    assert_eq!(ctx.token_last_used("t1").await, Some(10_000));
    store.token_by_hash("hash-1", 10_060).await.expect("lookup").expect("found");
    assert_eq!(ctx.token_last_used("t1").await, Some(10_060));

    assert!(store.token_by_hash("HASH-1", 10_000).await.expect("lookup").is_none(), "hashes are exact");
    assert!(store.token_by_hash("nope", 10_000).await.expect("lookup").is_none());
    let clash = TokenRecord { id: "t3".to_owned(), ..record.clone() };
    assert_already_exists(store.create_token(&clash, "hash-1").await);
    assert_already_exists(store.create_token(&record, "hash-3").await);
}
