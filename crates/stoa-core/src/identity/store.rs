//! What accounts, organisations, gating and the audit log need from the metadata store. Times of
//! access requests, sessions and audit entries are unix milliseconds.

use async_trait::async_trait;

use crate::identity::{Membership, Org, OrgRole};
use crate::ports::{StoreError, TokenRecord, User};

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// [`StoreError::AlreadyExists`] when the name is taken by another organisation.
    async fn create_org(&self, org: &Org) -> Result<(), StoreError>;
    /// Case-insensitive.
    async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError>;
    /// Adds a member or changes their role.
    async fn set_org_member(&self, org_id: &str, user_id: &str, role: OrgRole, now: i64) -> Result<(), StoreError>;
    /// `Ok(false)` when the user was not a member.
    async fn remove_org_member(&self, org_id: &str, user_id: &str) -> Result<bool, StoreError>;
    /// Members in name order.
    async fn org_members(&self, org_id: &str) -> Result<Vec<(User, OrgRole)>, StoreError>;
    /// The organisations a user belongs to, in name order.
    async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError>;

    /// A user's live tokens (not revoked), newest first. Expired ones are listed too, marked by
    /// their `expires_at`.
    async fn user_tokens(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError>;
    /// `Ok(false)` when the user has no such live token.
    async fn revoke_token(&self, user_id: &str, token_id: &str, now: i64) -> Result<bool, StoreError>;

    async fn set_password_hash(&self, user_id: &str, phc: &str) -> Result<(), StoreError>;
    async fn password_hash(&self, user_id: &str) -> Result<Option<String>, StoreError>;
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// A session that has not expired at `now`.
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of a user (after a password change).
    async fn delete_user_sessions(&self, user_id: &str) -> Result<(), StoreError>;
}

/// A browser session; the cookie carries the secret, the store its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    /// Sent back by the page in forms and `X-CSRF-Token`; compared on every state change.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Rejected,
}

impl RequestStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// A user's request for access to a gated repo.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRequest {
    pub id: String,
    pub repo_id: String,
    pub user: User,
    pub status: RequestStatus,
    /// The form answers.
    pub fields: Option<serde_json::Value>,
    pub rejection_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What [`GatingStore::save_access_request`] writes.
#[derive(Debug, Clone)]
pub struct RequestUpdate {
    pub id: String,
    pub repo_id: String,
    pub user_id: String,
    pub status: RequestStatus,
    pub fields: Option<serde_json::Value>,
    pub rejection_reason: Option<String>,
    pub now: i64,
}

#[async_trait]
pub trait GatingStore: Send + Sync {
    /// `None` ungates.
    async fn set_gated(&self, repo_id: &str, gated: Option<&str>) -> Result<(), StoreError>;
    async fn access_request(&self, repo_id: &str, user_id: &str) -> Result<Option<AccessRequest>, StoreError>;
    async fn access_request_by_id(&self, repo_id: &str, id: &str) -> Result<Option<AccessRequest>, StoreError>;
    /// Creates the request, or replaces its status, fields and reason (one per repo and user;
    /// an existing request keeps its id and creation time).
    async fn save_access_request(&self, request: &RequestUpdate) -> Result<(), StoreError>;
    /// Requests with `status`, most recently updated first.
    async fn list_access_requests(
        &self,
        repo_id: &str,
        status: RequestStatus,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AccessRequest>, StoreError>;
}

/// One security-relevant event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub actor_user_id: Option<String>,
    /// The actor's name when the event happened.
    pub actor: Option<String>,
    /// `scope.action`, as the Hub names them (`repo.update_settings`, `org.change_role`, ...).
    pub action: String,
    /// `user`, `org`, `repo`, `token`, ...
    pub target_type: String,
    pub target: String,
    /// The organisation whose admins may read the entry.
    pub org_id: Option<String>,
    pub ip: Option<String>,
    pub data: serde_json::Value,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Entries of an organisation, newest first.
    async fn org_audit_log(&self, org_id: &str, offset: u64, limit: u64) -> Result<Vec<AuditEntry>, StoreError>;
    /// Entries about a user (their account and tokens, sign-ins included) or by them, newest
    /// first.
    async fn user_audit_log(
        &self,
        user_id: &str,
        user_name: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Every entry, oldest first (the operator's export).
    async fn all_audit_entries(&self, offset: u64, limit: u64) -> Result<Vec<AuditEntry>, StoreError>;
}
