//! The ports the domain needs from the outside world. Adapters live in their own crates
//! (`stoa-db`, `stoa-git`, `stoa-storage`); tests may provide in-memory ones.
//!
//! Contracts that every backend must honour are written on each method, so that a later
//! PostgreSQL or S3 adapter can be checked against the same suite.

use std::fmt::Debug;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use stoa_types::RepoType;

use crate::lfs::Sha256Oid;

mod git;

pub use git::{
    BlobSource, CommitInfo, EntryKind, FileChangeKind, FileDiff, GitEntry, GitRef, GitStore, MergeOutcome, PushedBlob,
    ResolvedRevision, Signature, TreeChange,
};

/// Failure of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write (e.g. a repo id taken).
    #[error("already exists")]
    AlreadyExists,
    #[error("metadata store: {0}")]
    Backend(String),
}

/// Failure of the large-object store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The content did not match what the client announced (hash or size); nothing was stored.
    #[error("{0}")]
    Rejected(String),
    #[error("object not found")]
    NotFound,
    #[error("object storage: {0}")]
    Io(#[from] io::Error),
}

/// Failure of the git store.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The branch moved between reading its head and updating it (compare-and-swap failed).
    #[error("the reference was updated concurrently")]
    HeadMoved,
    #[error("git: {0}")]
    Backend(String),
}

pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A 40-hex git object id (SHA-1 repos; kept as text so SHA-256 can follow).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(String);

impl ObjectId {
    /// Accepts lower-case hex of full length only.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        let valid = text.len() == 40 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self(text.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub fullname: String,
    pub email: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub fullname: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRole {
    Read,
    Write,
    /// Only what its scopes grant ([`crate::identity::FineGrained`]).
    FineGrained,
}

impl TokenRole {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::FineGrained => "fineGrained",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "fineGrained" => Some(Self::FineGrained),
            _ => None,
        }
    }
}

/// A stored token: only the SHA-256 of the secret is ever kept.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub role: TokenRole,
    pub created_at: i64,
    /// Fine-grained tokens only.
    pub scopes: Option<crate::identity::FineGrained>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub id: String,
    pub repo_type: RepoType,
    pub namespace: String,
    pub name: String,
    pub private: bool,
    pub owner_user_id: String,
    pub created_at: i64,
    pub last_modified: i64,
    pub downloads_all_time: i64,
    /// Rolling 30-day download count, computed by the store.
    pub downloads: i64,
    pub likes: i64,
    pub discussions_disabled: bool,
    /// `auto` or `manual` when the repo is gated.
    pub gated: Option<String>,
    pub tags: Vec<String>,
}

