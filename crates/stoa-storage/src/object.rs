//! Content-addressed objects in an object store: S3 (AWS, Garage, MinIO, Ceph RGW...) for
//! deployments that outgrow one machine, or memory for tests. Keys under an optional prefix:
//! `lfs/objects/<sha256>`, `xet/xorbs/<hash>`, `lfs/staging/<upload>` for direct uploads and
//! `lfs/parts/<upload>/<n>.<etag>` for parts received through Stoa.
//!
//! Nothing reaches an object's final key before its hash and size are checked: streamed writes
//! go through a multipart upload that is completed only when they match (aborted otherwise), and
//! direct uploads land in staging and are copied over after a full read-back.

use std::path::{Path as LocalPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::signer::{Method, SignedUrlOptions, Signer};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{BlobKey, BlobStore, ByteStream, DirectUpload, ObjectReader, StorageError};
use stoa_xet::XetHash;

use crate::verify::{check_digest, checked_parts};

/// Parts of streamed writes; S3 wants at least 5 MiB for all but the last.
const PART_BYTES: usize = 16 * 1024 * 1024;
/// Parts uploaded concurrently by one streamed write.
const PARTS_IN_FLIGHT: usize = 2;
/// S3's `CopyObject` limit; larger staged objects are copied by streaming.
const MAX_SERVER_SIDE_COPY: u64 = 5 * 1024 * 1024 * 1024;

/// How to reach an S3-compatible bucket.
#[derive(Clone, Default)]
pub struct S3Settings {
    /// `http(s)://host:port`; empty for AWS itself.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Key prefix, so that one bucket can hold several hubs.
    pub prefix: String,
    /// Bucket in the host name (AWS) rather than the path (most self-hosted servers).
    pub virtual_hosted_style: bool,
}

impl std::fmt::Debug for S3Settings {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    /// Present when the store can presign URLs and drive multipart uploads by id (S3).
    direct: Option<Arc<AmazonS3>>,
    prefix: String,
    scratch: PathBuf,
}

fn storage_error(error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        other => StorageError::Io(std::io::Error::other(other.to_string())),
    }
}

impl ObjectBlobStore {
    /// Connects to an S3 bucket; `scratch` is a local folder for temporary files.
    pub fn s3(settings: &S3Settings, scratch: &LocalPath) -> Result<Self, StorageError> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_region(&settings.region)
            .with_bucket_name(&settings.bucket)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_virtual_hosted_style_request(settings.virtual_hosted_style);
        if !settings.endpoint.is_empty() {
            builder =
                builder.with_endpoint(&settings.endpoint).with_allow_http(settings.endpoint.starts_with("http://"));
        }
        let s3 = Arc::new(builder.build().map_err(storage_error)?);
        let mut store = Self::with_store(s3.clone(), &settings.prefix, scratch)?;
        store.direct = Some(s3);
        Ok(store)
    }

    /// Keeps objects in memory (tests; no direct uploads).
    pub fn in_memory(scratch: &LocalPath) -> Result<Self, StorageError> {
        Self::with_store(Arc::new(object_store::memory::InMemory::new()), "", scratch)
    }

    fn with_store(store: Arc<dyn ObjectStore>, prefix: &str, scratch: &LocalPath) -> Result<Self, StorageError> {
        std::fs::create_dir_all(scratch)?;
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        Ok(Self { store, direct: None, prefix, scratch: scratch.to_owned() })
    }

    fn key(&self, relative: &str) -> Path {
        Path::from(format!("{}{relative}", self.prefix))
    }

    fn object_path(&self, oid: &Sha256Oid) -> Path {
        self.key(&format!("lfs/objects/{oid}"))
    }

    fn xorb_path(&self, hash: &XetHash) -> Path {
        self.key(&format!("xet/xorbs/{}", hash.hex()))
    }

    fn blob_path(&self, key: &BlobKey) -> Path {
        match key {
            BlobKey::Lfs(oid) => self.object_path(oid),
            BlobKey::Xorb(hash) => self.xorb_path(hash),
        }
    }

    fn staging_path(upload_key: &str, store: &Self) -> Result<Path, StorageError> {
        check_upload_key(upload_key)?;
        Ok(store.key(&format!("lfs/staging/{upload_key}")))
    }

    async fn head_size(&self, path: &Path) -> Result<Option<u64>, StorageError> {
        match self.store.head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(storage_error(error)),
        }
    }

    /// Streams `body` to `target` through a multipart upload that completes only if the bytes
    /// hash to `oid` with `expected_size`.
    async fn write_checked(
        &self,
        target: &Path,
        oid: &Sha256Oid,
        expected_size: u64,
        mut body: ByteStream,
    ) -> Result<(), StorageError> {
        let upload = self.store.put_multipart(target).await.map_err(storage_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let outcome: Result<(), StorageError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                if size > expected_size {
                    break;
                }
                hasher.update(&chunk);
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(storage_error)?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        let checked = outcome.and_then(|()| check_digest(oid, expected_size, size, &hasher.finalize()));
        match checked {
            Ok(()) => writer.finish().await.map(|_| ()).map_err(storage_error),
            Err(error) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, "aborting a rejected upload failed");
                }
                Err(error)
            }
        }
    }

    /// Hashes a stored object by reading it back.
    async fn hash_stored(&self, path: &Path) -> Result<(u64, Vec<u8>), StorageError> {
        let mut stream = self.store.get(path).await.map_err(storage_error)?.into_stream();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(storage_error)?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok((size, hasher.finalize().to_vec()))
    }

    /// Server-side copy where S3 allows it, else through this process.
    async fn copy_object(&self, from: &Path, to: &Path, size: u64) -> Result<(), StorageError> {
        if size <= MAX_SERVER_SIDE_COPY {
            return self.store.copy(from, to).await.map_err(storage_error);
        }
        self.upload_unchecked(to, self.stream_of(from)).await
    }

    /// Streams bytes already known to be right (checked earlier) to `target`.
    async fn upload_unchecked(&self, target: &Path, mut chunks: ByteStream) -> Result<(), StorageError> {
        let upload = self.store.put_multipart(target).await.map_err(storage_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        while let Some(chunk) = chunks.next().await {
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(storage_error)?;
            writer.put(chunk?);
        }
        writer.finish().await.map(|_| ()).map_err(storage_error)
    }

    async fn remove_quietly(&self, path: &Path) {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => tracing::warn!(error = %error, key = %path, "temporary object not removed"),
        }
    }

    fn stream_of(&self, path: &Path) -> ByteStream {
        let store = Arc::clone(&self.store);
        let path = path.clone();
        let stream = futures_util::stream::once(async move { store.get(&path).await })
            .map_ok(|result| result.into_stream())
            .try_flatten()
            .map_err(|error| std::io::Error::other(error.to_string()));
        Box::pin(stream)
    }
}

