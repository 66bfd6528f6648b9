//! Files dropped into a discussion comment (`upload_attachment`): images, video and audio of a
//! few allowed types, stored content-addressed in the object store and served back with their
//! type fixed by the allow-list, never by what the uploader claimed, so nothing uploaded is ever
//! rendered as a page of this origin.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::lfs::Sha256Oid;
use crate::ports::ObjectReader;

const IMAGE_MAX_BYTES: u64 = 10 * 1024 * 1024;
const VIDEO_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// What may be attached: extension in the URL, content type, size limit.
const ATTACHMENT_TYPES: &[(&str, &str, u64)] = &[
    ("png", "image/png", IMAGE_MAX_BYTES),
    ("jpg", "image/jpeg", IMAGE_MAX_BYTES),
    ("gif", "image/gif", IMAGE_MAX_BYTES),
    ("webp", "image/webp", IMAGE_MAX_BYTES),
    ("mp4", "video/mp4", VIDEO_MAX_BYTES),
    ("mov", "video/quicktime", VIDEO_MAX_BYTES),
    ("webm", "video/webm", VIDEO_MAX_BYTES),
    ("mp3", "audio/mpeg", IMAGE_MAX_BYTES),
    ("wav", "audio/wav", IMAGE_MAX_BYTES),
];

/// The largest attachment of any type (what the HTTP edge may buffer).
pub const MAX_ATTACHMENT_BYTES: u64 = VIDEO_MAX_BYTES;

/// An attachment ready to be served.
#[derive(Debug)]
pub struct Attachment {
    pub oid: Sha256Oid,
    pub content_type: &'static str,
    pub reader: ObjectReader,
}

impl Hub {
    /// Stores an attachment and returns its file name (`<sha256>.<ext>`).
    pub async fn upload_attachment(
        &self,
        principal: &Principal,
        content_type: &str,
        bytes: Bytes,
    ) -> CoreResult<String> {
        let user = principal.check_token_writes(None)?;
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some(&(extension, _, max)) = ATTACHMENT_TYPES.iter().find(|(_, known, _)| *known == essence) else {
            let allowed: Vec<&str> = ATTACHMENT_TYPES.iter().map(|(_, known, _)| *known).collect();
            return Err(CoreError::bad_request(format!(
                "Unsupported attachment type '{essence}': use one of {}",
                allowed.join(", ")
            )));
        };
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(CoreError::bad_request("The attachment is empty"));
        }
        if size > max {
            return Err(CoreError::PayloadTooLarge(format!(
                "Attachments of type {essence} are limited to {max} bytes"
            )));
        }
        let oid = Sha256Oid::parse(&hex::encode(Sha256::digest(&bytes))).expect("a SHA-256 digest is a valid oid");
        if self.blobs.size(&oid).await?.is_none() {
            let body = Box::pin(futures_util::stream::once(async move { Ok(bytes) }));
            self.blobs.put(&oid, size, body).await?;
        }
        self.meta.record_attachment(oid.as_str(), extension, &user.id, stoa_types::time::now_millis()).await?;
        Ok(format!("{oid}.{extension}"))
    }

    /// Opens `<sha256>.<ext>`, an attachment stored by [`Hub::upload_attachment`].
    pub async fn open_attachment(&self, name: &str) -> CoreResult<Attachment> {
        let missing = || CoreError::NotFound("Attachment not found".to_owned());
        let (hash, extension) = name.split_once('.').ok_or_else(missing)?;
        let &(_, content_type, _) =
            ATTACHMENT_TYPES.iter().find(|(known, _, _)| *known == extension).ok_or_else(missing)?;
        let oid = Sha256Oid::parse(hash).ok_or_else(missing)?;
        if !self.meta.attachment_exists(oid.as_str(), extension).await? {
            return Err(missing());
        }
        let reader = match self.blobs.open(&oid).await {
            Err(crate::ports::StorageError::NotFound) => return Err(missing()),
            other => other?,
        };
        Ok(Attachment { oid, content_type, reader })
    }
}
