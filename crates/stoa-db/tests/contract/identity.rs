//! Organisations and members, token lifecycle (scopes, expiry, revocation), passwords and
//! sessions, gated-repo access requests, and the audit log.

use std::sync::Arc;

use serde_json::json;
use stoa_core::identity::store::{AuditEntry, RequestStatus, RequestUpdate, Session};
use stoa_core::identity::{Entity, FineGrained, Org, OrgRole, ScopedPermissions};
use stoa_core::ports::{TokenRecord, TokenRole};
use stoa_types::RepoType;

use super::Ctx;
use super::fixtures::{assert_already_exists, repo, user};

for_each_backend!(
    organisations_have_unique_names_and_members_with_roles,
    tokens_keep_scopes_and_expiry_and_stop_when_revoked,
    passwords_and_sessions,
    access_requests_are_one_per_user_and_listed_by_status,
    gating_is_a_repo_setting,
    the_audit_log_is_read_per_organisation_newest_first,
    a_user_reads_what_they_did_and_what_happened_to_their_account,
);

fn org(id: &str, name: &str) -> Org {
    Org {
        id: id.to_owned(),
        name: name.to_owned(),
        fullname: format!("{name} Inc"),
        private_by_default: true,
        created_at: 7,
    }
}

async fn organisations_have_unique_names_and_members_with_roles(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    store.create_org(&org("o1", "Acme")).await.expect("create org");
    assert_already_exists(store.create_org(&org("o2", "ACME")).await);
    assert_eq!(store.org_by_name("acme").await.expect("lookup"), Some(org("o1", "Acme")));
    assert!(store.org_by_name("other").await.expect("lookup").is_none());

    store.set_org_member("o1", &bob.id, OrgRole::Read, 10).await.expect("add bob");
    store.set_org_member("o1", &alice.id, OrgRole::Admin, 10).await.expect("add alice");
    store.set_org_member("o1", &bob.id, OrgRole::Write, 11).await.expect("change bob's role");
    let members: Vec<(String, OrgRole)> =
        store.org_members("o1").await.expect("members").into_iter().map(|(user, role)| (user.name, role)).collect();
    assert_eq!(members, [("alice".to_owned(), OrgRole::Admin), ("bob".to_owned(), OrgRole::Write)]);
    let memberships = store.memberships(&bob.id).await.expect("memberships");
    assert_eq!(memberships.len(), 1);
    assert_eq!((memberships[0].org_name.as_str(), memberships[0].role), ("Acme", OrgRole::Write));
    assert_eq!(memberships[0].org_fullname, "Acme Inc");

    assert!(store.remove_org_member("o1", &bob.id).await.expect("remove"));
    assert!(!store.remove_org_member("o1", &bob.id).await.expect("remove again"));
    assert!(store.memberships(&bob.id).await.expect("memberships").is_empty());
}

async fn tokens_keep_scopes_and_expiry_and_stop_when_revoked(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let scopes = FineGrained {
        global: vec!["discussion.write".to_owned()],
        scoped: vec![ScopedPermissions {
            entity: Entity { kind: "model".to_owned(), name: "alice/a".to_owned() },
            permissions: vec!["repo.write".to_owned()],
        }],
        can_read_gated_repos: true,
    };
    let fine = TokenRecord {
        id: "t1".to_owned(),
        user_id: alice.id.clone(),
        name: "ci".to_owned(),
        role: TokenRole::FineGrained,
        created_at: 100,
        scopes: Some(scopes.clone()),
        expires_at: Some(1_000),
        last_used_at: None,
    };
    store.create_token(&fine, "hash-fine").await.expect("create");
    let plain = TokenRecord {
        id: "t2".to_owned(),
        role: TokenRole::Read,
        scopes: None,
        expires_at: None,
        created_at: 200,
        ..fine.clone()
    };
    store.create_token(&plain, "hash-plain").await.expect("create");

    let found = store.token_by_hash("hash-fine", 999).await.expect("lookup").expect("live before expiry");
    assert_eq!((found.role, found.scopes, found.expires_at), (TokenRole::FineGrained, Some(scopes), Some(1_000)));
    assert!(store.token_by_hash("hash-fine", 1_000).await.expect("lookup").is_none(), "expired at its expiry");
    let listed: Vec<String> =
        store.user_tokens(&alice.id).await.expect("list").into_iter().map(|token| token.id).collect();
    assert_eq!(listed, ["t2", "t1"], "newest first, expired ones listed");
    assert_eq!(
        store.user_tokens(&alice.id).await.expect("list")[1].last_used_at,
        Some(999),
        "the lookup recorded its use"
    );

    assert!(store.revoke_token(&alice.id, "t2", 300).await.expect("revoke"));
    assert!(!store.revoke_token(&alice.id, "t2", 301).await.expect("revoke again"));
    assert!(!store.revoke_token("someone-else", "t1", 301).await.expect("not theirs"));
    assert!(store.token_by_hash("hash-plain", 400).await.expect("lookup").is_none());
    assert_eq!(store.user_tokens(&alice.id).await.expect("list").len(), 1);
}

