//! Builders shared by the discussion and community contract tests.

use serde_json::json;
use stoa_core::collab::store::{
    ActivityEntry, ActivityRecord, ActivityScope, Discussion, DiscussionFilter, DiscussionStatus, NewDiscussion,
    NewEvent,
};
use stoa_core::ports::{MetaStore, Repo, User};
use stoa_types::RepoType;

use super::fixtures::new_repo;

// --- helpers --------------------------------------------------------------------------------

pub(crate) async fn model(store: &dyn MetaStore, key: &str) -> Repo {
    store.repo_by_name(RepoType::Model, key).await.expect("lookup").expect("found")
}

pub(crate) async fn private_repo(store: &dyn MetaStore, id: &str, owner: &User, full_name: &str) {
    store.create_repo(&new_repo(id, owner, full_name, true, 1_000)).await.expect("create private repo");
}

pub(crate) fn entry(id: &str, repo_id: &str, actor: &User, kind: &str, created_at: i64) -> ActivityEntry {
    ActivityEntry {
        id: id.to_owned(),
        repo_id: repo_id.to_owned(),
        actor_user_id: actor.id.clone(),
        kind: kind.to_owned(),
        created_at,
        data: json!({ "note": id }),
    }
}

pub(crate) fn event(id: &str, kind: &str, author: &User, created_at: i64, data: serde_json::Value) -> NewEvent {
    NewEvent { id: id.to_owned(), kind: kind.to_owned(), author_user_id: author.id.clone(), created_at, data }
}

pub(crate) fn comment(id: &str, author: &User, created_at: i64) -> NewEvent {
    event(id, "comment", author, created_at, json!({ "text": format!("comment {id}") }))
}

pub(crate) fn new_discussion(
    repo_id: &str,
    author: &User,
    title: &str,
    is_pull_request: bool,
    status: DiscussionStatus,
    created_at: i64,
) -> NewDiscussion {
    NewDiscussion {
        repo_id: repo_id.to_owned(),
        is_pull_request,
        title: title.to_owned(),
        status,
        author_user_id: author.id.clone(),
        created_at,
        base_ref: is_pull_request.then(|| "refs/heads/main".to_owned()),
    }
}

/// Creates a discussion (or pull request) with a first comment `<title>-e1` and an activity
/// entry `<title>-a`; returns its number.
pub(crate) async fn create(
    store: &dyn MetaStore,
    repo_id: &str,
    author: &User,
    title: &str,
    is_pull_request: bool,
    status: DiscussionStatus,
    created_at: i64,
) -> u64 {
    let discussion = new_discussion(repo_id, author, title, is_pull_request, status, created_at);
    let first = comment(&format!("{title}-e1"), author, created_at);
    let activity = entry(&format!("{title}-a"), repo_id, author, "discussion", created_at);
    store.create_discussion(&discussion, Some(&first), &activity).await.expect("create discussion")
}

pub(crate) async fn discussion(store: &dyn MetaStore, repo_id: &str, num: u64) -> Discussion {
    store.discussion(repo_id, num).await.expect("discussion").expect("found")
}

pub(crate) async fn event_ids(store: &dyn MetaStore, repo_id: &str, num: u64) -> Vec<String> {
    store.discussion_events(repo_id, num).await.expect("events").into_iter().map(|e| e.id).collect()
}

pub(crate) async fn list(store: &dyn MetaStore, repo_id: &str, filter: DiscussionFilter) -> (Vec<u64>, u64) {
    let (found, count) = store.list_discussions(repo_id, &filter).await.expect("list discussions");
    (found.into_iter().map(|d| d.num).collect(), count)
}

pub(crate) fn all() -> DiscussionFilter {
    DiscussionFilter { limit: 100, ..DiscussionFilter::default() }
}

pub(crate) async fn activity(store: &dyn MetaStore, scope: ActivityScope) -> Vec<ActivityRecord> {
    store.list_activity(&scope, 0, 100).await.expect("list activity")
}

pub(crate) async fn activity_ids(store: &dyn MetaStore, scope: ActivityScope) -> Vec<String> {
    activity(store, scope).await.into_iter().map(|record| record.entry.id).collect()
}

pub(crate) fn of_repo(repo_id: &str) -> ActivityScope {
    ActivityScope::Repo(repo_id.to_owned())
}

pub(crate) fn of_actor(actor: &User, viewer: Option<&User>) -> ActivityScope {
    ActivityScope::Actor { user_id: actor.id.clone(), viewer_user_id: viewer.map(|viewer| viewer.id.clone()) }
}

/// (full name, liked at) of what `liker` liked, as `viewer` sees it.
pub(crate) async fn liked(store: &dyn MetaStore, liker: &User, viewer: Option<&User>) -> Vec<(String, i64)> {
    let viewer = viewer.map(|viewer| viewer.id.as_str());
    let found = store.liked_repos(&liker.id, viewer, 0, 10).await.expect("liked repos");
    found.into_iter().map(|(repo, at)| (repo.full_name(), at)).collect()
}

pub(crate) fn like_entry(id: &str, repo_id: &str, user: &User, created_at: i64) -> ActivityEntry {
    entry(id, repo_id, user, "like", created_at)
}

// --- discussions ----------------------------------------------------------------------------
