//! Small builders shared by the contract tests.

use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{CommitIntent, MetaStore, NewRepo, NewUser, StoreError, User};
use stoa_types::RepoType;

pub(crate) async fn user(store: &dyn MetaStore, name: &str) -> User {
    let new = NewUser { name: name.to_owned(), fullname: format!("{name} Full"), email: None };
    store.create_user(new, format!("user-{name}"), 1_000).await.expect("create user")
}

pub(crate) fn new_repo(id: &str, owner: &User, full_name: &str, private: bool, created_at: i64) -> NewRepo {
    let (namespace, name) = full_name.split_once('/').expect("ns/name");
    NewRepo {
        id: id.to_owned(),
        repo_type: RepoType::Model,
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        private,
        owner_user_id: owner.id.clone(),
        created_at,
    }
}

/// Creates a public model `full_name` whose internal id is `id`.
pub(crate) async fn repo(store: &dyn MetaStore, id: &str, owner: &User, full_name: &str) {
    store.create_repo(&new_repo(id, owner, full_name, false, 1_000)).await.expect("create repo");
}

pub(crate) fn oid(seed: char) -> Sha256Oid {
    Sha256Oid::parse(&seed.to_string().repeat(64)).expect("hex oid")
}

/// An intent on `main` with nothing to apply but itself.
pub(crate) fn intent(id: &str, repo_id: &str, committed_at: i64) -> CommitIntent {
    CommitIntent {
        id: id.to_owned(),
        repo_id: repo_id.to_owned(),
        ref_name: "refs/heads/main".to_owned(),
        new_commit: "c".repeat(40),
        lfs_oids: Vec::new(),
        committed_at,
        is_default_branch: true,
        tags: None,
        activity: None,
        pr_event: None,
        xet_files: Vec::new(),
    }
}

pub(crate) fn today() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    i64::try_from(now.as_secs()).expect("seconds fit") / 86_400
}

pub(crate) fn assert_already_exists<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}