impl Repo {
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct NewRepo {
    pub id: String,
    pub repo_type: RepoType,
    pub namespace: String,
    pub name: String,
    pub private: bool,
    pub owner_user_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoSort {
    LastModified,
    CreatedAt,
    Downloads,
    Likes,
    Id,
}

#[derive(Debug, Clone)]
pub struct RepoQuery {
    pub repo_type: RepoType,
    /// Every term must be a case-insensitive substring of `ns/name`.
    pub search: Vec<String>,
    pub author: Option<String>,
    /// Every tag must be present.
    pub tags: Vec<String>,
    pub sort: RepoSort,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    /// Private repos are listed only for their owner.
    pub viewer_user_id: Option<String>,
}

/// What a commit changes in the metadata once its ref has moved; recorded as an intent first.
#[derive(Debug, Clone)]
pub struct CommitIntent {
    pub id: String,
    pub repo_id: String,
    pub ref_name: String,
    pub new_commit: String,
    pub lfs_oids: Vec<String>,
    pub committed_at: i64,
    /// Whether the ref is the default branch (tags and last-modified follow only `main`).
    pub is_default_branch: bool,
    pub tags: Option<Vec<String>>,
    /// (SHA-256, Xet file hash) of LFS files that arrived through Xet.
    pub xet_files: Vec<(String, String)>,
    /// Recorded in the activity log when the intent is applied.
    pub activity: Option<crate::collab::store::ActivityEntry>,
    /// Added to the pull request (if it exists) when the intent is applied.
    pub pr_event: Option<crate::collab::store::PullRequestEvent>,
}

/// The metadata store: users, tokens, repos, LFS object registry, download counts, and the
/// Xet CAS metadata.
#[async_trait]
pub trait MetaStore:
    crate::xet::store::XetMetaStore
    + crate::coordination::Coordination
    + crate::collab::store::DiscussionStore
    + crate::collab::store::CommunityStore
    + crate::collab::collection_store::CollectionStore
    + crate::identity::store::IdentityStore
    + crate::identity::store::GatingStore
    + crate::identity::store::AuditStore
    + crate::scan::store::ScanStore
    + Send
    + Sync
    + Debug
{
    async fn create_user(&self, user: NewUser, id: String, now: i64) -> Result<User, StoreError>;
    async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;

    async fn create_token(&self, record: &TokenRecord, secret_hash: &str) -> Result<(), StoreError>;
    /// Looks a token up by the SHA-256 of its secret and records its use.
    async fn token_by_hash(&self, secret_hash: &str, now: i64) -> Result<Option<TokenRecord>, StoreError>;

    /// Fails with [`StoreError::AlreadyExists`] when the case-insensitive id is taken.
    async fn create_repo(&self, repo: &NewRepo) -> Result<(), StoreError>;
    /// Case-insensitive lookup by `ns/name`.
    async fn repo_by_name(&self, repo_type: RepoType, key: &str) -> Result<Option<Repo>, StoreError>;
    /// A repo by its internal id (background jobs carry ids: names change).
    async fn repo_by_id(&self, repo_id: &str) -> Result<Option<Repo>, StoreError>;
    async fn delete_repo(&self, repo_id: &str) -> Result<(), StoreError>;
    async fn list_repos(&self, query: &RepoQuery) -> Result<Vec<Repo>, StoreError>;

    /// Writes the intent before the git ref moves.
    async fn record_commit_intent(&self, intent: &CommitIntent) -> Result<(), StoreError>;
    /// Applies the intent (LFS references, last-modified, tags) and removes it, atomically.
    /// Applies an intent whose ref moved, and queues `jobs`, in one transaction.
    async fn apply_commit_intent(
        &self,
        intent: &CommitIntent,
        jobs: &[crate::coordination::NewJob],
    ) -> Result<(), StoreError>;
    /// Removes an intent whose ref never moved.
    async fn discard_commit_intent(&self, intent_id: &str) -> Result<(), StoreError>;
    async fn pending_commit_intents(&self) -> Result<Vec<CommitIntent>, StoreError>;

    /// Registers a verified object (idempotent).
    async fn record_lfs_object(&self, oid: &Sha256Oid, size: u64, now: i64) -> Result<(), StoreError>;
    async fn lfs_object_size(&self, oid: &Sha256Oid) -> Result<Option<u64>, StoreError>;
    /// Whether the repo's history references the object (what lets readers download it).
    async fn repo_has_lfs_object(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError>;
    /// Records that a writer of the repo proved possession of the object by uploading it.
    async fn grant_lfs_upload(&self, repo_id: &str, oid: &Sha256Oid, now: i64) -> Result<(), StoreError>;
    /// Whether a commit to the repo may reference the object: uploaded through it, or already
    /// in its history. Knowing an object's hash is not enough to link it into another repo.
    async fn repo_may_reference_lfs(&self, repo_id: &str, oid: &Sha256Oid) -> Result<bool, StoreError>;

    async fn count_download(&self, repo_id: &str, day: i64) -> Result<(), StoreError>;
}

/// A byte range of a stored object, resolved against its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive.
    pub end: u64,
}

/// An opened object: a local file the server can stream efficiently, or an object in a remote
/// store read through [`BlobStore::read_range`].
#[derive(Debug)]
pub enum ObjectReader {
    LocalFile { path: PathBuf, size: u64 },
    Remote { size: u64 },
}

impl ObjectReader {
    #[must_use]
    pub fn size(&self) -> u64 {
        match self {
            Self::LocalFile { size, .. } | Self::Remote { size } => *size,
        }
    }
}

/// The two kinds of stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobKey {
    Lfs(Sha256Oid),
    Xorb(stoa_xet::XetHash),
}

/// Where a client uploads an object itself, straight into the store (presigned URLs). The bytes
/// land in a staging area; they become the object only once [`BlobStore::finish_direct_upload`]
/// has checked them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectUpload {
    /// One `PUT` of the whole object.
    Single { url: String },
    /// One `PUT` per part, in order; each answers an `ETag` the client hands back on completion.
    Parts { upload_id: String, urls: Vec<String> },
}

