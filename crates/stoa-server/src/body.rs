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