async fn passwords_and_sessions(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    assert_eq!(store.password_hash(&alice.id).await.expect("hash"), None);
    store.set_password_hash(&alice.id, "$argon2id$v=19$x").await.expect("set");
    assert_eq!(store.password_hash(&alice.id).await.expect("hash").as_deref(), Some("$argon2id$v=19$x"));

    let session = |id: &str, expires_at| Session {
        id_hash: id.to_owned(),
        user_id: alice.id.clone(),
        csrf_token: format!("csrf-{id}"),
        created_at: 10,
        expires_at,
    };
    store.create_session(&session("s1", 1_000)).await.expect("create");
    store.create_session(&session("s2", 2_000)).await.expect("create");
    assert_eq!(store.session("s1", 999).await.expect("lookup"), Some(session("s1", 1_000)));
    assert!(store.session("s1", 1_000).await.expect("lookup").is_none(), "expired");
    store.delete_session("s2").await.expect("delete");
    assert!(store.session("s2", 10).await.expect("lookup").is_none());
    store.create_session(&session("s3", 5_000)).await.expect("create");
    store.delete_user_sessions(&alice.id).await.expect("end all");
    assert!(store.session("s3", 10).await.expect("lookup").is_none());
}

fn update(id: &str, repo_id: &str, user_id: &str, status: RequestStatus, now: i64) -> RequestUpdate {
    RequestUpdate {
        id: id.to_owned(),
        repo_id: repo_id.to_owned(),
        user_id: user_id.to_owned(),
        status,
        fields: None,
        rejection_reason: None,
        now,
    }
}

async fn access_requests_are_one_per_user_and_listed_by_status(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    repo(store, "r1", &alice, "alice/gated").await;
    let first = RequestUpdate {
        fields: Some(json!({"Company": "Acme"})),
        ..update("q1", "r1", &bob.id, RequestStatus::Pending, 10)
    };
    store.save_access_request(&first).await.expect("request");
    store.save_access_request(&update("q2", "r1", &carol.id, RequestStatus::Pending, 20)).await.expect("request");

    let pending = store.list_access_requests("r1", RequestStatus::Pending, 0, 10).await.expect("list");
    assert_eq!(pending.iter().map(|request| request.user.name.as_str()).collect::<Vec<_>>(), ["carol", "bob"]);
    assert_eq!(pending[1].fields, Some(json!({"Company": "Acme"})));

    // Deciding keeps the id, the creation time and the answers.
    let rejected = RequestUpdate {
        rejection_reason: Some("no".to_owned()),
        ..update("ignored", "r1", &bob.id, RequestStatus::Rejected, 30)
    };
    store.save_access_request(&rejected).await.expect("reject");
    let bob_request = store.access_request("r1", &bob.id).await.expect("lookup").expect("found");
    assert_eq!(
        (bob_request.id.as_str(), bob_request.status, bob_request.created_at),
        ("q1", RequestStatus::Rejected, 10)
    );
    assert_eq!((bob_request.updated_at, bob_request.rejection_reason.as_deref()), (30, Some("no")));
    assert_eq!(bob_request.fields, Some(json!({"Company": "Acme"})));
    assert_eq!(store.access_request_by_id("r1", "q2").await.expect("lookup").expect("found").user.id, carol.id);
    assert!(store.access_request_by_id("r2", "q2").await.expect("lookup").is_none(), "ids are per repo");
    assert_eq!(store.list_access_requests("r1", RequestStatus::Pending, 0, 10).await.expect("list").len(), 1);
    assert_eq!(store.list_access_requests("r1", RequestStatus::Rejected, 0, 10).await.expect("list").len(), 1);
    assert!(store.list_access_requests("r1", RequestStatus::Accepted, 0, 10).await.expect("list").is_empty());
    assert_eq!(store.list_access_requests("r1", RequestStatus::Pending, 1, 10).await.expect("page 2").len(), 0);
}

