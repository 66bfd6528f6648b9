//! The Git LFS batch API (hub-api.md §3.12): which objects a client must upload, which it may
//! download, and the self-authorising URLs it uses for both.

use crate::access::Principal;
use crate::error::CoreResult;
use crate::hub::Hub;
use crate::lfs::Sha256Oid;
use crate::ports::{ByteStream, Repo};

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
            LfsOperation::Download => principal.check_read(repo)?,
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
                    match stored {
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
        let now = stoa_types::time::now_unix();
        self.blobs.put(oid, size, body).await?;
        self.meta.record_lfs_object(oid, size, now).await?;
        self.meta.grant_lfs_upload(repo_id, oid, now).await?;
        Ok(())
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
        let now = stoa_types::time::now_unix();
        self.blobs.complete_parts(upload_key, oid, size, parts).await?;
        self.meta.record_lfs_object(oid, size, now).await?;
        self.meta.grant_lfs_upload(repo_id, oid, now).await?;
        Ok(())
    }

    /// Whether an uploaded object is stored with the expected size (the verify action).
    pub async fn lfs_verify(&self, principal: &Principal, repo: &Repo, oid: &Sha256Oid, size: u64) -> CoreResult<bool> {
        principal.check_write(repo)?;
        let stored = self.meta.lfs_object_size(oid).await?;
        let linked = self.meta.repo_may_reference_lfs(&repo.id, oid).await?;
        Ok(linked && stored == Some(size))
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
