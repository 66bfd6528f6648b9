//! Positioned reads of a file's content wherever it lives: a git blob (in memory), an LFS object
//! on local disk (`pread`) or in a remote store (range requests), or a Xet file rebuilt from its
//! xorbs. The scanners are synchronous and read only what they need, so they run on a blocking
//! thread and each read waits on the runtime.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use futures_util::StreamExt;

use crate::error::{CoreError, CoreResult};
use crate::files::FileEntry;
use crate::formats::containers::RandomAccess;
use crate::hub::Hub;
use crate::ports::{BlobKey, ObjectReader, Repo, StorageError};

/// Where a file's bytes are read from.
pub(crate) enum FileSource {
    Memory(Vec<u8>),
    Local { file: std::fs::File, len: u64 },
    Remote { hub: Hub, key: BlobKey, len: u64, runtime: tokio::runtime::Handle },
    Xet { hub: Hub, file_hash: stoa_xet::XetHash, len: u64, runtime: tokio::runtime::Handle },
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Memory(_) => "memory",
            Self::Local { .. } => "local",
            Self::Remote { .. } => "remote",
            Self::Xet { .. } => "xet",
        };
        formatter.write_str(kind)
    }
}

fn io_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(error.to_string())
}

impl RandomAccess for FileSource {
    fn len(&self) -> u64 {
        match self {
            Self::Memory(bytes) => bytes.len() as u64,
            Self::Local { len, .. } | Self::Remote { len, .. } | Self::Xet { len, .. } => *len,
        }
    }

    fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if offset.checked_add(len as u64).is_none_or(|end| end > self.len()) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        match self {
            Self::Memory(bytes) => {
                let start = usize::try_from(offset).map_err(io_error)?;
                Ok(bytes[start..start + len].to_vec())
            }
            Self::Local { file, .. } => {
                let mut buffer = vec![0; len];
                file.read_exact_at(&mut buffer, offset)?;
                Ok(buffer)
            }
            Self::Remote { hub, key, runtime, .. } => {
                runtime.block_on(read_object_range(hub, key, offset, len as u64)).map_err(io_error)
            }
            Self::Xet { hub, file_hash, runtime, .. } => {
                runtime.block_on(read_xet_range(hub, file_hash, offset, len as u64)).map_err(io_error)
            }
        }
    }
}

async fn read_object_range(hub: &Hub, key: &BlobKey, start: u64, length: u64) -> CoreResult<Vec<u8>> {
    let mut stream = hub.blobs.read_range(key, start, length).await?;
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(|error| CoreError::Internal(error.to_string()))?);
    }
    Ok(bytes)
}

/// Bytes `start..start+length` of a Xet file: the chunks of its plan, decoded in order.
async fn read_xet_range(hub: &Hub, file_hash: &stoa_xet::XetHash, start: u64, length: u64) -> CoreResult<Vec<u8>> {
    let plan = hub.plan_file(file_hash, Some((start, Some(start + length - 1)))).await?;
    let mut skip = plan.plan.offset_into_first_range;
    let mut out = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    let bad = |error: stoa_xet::XetError| CoreError::Internal(format!("stored xorb unreadable: {error}"));
    for term in &plan.plan.terms {
        let run =
            read_object_range(hub, &BlobKey::Xorb(term.xorb), term.byte_start, term.byte_end - term.byte_start + 1)
                .await?;
        let mut at = 0;
        while at < run.len() && (out.len() as u64) < length {
            let header: [u8; 8] = run
                .get(at..at + 8)
                .and_then(|slice| slice.try_into().ok())
                .ok_or_else(|| CoreError::Internal("stored xorb truncated".to_owned()))?;
            let stored = stoa_xet::stored_chunk_len(header).map_err(bad)?;
            let chunk =
                run.get(at..at + stored).ok_or_else(|| CoreError::Internal("stored xorb truncated".to_owned()))?;
            let data = stoa_xet::decode_chunk_run(chunk).map_err(bad)?;
            at += stored;
            let begin = usize::try_from(skip.min(data.len() as u64)).unwrap_or(data.len());
            skip -= begin as u64;
            let want = usize::try_from(length - out.len() as u64).unwrap_or(usize::MAX);
            out.extend_from_slice(&data[begin..data.len().min(begin.saturating_add(want))]);
        }
    }
    Ok(out)
}

impl Hub {
    /// Bytes `start..start+length` of a file's content wherever it is stored: a git blob, an LFS
    /// object (local or remote), or a Xet file rebuilt from its xorbs. For callers that stream a
    /// file in pieces (the web's raw view of a file only Xet holds).
    pub async fn read_file_range(&self, repo: &Repo, file: &FileEntry, start: u64, length: u64) -> CoreResult<Vec<u8>> {
        let end = start
            .checked_add(length)
            .filter(|end| *end <= file.size)
            .ok_or(CoreError::RangeNotSatisfiable { size: file.size })?;
        if length == 0 {
            return Ok(Vec::new());
        }
        let Some(info) = &file.lfs else {
            let bytes = self.read_git_blob(repo, &file.oid).await?;
            let range = usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(usize::MAX);
            return bytes.get(range).map(<[u8]>::to_vec).ok_or(CoreError::RangeNotSatisfiable { size: file.size });
        };
        let oid = &info.pointer.oid;
        match self.blobs.size(oid).await? {
            Some(_) => read_object_range(self, &BlobKey::Lfs(oid.clone()), start, length).await,
            None => match self.meta.xet_file_for_sha256(&repo.id, oid.as_str()).await? {
                Some((file_hash, _)) => read_xet_range(self, &file_hash, start, length).await,
                None => Err(CoreError::Internal(format!("the content of {} is missing from storage", file.path))),
            },
        }
    }

    /// Opens a file of a commit for scanning.
    pub(crate) async fn file_source(&self, repo: &Repo, file: &FileEntry) -> CoreResult<Arc<FileSource>> {
        let runtime = tokio::runtime::Handle::current();
        let Some(info) = &file.lfs else {
            return Ok(Arc::new(FileSource::Memory(self.read_git_blob(repo, &file.oid).await?)));
        };
        let oid = info.pointer.oid.clone();
        match self.blobs.open(&oid).await {
            Ok(ObjectReader::LocalFile { path, size }) => {
                let file = std::fs::File::open(&path).map_err(|error| CoreError::Internal(error.to_string()))?;
                Ok(Arc::new(FileSource::Local { file, len: size }))
            }
            Ok(ObjectReader::Remote { size }) => {
                Ok(Arc::new(FileSource::Remote { hub: self.clone(), key: BlobKey::Lfs(oid), len: size, runtime }))
            }
            // Granted files count too: a commit is scanned before its ref moves under `reject`.
            Err(StorageError::NotFound) => match self.meta.xet_file_for_sha256(&repo.id, oid.as_str()).await? {
                Some((file_hash, _)) => {
                    Ok(Arc::new(FileSource::Xet { hub: self.clone(), file_hash, len: info.pointer.size, runtime }))
                }
                None => Err(CoreError::Internal(format!("the content of {} is missing from storage", file.path))),
            },
            Err(other) => Err(other.into()),
        }
    }
}