/// The large-object store: content-addressed by SHA-256, immutable, written durably.
#[async_trait]
pub trait BlobStore: Send + Sync + Debug {
    /// Size of the stored object, if present.
    async fn size(&self, oid: &Sha256Oid) -> Result<Option<u64>, StorageError>;
    /// Streams `body` into the store, checking its SHA-256 and size on the way; the object
    /// becomes visible only once both match and it is durable.
    async fn put(&self, oid: &Sha256Oid, expected_size: u64, body: ByteStream) -> Result<(), StorageError>;
    /// Stores a local file already hashed by the caller (moved or copied into place).
    async fn put_verified_file(&self, oid: &Sha256Oid, file: PathBuf) -> Result<(), StorageError>;
    async fn open(&self, oid: &Sha256Oid) -> Result<ObjectReader, StorageError>;
    /// Streams `length` bytes from `start` of a stored object (LFS object or xorb).
    async fn read_range(&self, key: &BlobKey, start: u64, length: u64) -> Result<ByteStream, StorageError>;
    /// A URL from which a client may `GET` the object itself (with `Range`), valid for `ttl`,
    /// when the store can presign one.
    async fn presigned_get(&self, _key: &BlobKey, _ttl: Duration) -> Result<Option<String>, StorageError> {
        Ok(None)
    }

    /// Stores one part of a multipart upload, returning its ETag.
    async fn put_part(&self, upload_key: &str, part_number: u32, body: ByteStream) -> Result<String, StorageError>;
    /// Concatenates the parts in order, verifies hash and size, and stores the object.
    async fn complete_parts(
        &self,
        upload_key: &str,
        oid: &Sha256Oid,
        expected_size: u64,
        parts: &[(u32, String)],
    ) -> Result<(), StorageError>;

    /// Presigned upload URLs into the staging slot `upload_key` (one `PUT`, or `part_count`
    /// parts), when the store supports them.
    async fn start_direct_upload(
        &self,
        _upload_key: &str,
        _part_count: Option<u32>,
        _ttl: Duration,
    ) -> Result<Option<DirectUpload>, StorageError> {
        Ok(None)
    }
    /// Completes a direct upload (assembling `parts` for a multipart one), checks hash and size,
    /// and makes it the object `oid`. [`StorageError::NotFound`] when nothing was staged.
    async fn finish_direct_upload(
        &self,
        _upload_key: &str,
        _multipart: Option<(&str, &[(u32, String)])>,
        _oid: &Sha256Oid,
        _expected_size: u64,
    ) -> Result<(), StorageError> {
        Err(StorageError::NotFound)
    }

    /// Stores a verified xorb (chunks and footer) under its hash, durably.
    async fn put_xorb(&self, hash: &stoa_xet::XetHash, stored: Vec<u8>) -> Result<(), StorageError>;
    async fn open_xorb(&self, hash: &stoa_xet::XetHash) -> Result<ObjectReader, StorageError>;
    /// Removes a xorb object; removing a missing one is not an error.
    async fn delete_xorb(&self, hash: &stoa_xet::XetHash) -> Result<(), StorageError>;

    /// A local directory for temporary files (on the same filesystem as a local store, so
    /// that finished files move into it by renaming).
    fn scratch_dir(&self) -> PathBuf;
}
