//! What collaboration needs from the metadata store ([`DiscussionStore`], [`CommunityStore`];
//! collections have their own port). Times are unix milliseconds.
//!
//! Each write that the Hub shows as one event (a comment and its activity entry, a merge and its
//! status) is one transaction of the store, so a crash never leaves half of it.

use async_trait::async_trait;
use stoa_types::RepoType;

use crate::ports::{Repo, StoreError, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscussionStatus {
    Draft,
    Open,
    Closed,
    Merged,
}

impl DiscussionStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "draft" => Self::Draft,
            "open" => Self::Open,
            "closed" => Self::Closed,
            "merged" => Self::Merged,
            _ => return None,
        })
    }

    /// Draft and open discussions are "open" in listings.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Draft | Self::Open)
    }
}

/// A discussion or pull request, with its author's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discussion {
    pub repo_id: String,
    pub num: u64,
    pub is_pull_request: bool,
    pub title: String,
    pub status: DiscussionStatus,
    pub author_user_id: String,
    pub author: String,
    pub created_at: i64,
    /// Pull requests: the full ref they merge into.
    pub base_ref: Option<String>,
    pub merge_commit: Option<String>,
    pub num_comments: u64,
}

#[derive(Debug, Clone)]
pub struct NewDiscussion {
    pub repo_id: String,
    pub is_pull_request: bool,
    pub title: String,
    pub status: DiscussionStatus,
    pub author_user_id: String,
    pub created_at: i64,
    pub base_ref: Option<String>,
}

/// One event of a discussion; `data` is shaped per kind as the Hub sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscussionEvent {
    pub id: String,
    pub kind: String,
    pub author_user_id: String,
    pub author: String,
    pub created_at: i64,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub author_user_id: String,
    pub created_at: i64,
    pub data: serde_json::Value,
}

/// The `commit` event a commit to `refs/pr/<num>` adds to its pull request; it travels with the
/// commit intent, so it is written exactly when the commit lands.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PullRequestEvent {
    pub num: u64,
    pub event: NewEvent,
}

