//! Response bodies for file content. Large objects are read by a blocking thread in 256 KiB
//! positioned reads and handed over through a short queue, so a download never holds more than
//! about 1 MiB in memory and never does small reads through the async runtime (the 4 KiB
//! `ReaderStream` default is 20× too slow, architecture.md §8.2).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use stoa_core::ports::{BlobKey, BlobStore, ObjectReader, StorageError};

const CHUNK_BYTES: usize = 256 * 1024;
const QUEUE_CHUNKS: usize = 4;

/// Streams `len` bytes of the file at `path` starting at `start`.
pub(crate) fn file_range_body(path: PathBuf, start: u64, len: u64) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(QUEUE_CHUNKS);
    // A thread of its own rather than the blocking pool: a download can last minutes and must
    // not hold a pool slot that short git and hashing tasks need.
    let reader = std::thread::Builder::new().name("stoa-download".to_owned()).spawn(move || {
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) => {
                let _ = sender.blocking_send(Err(error));
                return;
            }
        };
        let mut offset = start;
        let end = start + len;
        while offset < end {
            let want = usize::try_from((end - offset).min(CHUNK_BYTES as u64)).unwrap_or(CHUNK_BYTES);
            let mut buffer = BytesMut::zeroed(want);
            let chunk = match file.read_at(&mut buffer, offset) {
                Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object shorter than recorded")),
                Ok(read) => {
                    buffer.truncate(read);
                    offset += read as u64;
                    Ok(buffer.freeze())
                }
                Err(error) => Err(error),
            };
            let failed = chunk.is_err();
            // The client went away: stop reading.
            if sender.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    if let Err(error) = reader {
        tracing::error!(error = %error, "could not start a download thread");
    }
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Body::from_stream(stream)
}

/// Streams `length` bytes from `start` of an opened object, wherever it is stored.
pub(crate) async fn object_body(
    blobs: &std::sync::Arc<dyn BlobStore>,
    key: &BlobKey,
    reader: ObjectReader,
    start: u64,
    length: u64,
) -> Result<Body, StorageError> {
    match reader {
        ObjectReader::LocalFile { path, .. } => Ok(file_range_body(path, start, length)),
        ObjectReader::Remote { .. } => Ok(Body::from_stream(blobs.read_range(key, start, length).await?)),
    }
}

/// Where the bytes of a xorb run come from.
#[derive(Debug)]
pub(crate) enum RunSource {
    File(PathBuf),
    /// A remote store, read one run (at most a 64 MiB xorb) at a time.
    Remote(std::sync::Arc<dyn BlobStore>, stoa_xet::XetHash),
}

/// One run of whole chunks to read from a stored xorb: its source and inclusive byte range.
#[derive(Debug)]
pub(crate) struct XorbRun {
    pub(crate) source: RunSource,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Streams a Xet file rebuilt from xorb runs (the plain-HTTP bridge for git-lfs, curl and
/// older clients): one chunk (at most 128 KiB decompressed) at a time, `skip` bytes dropped at
/// the front, `length` bytes sent.
pub(crate) fn xet_range_body(runs: Vec<XorbRun>, skip: u64, length: u64) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(QUEUE_CHUNKS);
    let runtime = tokio::runtime::Handle::current();
    let reader = std::thread::Builder::new().name("stoa-xet-bridge".to_owned()).spawn(move || {
        let mut skip = skip;
        let mut remaining = length;
        for run in runs {
            let sent = match &run.source {
                RunSource::File(path) => File::open(path)
                    .and_then(|file| stream_run(&file, run.start, run.end, &mut skip, &mut remaining, &sender)),
                RunSource::Remote(blobs, xorb) => {
                    runtime.block_on(fetch_run(blobs.as_ref(), xorb, run.start, run.end)).and_then(|bytes| {
                        stream_run(
                            &InMemoryRun(bytes, run.start),
                            run.start,
                            run.end,
                            &mut skip,
                            &mut remaining,
                            &sender,
                        )
                    })
                }
            };
            if let Err(error) = sent {
                let _ = sender.blocking_send(Err(error));
                return;
            }
            if remaining == 0 || sender.is_closed() {
                return;
            }
        }
    });
    if let Err(error) = reader {
        tracing::error!(error = %error, "could not start a Xet bridge thread");
    }
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Body::from_stream(stream)
}

async fn fetch_run(blobs: &dyn BlobStore, xorb: &stoa_xet::XetHash, start: u64, end: u64) -> io::Result<Bytes> {
    let mut stream = blobs
        .read_range(&BlobKey::Xorb(*xorb), start, end - start + 1)
        .await
        .map_err(|error| io::Error::other(error.to_string()))?;
    let mut bytes = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    Ok(bytes.freeze())
}

/// Positioned reads over a local file or a run already fetched into memory.
trait ReadAt {
    fn read_exact_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for File {
    fn read_exact_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buffer, offset)
    }
}

/// A run's bytes and the xorb offset they start at.
struct InMemoryRun(Bytes, u64);

impl ReadAt for InMemoryRun {
    fn read_exact_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<()> {
        let begin = usize::try_from(offset - self.1).map_err(io::Error::other)?;
        let slice = self.0.get(begin..begin + buffer.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        buffer.copy_from_slice(slice);
        Ok(())
    }
}

/// Decodes the chunks of one run in order and sends the wanted part of each.
fn stream_run(
    source: &impl ReadAt,
    start: u64,
    end: u64,
    skip: &mut u64,
    remaining: &mut u64,
    sender: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let mut position = start;
    while position <= end && *remaining > 0 {
        let mut header = [0u8; 8];
        source.read_exact_at(&mut header, position)?;
        let stored = stoa_xet::stored_chunk_len(header).map_err(io::Error::other)?;
        let mut chunk = vec![0u8; stored];
        source.read_exact_at(&mut chunk, position)?;
        let data = stoa_xet::decode_chunk_run(&chunk).map_err(io::Error::other)?;
        position += stored as u64;
        let begin = usize::try_from((*skip).min(data.len() as u64)).unwrap_or(data.len());
        *skip -= begin as u64;
        let take = usize::try_from((*remaining).min((data.len() - begin) as u64)).unwrap_or(0);
        *remaining -= take as u64;
        if take > 0 && sender.blocking_send(Ok(Bytes::copy_from_slice(&data[begin..begin + take]))).is_err() {
            return Ok(());
        }
    }
    Ok(())
}
