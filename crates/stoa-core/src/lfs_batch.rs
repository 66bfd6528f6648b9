//! The Git LFS batch API (hub-api.md §3.12): which objects a client must upload, which it may
//! download, and the self-authorising URLs it uses for both.

use crate::access::Principal;
use crate::error::CoreResult;
use crate::hub::Hub;
use crate::lfs::Sha256Oid;
use crate::ports::{ByteStream, DirectUpload, Repo, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LfsOperation {
    Upload,
    Download,
}

/// What the batch answer says for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAction {
    /// Stored and linked to this repo: nothing to send.
    AlreadyStored,
    Upload,
    Download,
    Error {
        code: u16,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct BatchObject {
    pub oid: String,
    pub size: u64,
    pub action: BatchAction,
}

/// The signed-URL purposes. Each binds the repo, object and size so that a URL cannot be
/// replayed for another object or repo.
#[must_use]
pub fn upload_purpose(repo_id: &str, oid: &Sha256Oid, size: u64) -> String {
    format!("lfs-upload\n{repo_id}\n{oid}\n{size}")
}

/// The purpose of a direct multipart upload's completion URL.
#[must_use]
pub fn direct_completion_purpose(repo_id: &str, oid: &Sha256Oid, size: u64, upload_id: &str) -> String {
    format!("lfs-direct\n{repo_id}\n{oid}\n{size}\n{upload_id}")
}

/// One staging slot per repo and object: only the repo's writers get URLs into it, and whatever
/// lands there is checked against the object id before it is published.
fn direct_upload_key(repo_id: &str, oid: &Sha256Oid) -> String {
    format!("{repo_id}-{oid}")
}

#[must_use]
pub fn verify_purpose(repo_id: &str, oid: &Sha256Oid, size: u64) -> String {
    format!("lfs-verify\n{repo_id}\n{oid}\n{size}")
}

#[must_use]
pub fn download_purpose(repo_id: &str, oid: &Sha256Oid) -> String {
    format!("lfs-download\n{repo_id}\n{oid}")
}

impl Hub {
    /// Plans a batch request. Writers must upload any object that this repo has not already
    /// received or referenced, even if the store holds it: uploading is the proof of possession
    /// that keeps one repo's objects out of another.
    pub async fn lfs_batch(
        &self,
        principal: &Principal,
        repo: &Repo,
        operation: LfsOperation,
        objects: Vec<(String, u64)>,
    ) -> CoreResult<Vec<BatchObject>> {
        match operation {
            LfsOperation::Upload => principal.check_write(repo)?,
            LfsOperation::Download => self.check_content_read(principal, repo).await?,
        }
        let mut answers = Vec::with_capacity(objects.len());
        for (oid_text, size) in objects {
            let Some(oid) = Sha256Oid::parse(&oid_text) else {
                let message = format!("invalid object id '{oid_text}': expected 64 lower-case hex digits");
                answers.push(BatchObject { oid: oid_text, size, action: BatchAction::Error { code: 422, message } });
                continue;
            };
            let mut stored = self.meta.lfs_object_size(&oid).await?;
            let mut linked_through_xet = false;
            if stored.is_none() {
                // Uploaded through Xet: git-lfs reads it through the plain-HTTP bridge.
                let granted = self.meta.xet_file_for_sha256(&repo.id, oid.as_str()).await?;
                linked_through_xet = granted.is_some();
                stored = granted.map(|(_, size)| size);
            }
            let action = match operation {
                LfsOperation::Upload => match stored {
                    Some(stored) if stored != size => BatchAction::Error {
                        code: 422,
                        message: format!("size {size} does not match the stored object ({stored} bytes)"),
                    },
                    Some(_) if linked_through_xet => BatchAction::AlreadyStored,
                    Some(_) if self.meta.repo_may_reference_lfs(&repo.id, &oid).await? => BatchAction::AlreadyStored,
                    _ => BatchAction::Upload,
                },
                LfsOperation::Download => {
                    let linked = self.meta.repo_has_lfs_object(&repo.id, &oid).await?
                        || self.meta.repo_xet_file(&repo.id, oid.as_str()).await?.is_some();
                    let held = self.meta.quarantined(&repo.id, &crate::scan::lfs_content_key(oid.as_str())).await?;
                    match stored {
                        Some(_) if linked && held.is_some() => BatchAction::Error {
                            code: 403,
                            message: held.map(|hold| format!("quarantined: {}", hold.reason)).unwrap_or_default(),
                        },
                        Some(stored) if linked => BatchAction::Download.with_size_check(stored, size),
                        _ => BatchAction::Error { code: 404, message: "Object does not exist".to_owned() },
                    }
                }
            };
            answers.push(BatchObject { oid: oid_text, size, action });
        }
        Ok(answers)
    }

    /// Receives the bytes of a signed upload URL; verifies hash and size before the object
    /// becomes visible, then links it to the repo.
    pub async fn lfs_receive(&self, repo_id: &str, oid: &Sha256Oid, size: u64, body: ByteStream) -> CoreResult<()> {
        self.blobs.put(oid, size, body).await?;
        self.record_upload(repo_id, oid, size).await
    }

    /// Stores one part of a multipart upload.
    pub async fn lfs_receive_part(&self, upload_key: &str, part: u32, body: ByteStream) -> CoreResult<String> {
        Ok(self.blobs.put_part(upload_key, part, body).await?)
    }

    /// Assembles the parts, verifies, stores and links the object.
    pub async fn lfs_complete_parts(
        &self,
        repo_id: &str,
        upload_key: &str,
        oid: &Sha256Oid,
        size: u64,
        parts: &[(u32, String)],
    ) -> CoreResult<()> {
        self.blobs.complete_parts(upload_key, oid, size, parts).await?;
        self.record_upload(repo_id, oid, size).await
    }

    /// Whether an uploaded object is stored with the expected size (the verify action). A
    /// direct upload into the object store is checked and published here.
    pub async fn lfs_verify(&self, principal: &Principal, repo: &Repo, oid: &Sha256Oid, size: u64) -> CoreResult<bool> {
        principal.check_write(repo)?;
        self.lfs_verify_signed(&repo.id, oid, size).await
    }

    /// The verify action through a signed URL (git-lfs sends no credentials there): the
    /// signature stands for the writer the batch answer was made for.
    pub async fn lfs_verify_signed(&self, repo_id: &str, oid: &Sha256Oid, size: u64) -> CoreResult<bool> {
        let stored = self.meta.lfs_object_size(oid).await?;
        let linked = self.meta.repo_may_reference_lfs(repo_id, oid).await?;
        if linked && stored == Some(size) {
            return Ok(true);
        }
        match self.blobs.finish_direct_upload(&direct_upload_key(repo_id, oid), None, oid, size).await {
            Ok(()) => {
                self.record_upload(repo_id, oid, size).await?;
                Ok(true)
            }
            Err(StorageError::NotFound) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Presigned URLs for uploading straight into the object store, when it offers them:
    /// one `PUT`, or one per part of `part_size` bytes.
    pub async fn lfs_start_direct_upload(
        &self,
        repo: &Repo,
        oid: &Sha256Oid,
        size: u64,
        part_size: Option<u64>,
    ) -> CoreResult<Option<DirectUpload>> {
        let parts = part_size.map(|part| u32::try_from(size.div_ceil(part.max(1))).unwrap_or(u32::MAX));
        let ttl = std::time::Duration::from_secs(self.settings.signed_url_ttl_seconds.unsigned_abs());
        Ok(self.blobs.start_direct_upload(&direct_upload_key(&repo.id, oid), parts, ttl).await?)
    }

    /// Completes a direct multipart upload with the parts' ETags, checks and publishes it.
    pub async fn lfs_complete_direct_upload(
        &self,
        repo_id: &str,
        oid: &Sha256Oid,
        size: u64,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> CoreResult<()> {
        let key = direct_upload_key(repo_id, oid);
        self.blobs.finish_direct_upload(&key, Some((upload_id, parts)), oid, size).await?;
        self.record_upload(repo_id, oid, size).await
    }

    async fn record_upload(&self, repo_id: &str, oid: &Sha256Oid, size: u64) -> CoreResult<()> {
        let now = stoa_types::time::now_unix();
        self.meta.record_lfs_object(oid, size, now).await?;
        self.meta.grant_lfs_upload(repo_id, oid, now).await?;
        Ok(())
    }
}

impl BatchAction {
    fn with_size_check(self, stored: u64, announced: u64) -> Self {
        if stored == announced {
            self
        } else {
            Self::Error {
                code: 422,
                message: format!("size {announced} does not match the stored object ({stored} bytes)"),
            }
        }
    }
}
