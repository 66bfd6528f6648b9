//! The domain's errors. Each carries a small closed [`ErrorCode`]; only the HTTP edge turns
//! codes into statuses and the Hub's `X-Error-Code` header.

use stoa_types::{IdError, RepoId};

use crate::ports::{GitError, StorageError, StoreError};

/// What kind of failure a [`CoreError`] is, independent of any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The repo does not exist or the caller may not see it (never distinguished).
    RepoNotFound,
    RevisionNotFound,
    EntryNotFound,
    /// The repo is gated and the caller has no accepted access request.
    GatedRepo,
    /// The caller sent too many requests.
    RateLimited,
    /// A token was presented but is unknown or revoked.
    InvalidCredentials,
    /// The operation needs a signed-in caller and none was given.
    Unauthenticated,
    Forbidden,
    Conflict,
    BadRequest,
    PreconditionFailed,
    PayloadTooLarge,
    RangeNotSatisfiable,
    /// The scanning policy refuses what the commit adds.
    CommitRejected,
    /// The file is held back by the scanning policy until an administrator releases it.
    FileQuarantined,
    /// The `README.md` a write brings has invalid card metadata (cards-datasets.md §5).
    InvalidCard,
    /// Something other than a repo, revision or file does not exist (an unknown route).
    NotFound,
    /// A Hub operation this server does not offer yet.
    NotImplemented,
    Internal,
}

/// The four codes the client knows come first; the others are Stoa's own so that every 4xx
/// carries one.
impl ErrorCode {
    /// The machine-readable name sent as `X-Error-Code`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RepoNotFound => "RepoNotFound",
            Self::RevisionNotFound => "RevisionNotFound",
            Self::EntryNotFound => "EntryNotFound",
            Self::GatedRepo => "GatedRepo",
            Self::RateLimited => "RateLimited",
            Self::InvalidCredentials => "InvalidCredentials",
            Self::Unauthenticated => "Unauthenticated",
            Self::Forbidden => "Forbidden",
            Self::Conflict => "Conflict",
            Self::BadRequest => "BadRequest",
            Self::CommitRejected => "CommitRejected",
            Self::FileQuarantined => "FileQuarantined",
            Self::InvalidCard => "InvalidCard",
            Self::PreconditionFailed => "PreconditionFailed",
            Self::PayloadTooLarge => "PayloadTooLarge",
            Self::RangeNotSatisfiable => "RangeNotSatisfiable",
            Self::NotFound => "NotFound",
            Self::NotImplemented => "NotImplemented",
            Self::Internal => "InternalError",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("Repository not found")]
    RepoNotFound,
    #[error("Invalid rev id: {0}")]
    RevisionNotFound(String),
    #[error("{0}")]
    EntryNotFound(String),
    #[error("Invalid credentials in Authorization header")]
    InvalidCredentials,
    #[error("{0}")]
    GatedRepo(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("You already created this {} repo", .0.as_str())]
    RepoExists(stoa_types::RepoType, RepoId),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("The branch was updated since you opened this page. Please refresh and try again.")]
    ParentCommitMismatch,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotImplemented(String),
    #[error("{0}")]
    CommitRejected(String),
    #[error("{0}")]
    FileQuarantined(String),
    /// The message names the field (`Invalid metadata in README.md: "license" must be ...`).
    #[error("{0}")]
    InvalidCard(String),
    #[error("requested range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::RepoNotFound => ErrorCode::RepoNotFound,
            Self::RevisionNotFound(_) => ErrorCode::RevisionNotFound,
            Self::EntryNotFound(_) => ErrorCode::EntryNotFound,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::GatedRepo(_) => ErrorCode::GatedRepo,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::RepoExists(..) | Self::Conflict(_) => ErrorCode::Conflict,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::ParentCommitMismatch => ErrorCode::PreconditionFailed,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            Self::CommitRejected(_) => ErrorCode::CommitRejected,
            Self::FileQuarantined(_) => ErrorCode::FileQuarantined,
            Self::InvalidCard(_) => ErrorCode::InvalidCard,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::NotImplemented(_) => ErrorCode::NotImplemented,
            Self::Storage(StorageError::Rejected(_)) => ErrorCode::BadRequest,
            Self::Store(_) | Self::Storage(_) | Self::Git(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A missing file, with the Hub's wording.
    #[must_use]
    pub fn entry_not_found() -> Self {
        Self::EntryNotFound("Entry not found".to_owned())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }
}

impl From<IdError> for CoreError {
    fn from(error: IdError) -> Self {
        Self::BadRequest(error.to_string())
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