/// What an event changes on its discussion.
#[derive(Debug, Clone, Default)]
pub struct DiscussionUpdate {
    pub title: Option<String>,
    pub status: Option<DiscussionStatus>,
    pub merge_commit: Option<String>,
    /// The update applies only while the discussion has this status (compare-and-swap), so
    /// two racing merges or closes cannot both win.
    pub expected_status: Option<DiscussionStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct DiscussionFilter {
    /// `Some(true)`: pull requests only; `Some(false)`: discussions only.
    pub pull_requests: Option<bool>,
    /// `Some(true)`: draft or open; `Some(false)`: closed or merged.
    pub open: Option<bool>,
    pub author_user_id: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// An entry of the activity log, as written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ActivityEntry {
    pub id: String,
    pub repo_id: String,
    pub actor_user_id: String,
    pub kind: String,
    pub created_at: i64,
    pub data: serde_json::Value,
}

/// An entry of the activity log, as read: with the actor's and the repo's current names.
#[derive(Debug, Clone)]
pub struct ActivityRecord {
    pub entry: ActivityEntry,
    pub actor: String,
    pub repo_type: RepoType,
    pub repo_name: String,
}

/// Whose activity to list. Entries of private repos are listed only for their owner.
#[derive(Debug, Clone)]
pub enum ActivityScope {
    Repo(String),
    Actor { user_id: String, viewer_user_id: Option<String> },
}

/// Discussions, pull requests and their events.
#[async_trait]
pub trait DiscussionStore: Send + Sync {
    /// Creates a discussion with the next number of its repo (shared by discussions and pull
    /// requests), its first event and its activity entry, atomically. Returns the number.
    async fn create_discussion(
        &self,
        discussion: &NewDiscussion,
        first_event: Option<&NewEvent>,
        activity: &ActivityEntry,
    ) -> Result<u64, StoreError>;
    /// The number the next discussion of the repo would get.
    async fn next_discussion_number(&self, repo_id: &str) -> Result<u64, StoreError>;
    /// Like [`DiscussionStore::create_discussion`] with a number chosen by the caller (a pull request
    /// whose ref was created first); [`StoreError::AlreadyExists`] when it is taken.
    async fn create_numbered_discussion(
        &self,
        discussion: &NewDiscussion,
        num: u64,
        first_event: Option<&NewEvent>,
        activity: &ActivityEntry,
    ) -> Result<(), StoreError>;
    async fn discussion(&self, repo_id: &str, num: u64) -> Result<Option<Discussion>, StoreError>;
    /// A page of discussions, newest first, and how many match in all.
    async fn list_discussions(
        &self,
        repo_id: &str,
        filter: &DiscussionFilter,
    ) -> Result<(Vec<Discussion>, u64), StoreError>;
    /// Events in the order they happened.
    async fn discussion_events(&self, repo_id: &str, num: u64) -> Result<Vec<DiscussionEvent>, StoreError>;
    /// Appends an event, applies `update` and records `activity`, atomically. `Ok(false)` when
    /// `update.expected_status` did not match (nothing written).
    async fn add_discussion_event(
        &self,
        repo_id: &str,
        num: u64,
        event: &NewEvent,
        update: &DiscussionUpdate,
        activity: Option<&ActivityEntry>,
    ) -> Result<bool, StoreError>;
    /// Replaces the data of an event (comment edits and hiding).
    async fn replace_event_data(
        &self,
        repo_id: &str,
        num: u64,
        event_id: &str,
        data: &serde_json::Value,
    ) -> Result<(), StoreError>;
}

/// The activity log, likes, attachments, repo settings, moves and duplicates.
#[async_trait]
pub trait CommunityStore: Send + Sync {
    async fn record_activity(&self, entry: &ActivityEntry) -> Result<(), StoreError>;
    /// Newest first.
    async fn list_activity(
        &self,
        scope: &ActivityScope,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ActivityRecord>, StoreError>;

    /// Adds a like (recording `activity` with it) and recounts the repo's likes; `Ok(false)`
    /// when the user already liked it.
    async fn like(&self, user_id: &str, repo_id: &str, activity: &ActivityEntry) -> Result<bool, StoreError>;
    /// `Ok(false)` when the user did not like it.
    async fn unlike(&self, user_id: &str, repo_id: &str) -> Result<bool, StoreError>;
    /// Who liked the repo, newest first, with when.
    async fn likers(&self, repo_id: &str, offset: u64, limit: u64) -> Result<Vec<(User, i64)>, StoreError>;
    /// What the user liked, newest first, among repos `viewer_user_id` may see.
    async fn liked_repos(
        &self,
        user_id: &str,
        viewer_user_id: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<(Repo, i64)>, StoreError>;

    async fn update_repo_settings(
        &self,
        repo_id: &str,
        private: Option<bool>,
        discussions_disabled: Option<bool>,
    ) -> Result<(), StoreError>;
    /// Renames a repo and keeps its old name as a redirect. [`StoreError::AlreadyExists`] when
    /// the new name is taken.
    async fn move_repo(&self, repo_id: &str, namespace: &str, name: &str, now: i64) -> Result<(), StoreError>;
    /// The repo an old name of a moved repo now points at.
    async fn redirected_repo(&self, repo_type: RepoType, key: &str) -> Result<Option<Repo>, StoreError>;
    /// Records an uploaded attachment (idempotent).
    async fn record_attachment(&self, oid: &str, extension: &str, user_id: &str, now: i64) -> Result<(), StoreError>;
    async fn attachment_exists(&self, oid: &str, extension: &str) -> Result<bool, StoreError>;
    /// Lets `to` serve the large objects `from` references (a duplicate shares them, bytes are
    /// not copied).
    async fn share_repo_objects(&self, from_repo_id: &str, to_repo_id: &str) -> Result<(), StoreError>;
}
