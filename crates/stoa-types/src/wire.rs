//! Request and response bodies, field for field as `huggingface_hub` 2.4.0 and git-lfs use them.
//! Optional fields are omitted rather than sent as `null` where the client's constructors are
//! strict (hub-api.md §6, item 18).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /api/whoami-v2`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub fullname: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub is_pro: bool,
    pub can_pay: bool,
    pub avatar_url: String,
    pub period_end: Option<i64>,
    pub orgs: Vec<serde_json::Value>,
    pub auth: WhoAmIAuth,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIAuth {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub access_token: AccessTokenInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenInfo {
    pub display_name: String,
    pub role: String,
    pub created_at: String,
    /// Z-date, for tokens that expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// The scopes of a fine-grained token (`null` for read and write tokens).
    pub fine_grained: Option<serde_json::Value>,
}

/// `POST /api/repos/create`. Older clients send `private`, newer ones `visibility`.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateRepoRequest {
    pub name: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default, rename = "type")]
    pub repo_type: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub sdk: Option<String>,
}

/// Answer to repo creation; also the body of the 409 for an existing repo.
#[derive(Debug, Clone, Serialize)]
pub struct CreateRepoResponse {
    pub url: String,
    pub name: String,
    pub id: String,
}

/// `DELETE /api/repos/delete`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteRepoRequest {
    pub name: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default, rename = "type")]
    pub repo_type: Option<String>,
}

/// LFS metadata of a sibling in repo info (`sha256`, unlike tree entries which use `oid`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiblingLfs {
    pub sha256: String,
    pub size: u64,
    pub pointer_size: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sibling {
    pub rfilename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lfs: Option<SiblingLfs>,
}

/// LFS metadata on tree and paths-info entries.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryLfs {
    pub oid: String,
    pub size: u64,
    pub pointer_size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastCommit {
    pub id: String,
    pub title: String,
    pub date: String,
}

/// One entry of a tree listing or of paths-info.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeEntry {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub oid: String,
    pub size: u64,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lfs: Option<EntryLfs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<LastCommit>,
    /// Set for files stored through Xet: clients with a tree cache download them without a HEAD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xet_hash: Option<String>,
    /// With `expand`: the scan verdict, shaped as the Hub's (`status`, `avScan`, `pickleImportScan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_file_status: Option<serde_json::Value>,
}

/// `POST .../preupload/{rev}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreuploadRequest {
    pub files: Vec<PreuploadFile>,
    #[serde(default)]
    pub git_ignore: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreuploadFile {
    pub path: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub sample: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreuploadResponse {
    pub files: Vec<PreuploadAnswer>,
    pub commit_oid: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreuploadAnswer {
    pub path: String,
    pub upload_mode: &'static str,
    pub should_ignore: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
}

/// One ndjson line of a commit body.
#[derive(Debug, Clone, Deserialize)]
pub struct CommitLine {
    pub key: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitHeader {
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent_commit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitFileLine {
    pub path: String,
    pub content: String,
    #[serde(default = "default_encoding")]
    pub encoding: String,
}

fn default_encoding() -> String {
    "base64".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitLfsFileLine {
    pub path: String,
    #[serde(default)]
    pub algo: Option<String>,
    pub oid: String,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitDeleteLine {
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitResponse {
    pub success: bool,
    pub commit_oid: String,
    pub commit_url: String,
    pub hook_output: String,
    /// Set when the commit opened a pull request (`create_pr=1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request_url: Option<String>,
}

/// `POST /api/validate-yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateYamlRequest {
    pub content: String,
    #[serde(default)]
    pub repo_type: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct YamlMessage {
    pub message: String,
}

/// Git LFS batch request (`application/vnd.git-lfs+json`).
#[derive(Debug, Clone, Deserialize)]
pub struct LfsBatchRequest {
    pub operation: String,
    #[serde(default)]
    pub transfers: Vec<String>,
    pub objects: Vec<LfsObjectSpec>,
    #[serde(default)]
    pub hash_algo: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LfsObjectSpec {
    pub oid: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LfsBatchResponse {
    pub transfer: &'static str,
    pub objects: Vec<LfsObjectAnswer>,
    pub hash_algo: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LfsObjectAnswer {
    pub oid: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub actions: BTreeMap<&'static str, LfsAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<LfsObjectError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LfsAction {
    pub href: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub header: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LfsObjectError {
    pub code: u16,
    pub message: String,
}

/// Body of the multipart completion POST.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LfsCompletion {
    pub oid: String,
    pub parts: Vec<LfsCompletedPart>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LfsCompletedPart {
    pub part_number: u32,
    pub etag: String,
}
