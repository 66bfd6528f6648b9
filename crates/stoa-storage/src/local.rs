//! Content-addressed objects on the local filesystem: `objects/ab/cd/<sha256>`. Every write
//! goes to a temp file under `tmp/`, is fsynced, renamed into place, and the directory fsynced,
//! so a crash leaves either the whole object or nothing.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::{BlobKey, BlobStore, ByteStream, ObjectReader, StorageError};
use stoa_xet::XetHash;
use tempfile::NamedTempFile;

use crate::pipeline::receive_into;
use crate::verify::{check_digest, checked_parts};

#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Opens (creating if needed) a store rooted at `root`. Temp files left by a killed process
    /// are removed: nothing refers to them (a single server owns the data dir).
    pub fn open(root: &Path) -> io::Result<Self> {
        for folder in ["objects", "tmp", "parts", "xorbs"] {
            fs::create_dir_all(root.join(folder))?;
        }
        for entry in fs::read_dir(root.join("tmp"))? {
            let path = entry?.path();
            if path.is_dir() { fs::remove_dir_all(path)? } else { fs::remove_file(path)? }
        }
        Ok(Self { root: root.to_owned() })
    }

    /// Uses an existing store without the start-up cleanup, for admin commands that run next
    /// to a live server (whose temp files must not be touched).
    #[must_use]
    pub fn attach(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    fn object_path(&self, oid: &Sha256Oid) -> PathBuf {
        let hex = oid.as_str();
        self.root.join("objects").join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    fn xorb_path(&self, hash: &XetHash) -> PathBuf {
        let hex = hash.hex();
        self.root.join("xorbs").join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    fn parts_dir(&self, upload_key: &str) -> Result<PathBuf, StorageError> {
        let safe = !upload_key.is_empty() && upload_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !safe {
            return Err(StorageError::Rejected("invalid upload key".to_owned()));
        }
        Ok(self.root.join("parts").join(upload_key))
    }

    fn temp_file(&self) -> io::Result<NamedTempFile> {
        NamedTempFile::new_in(self.root.join("tmp"))
    }
}

/// Moves a finished temp file to its final name and makes the rename durable.
fn publish(temp: tempfile::TempPath, target: &Path) -> io::Result<()> {
    let parent = target.parent().expect("object paths always have a parent folder");
    fs::create_dir_all(parent)?;
    if fs::metadata(target).is_ok() {
        // Same key, same content: the existing object wins and the temp file is dropped.
        return Ok(());
    }
    temp.persist(target).map_err(|error| error.error)?;
    File::open(parent)?.sync_all()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| StorageError::Io(io::Error::other(error.to_string())))?
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn size(&self, oid: &Sha256Oid) -> Result<Option<u64>, StorageError> {
        match tokio::fs::metadata(self.object_path(oid)).await {
            Ok(metadata) => Ok(Some(metadata.len())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn put(&self, oid: &Sha256Oid, expected_size: u64, body: ByteStream) -> Result<(), StorageError> {
        let temp = self.temp_file()?;
        let file = temp.reopen()?;
        let received = receive_into(file, body, expected_size).await?;
        check_digest(oid, expected_size, received.size, &received.sha256)?;
        let target = self.object_path(oid);
        let temp_path = temp.into_temp_path();
        blocking(move || Ok(publish(temp_path, &target)?)).await
    }

    async fn put_verified_file(&self, oid: &Sha256Oid, file: PathBuf) -> Result<(), StorageError> {
        let target = self.object_path(oid);
        blocking(move || {
            let temp = tempfile::TempPath::try_from_path(&file)?;
            Ok(publish(temp, &target)?)
        })
        .await
    }

    async fn open(&self, oid: &Sha256Oid) -> Result<ObjectReader, StorageError> {
        let path = self.object_path(oid);
        match tokio::fs::metadata(&path).await {
            Ok(metadata) => Ok(ObjectReader::LocalFile { path, size: metadata.len() }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(StorageError::NotFound),
            Err(error) => Err(error.into()),
        }
    }

    async fn read_range(&self, key: &BlobKey, start: u64, length: u64) -> Result<ByteStream, StorageError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let path = match key {
            BlobKey::Lfs(oid) => self.object_path(oid),
            BlobKey::Xorb(hash) => self.xorb_path(hash),
        };
        let mut file = match tokio::fs::File::open(&path).await {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(StorageError::NotFound),
            opened => opened?,
        };
        file.seek(io::SeekFrom::Start(start)).await?;
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(file.take(length), 256 * 1024)))
    }

    async fn put_part(&self, upload_key: &str, part_number: u32, body: ByteStream) -> Result<String, StorageError> {
        let folder = self.parts_dir(upload_key)?;
        tokio::fs::create_dir_all(&folder).await?;
        let temp = self.temp_file()?;
        let received = receive_into(temp.reopen()?, body, u64::MAX).await?;
        let etag = hex::encode(received.sha256);
        let target = folder.join(format!("{part_number}.{etag}"));
        let temp_path = temp.into_temp_path();
        blocking(move || {
            temp_path.persist(&target).map_err(|error| error.error)?;
            Ok(())
        })
        .await?;
        Ok(etag)
    }

    async fn complete_parts(
        &self,
        upload_key: &str,
        oid: &Sha256Oid,
        expected_size: u64,
        parts: &[(u32, String)],
    ) -> Result<(), StorageError> {
        let folder = self.parts_dir(upload_key)?;
        let mut files = Vec::with_capacity(parts.len());
        for (number, etag) in checked_parts(parts)? {
            files.push(folder.join(format!("{number}.{etag}")));
        }
        let temp = self.temp_file()?;
        let target = self.object_path(oid);
        let oid = oid.clone();
        blocking(move || {
            let mut output = temp.reopen()?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut buffer = vec![0u8; 1 << 20];
            for path in &files {
                let part =
                    File::open(path).map_err(|_| StorageError::Rejected(format!("unknown part {}", path.display())))?;
                let mut reader = BufReader::new(part);
                loop {
                    let read = reader.read(&mut buffer)?;
                    if read == 0 {
                        break;
                    }
                    hasher.update(&buffer[..read]);
                    output.write_all(&buffer[..read])?;
                    size += read as u64;
                }
            }
            output.sync_data()?;
            check_digest(&oid, expected_size, size, &hasher.finalize())?;
            publish(temp.into_temp_path(), &target)?;
            let _ = fs::remove_dir_all(&folder);
            Ok(())
        })
        .await
    }

    async fn put_xorb(&self, hash: &XetHash, stored: Vec<u8>) -> Result<(), StorageError> {
        let target = self.xorb_path(hash);
        let temp = self.temp_file()?;
        blocking(move || {
            let mut file = temp.reopen()?;
            file.write_all(&stored)?;
            file.sync_data()?;
            Ok(publish(temp.into_temp_path(), &target)?)
        })
        .await
    }

    async fn delete_xorb(&self, hash: &XetHash) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.xorb_path(hash)).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    async fn open_xorb(&self, hash: &XetHash) -> Result<ObjectReader, StorageError> {
        let path = self.xorb_path(hash);
        match tokio::fs::metadata(&path).await {
            Ok(metadata) => Ok(ObjectReader::LocalFile { path, size: metadata.len() }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(StorageError::NotFound),
            Err(error) => Err(error.into()),
        }
    }

    fn scratch_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::stream;

    use super::*;

    fn body(parts: Vec<&'static [u8]>) -> ByteStream {
        Box::pin(stream::iter(parts.into_iter().map(|part| Ok(Bytes::from_static(part)))))
    }

    fn oid_of(bytes: &[u8]) -> Sha256Oid {
        Sha256Oid::from_digest(&Sha256::digest(bytes))
    }

    #[tokio::test]
    async fn objects_are_verified_before_they_appear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalBlobStore::open(dir.path()).expect("opens");
        let oid = oid_of(b"hello world");
        assert!(store.put(&oid, 11, body(vec![b"hello ", b"wrld"])).await.is_err());
        assert!(store.put(&oid, 11, body(vec![b"hello ", b"world!"])).await.is_err());
        assert_eq!(store.size(&oid).await.expect("size"), None);
        store.put(&oid, 11, body(vec![b"hello ", b"world"])).await.expect("stored");
        assert_eq!(store.size(&oid).await.expect("size"), Some(11));
        // Idempotent.
        store.put(&oid, 11, body(vec![b"hello world"])).await.expect("stored again");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).expect("tmp").count(), 0);
    }

    #[tokio::test]
    async fn multipart_assembles_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalBlobStore::open(dir.path()).expect("opens");
        let oid = oid_of(b"abcdef");
        let first = store.put_part("up-1", 1, body(vec![b"abc"])).await.expect("part 1");
        let second = store.put_part("up-1", 2, body(vec![b"def"])).await.expect("part 2");
        let swapped = [(1, second.clone()), (2, first.clone())];
        assert!(store.complete_parts("up-1", &oid, 6, &swapped).await.is_err());
        store.complete_parts("up-1", &oid, 6, &[(1, first), (2, second)]).await.expect("completes");
        assert_eq!(store.size(&oid).await.expect("size"), Some(6));
        assert!(store.put_part("../x", 1, body(vec![b"a"])).await.is_err());
    }
}