async fn gating_is_a_repo_setting(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let alice = user(store, "alice").await;
    repo(store, "r1", &alice, "alice/gated").await;
    let gated =
        || async { store.repo_by_name(RepoType::Model, "alice/gated").await.expect("lookup").expect("found").gated };
    assert_eq!(gated().await, None);
    store.set_gated("r1", Some("manual")).await.expect("gate");
    assert_eq!(gated().await.as_deref(), Some("manual"));
    store.set_gated("r1", None).await.expect("ungate");
    assert_eq!(gated().await, None);
}

fn entry(id: &str, org_id: Option<&str>, created_at: i64) -> AuditEntry {
    AuditEntry {
        id: id.to_owned(),
        created_at,
        actor_user_id: Some("u1".to_owned()),
        actor: Some("alice".to_owned()),
        action: "repo.update_settings".to_owned(),
        target_type: "repo".to_owned(),
        target: "models/acme/x".to_owned(),
        org_id: org_id.map(str::to_owned),
        ip: Some("127.0.0.1".to_owned()),
        data: json!({"private": true}),
    }
}

async fn the_audit_log_is_read_per_organisation_newest_first(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    for (id, org_id, at) in [("a1", Some("o1"), 10), ("a2", Some("o1"), 30), ("a3", Some("o2"), 20), ("a4", None, 40)] {
        store.record_audit(&entry(id, org_id, at)).await.expect("record");
    }
    let log = store.org_audit_log("o1", 0, 10).await.expect("log");
    assert_eq!(log, [entry("a2", Some("o1"), 30), entry("a1", Some("o1"), 10)]);
    assert_eq!(store.org_audit_log("o1", 1, 10).await.expect("page").len(), 1);
    assert_eq!(store.org_audit_log("o1", 0, 1).await.expect("limit").len(), 1);
    assert!(store.org_audit_log("o3", 0, 10).await.expect("none").is_empty());
    assert_eq!(
        store.all_audit_entries(0, 10).await.expect("all").iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["a1", "a3", "a2", "a4"]
    );
}

async fn a_user_reads_what_they_did_and_what_happened_to_their_account(ctx: Arc<Ctx>) {
    let store = ctx.store.as_ref();
    let about = |id: &str, actor: Option<&str>, target_type: &str, target: &str, at| AuditEntry {
        actor_user_id: actor.map(str::to_owned),
        target_type: target_type.to_owned(),
        target: target.to_owned(),
        ..entry(id, None, at)
    };
    store.record_audit(&about("b1", None, "user", "Alice", 1)).await.expect("sign-in");
    store.record_audit(&about("b2", Some("u-alice"), "repo", "models/x/y", 2)).await.expect("her action");
    store.record_audit(&about("b3", None, "token", "alice/t1", 3)).await.expect("her token");
    store.record_audit(&about("b4", None, "token", "alice_b/t2", 4)).await.expect("someone else's token");
    store.record_audit(&about("b5", Some("u-bob"), "user", "bob", 5)).await.expect("bob");
    let ids: Vec<String> =
        store.user_audit_log("u-alice", "alice", 0, 10).await.expect("log").into_iter().map(|entry| entry.id).collect();
    assert_eq!(ids, ["b3", "b2", "b1"]);
}