fn check_upload_key(upload_key: &str) -> Result<(), StorageError> {
    let safe = !upload_key.is_empty() && upload_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if safe { Ok(()) } else { Err(StorageError::Rejected("invalid upload key".to_owned())) }
}

fn parse_part_name(name: &str) -> Option<(u32, &str)> {
    let (number, etag) = name.split_once('.')?;
    Some((number.parse().ok()?, etag))
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn size(&self, oid: &Sha256Oid) -> Result<Option<u64>, StorageError> {
        self.head_size(&self.object_path(oid)).await
    }

    async fn put(&self, oid: &Sha256Oid, expected_size: u64, body: ByteStream) -> Result<(), StorageError> {
        self.write_checked(&self.object_path(oid), oid, expected_size, body).await
    }

    async fn put_verified_file(&self, oid: &Sha256Oid, file: PathBuf) -> Result<(), StorageError> {
        let target = self.object_path(oid);
        if self.head_size(&target).await?.is_none() {
            let opened = tokio::fs::File::open(&file).await?;
            self.upload_unchecked(&target, Box::pin(tokio_util::io::ReaderStream::with_capacity(opened, 1 << 20)))
                .await?;
        }
        tokio::fs::remove_file(&file).await?;
        Ok(())
    }

    async fn open(&self, oid: &Sha256Oid) -> Result<ObjectReader, StorageError> {
        let size = self.head_size(&self.object_path(oid)).await?.ok_or(StorageError::NotFound)?;
        Ok(ObjectReader::Remote { size })
    }

    async fn read_range(&self, key: &BlobKey, start: u64, length: u64) -> Result<ByteStream, StorageError> {
        if length == 0 {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let options = GetOptions::default().with_range(Some(GetRange::Bounded(start..start + length)));
        let result = self.store.get_opts(&self.blob_path(key), options).await.map_err(storage_error)?;
        Ok(Box::pin(result.into_stream().map_err(|error| std::io::Error::other(error.to_string()))))
    }

    async fn presigned_get(&self, key: &BlobKey, ttl: Duration) -> Result<Option<String>, StorageError> {
        let Some(signer) = &self.direct else { return Ok(None) };
        let url = signer.signed_url(Method::GET, &self.blob_path(key), ttl).await.map_err(storage_error)?;
        Ok(Some(url.to_string()))
    }

    async fn put_part(&self, upload_key: &str, part_number: u32, mut body: ByteStream) -> Result<String, StorageError> {
        check_upload_key(upload_key)?;
        // A part is at most the chunk size the batch answer announced, so it is buffered.
        let mut hasher = Sha256::new();
        let mut chunks = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            chunks.push(chunk);
        }
        let etag = hex::encode(hasher.finalize());
        let path = self.key(&format!("lfs/parts/{upload_key}/{part_number}.{etag}"));
        self.store.put(&path, PutPayload::from_iter(chunks)).await.map_err(storage_error)?;
        Ok(etag)
    }

    async fn complete_parts(
        &self,
        upload_key: &str,
        oid: &Sha256Oid,
        expected_size: u64,
        parts: &[(u32, String)],
    ) -> Result<(), StorageError> {
        check_upload_key(upload_key)?;
        let folder = self.key(&format!("lfs/parts/{upload_key}"));
        let mut paths = Vec::with_capacity(parts.len());
        for (number, etag) in checked_parts(parts)? {
            let path = self.key(&format!("lfs/parts/{upload_key}/{number}.{etag}"));
            if self.head_size(&path).await?.is_none() {
                return Err(StorageError::Rejected(format!("unknown part {number}")));
            }
            paths.push(path);
        }
        let streams: Vec<ByteStream> = paths.iter().map(|path| self.stream_of(path)).collect();
        let body: ByteStream = Box::pin(futures_util::stream::iter(streams).flatten());
        self.write_checked(&self.object_path(oid), oid, expected_size, body).await?;
        let leftovers: Vec<Path> =
            self.store.list(Some(&folder)).map_ok(|meta| meta.location).try_collect().await.map_err(storage_error)?;
        for path in leftovers {
            if path.filename().and_then(parse_part_name).is_some() {
                self.remove_quietly(&path).await;
            }
        }
        Ok(())
    }

    async fn start_direct_upload(
        &self,
        upload_key: &str,
        part_count: Option<u32>,
        ttl: Duration,
    ) -> Result<Option<DirectUpload>, StorageError> {
        let Some(s3) = &self.direct else { return Ok(None) };
        let staging = Self::staging_path(upload_key, self)?;
        let Some(part_count) = part_count else {
            let url = s3.signed_url(Method::PUT, &staging, ttl).await.map_err(storage_error)?;
            return Ok(Some(DirectUpload::Single { url: url.to_string() }));
        };
        let upload_id = s3.create_multipart(&staging).await.map_err(storage_error)?;
        let mut urls = Vec::with_capacity(part_count as usize);
        for part in 1..=part_count {
            let options =
                SignedUrlOptions::new().with_query([("partNumber", part.to_string()), ("uploadId", upload_id.clone())]);
            let url = s3.signed_url_opts(Method::PUT, &staging, ttl, &options).await.map_err(storage_error)?;
            urls.push(url.to_string());
        }
        Ok(Some(DirectUpload::Parts { upload_id, urls }))
    }

    async fn finish_direct_upload(
        &self,
        upload_key: &str,
        multipart: Option<(&str, &[(u32, String)])>,
        oid: &Sha256Oid,
        expected_size: u64,
    ) -> Result<(), StorageError> {
        let Some(s3) = &self.direct else { return Err(StorageError::NotFound) };
        let staging = Self::staging_path(upload_key, self)?;
        if let Some((upload_id, parts)) = multipart {
            let ordered = parts.iter().enumerate().all(|(index, (number, _))| *number as usize == index + 1);
            if !ordered || parts.is_empty() {
                return Err(StorageError::Rejected("parts must be numbered 1, 2, 3, ... in order".to_owned()));
            }
            let ids = parts.iter().map(|(_, etag)| PartId { content_id: etag.clone() }).collect();
            let upload_id = upload_id.to_owned();
            s3.complete_multipart(&staging, &upload_id, ids)
                .await
                .map_err(|error| StorageError::Rejected(format!("the parts could not be assembled: {error}")))?;
        }
        let staged = self.head_size(&staging).await?.ok_or(StorageError::NotFound)?;
        if staged != expected_size {
            self.remove_quietly(&staging).await;
            return check_digest(oid, expected_size, staged, &[]);
        }
        // The staging URL stays valid for a while, so its content could change between the
        // check and the copy: the bytes are first moved where no URL points, then checked.
        let held = self.key(&format!("lfs/verifying/{}", stoa_core::tokens::new_object_id()));
        self.copy_object(&staging, &held, staged).await?;
        self.remove_quietly(&staging).await;
        let (size, digest) = self.hash_stored(&held).await?;
        let verdict = check_digest(oid, expected_size, size, &digest);
        if verdict.is_ok() {
            self.copy_object(&held, &self.object_path(oid), size).await?;
        }
        self.remove_quietly(&held).await;
        verdict
    }

    async fn put_xorb(&self, hash: &XetHash, stored: Vec<u8>) -> Result<(), StorageError> {
        // One PUT is atomic: the xorb (at most 64 MiB) appears whole or not at all.
        self.store.put(&self.xorb_path(hash), PutPayload::from(Bytes::from(stored))).await.map_err(storage_error)?;
        Ok(())
    }

    async fn open_xorb(&self, hash: &XetHash) -> Result<ObjectReader, StorageError> {
        let size = self.head_size(&self.xorb_path(hash)).await?.ok_or(StorageError::NotFound)?;
        Ok(ObjectReader::Remote { size })
    }

    async fn delete_xorb(&self, hash: &XetHash) -> Result<(), StorageError> {
        match self.store.delete(&self.xorb_path(hash)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(storage_error(error)),
        }
    }

    fn scratch_dir(&self) -> PathBuf {
        self.scratch.clone()
    }
}
