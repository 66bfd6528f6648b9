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

/// One run of whole chunks to read from a stored xorb: its file and inclusive byte range.
#[derive(Debug)]
pub(crate) struct XorbRun {
    pub(crate) path: PathBuf,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Streams a Xet file rebuilt from xorb runs (the plain-HTTP bridge for git-lfs, curl and
/// older clients): decompressed run by run, `skip` bytes dropped at the front, `length` sent.
pub(crate) fn xet_range_body(runs: Vec<XorbRun>, skip: u64, length: u64) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(QUEUE_CHUNKS);
    let reader = std::thread::Builder::new().name("stoa-xet-bridge".to_owned()).spawn(move || {
        let mut to_skip = skip;
        let mut remaining = length;
        for run in runs {
            let decoded = File::open(&run.path).and_then(|file| {
                let size = usize::try_from(run.end - run.start + 1).map_err(io::Error::other)?;
                let mut stored = vec![0u8; size];
                file.read_exact_at(&mut stored, run.start)?;
                stoa_xet::decode_chunk_run(&stored).map_err(io::Error::other)
            });
            let data = match decoded {
                Ok(data) => data,
                Err(error) => {
                    let _ = sender.blocking_send(Err(error));
                    return;
                }
            };
            let begin = usize::try_from(to_skip.min(data.len() as u64)).unwrap_or(data.len());
            to_skip -= begin as u64;
            let take = usize::try_from(remaining.min((data.len() - begin) as u64)).unwrap_or(0);
            remaining -= take as u64;
            for piece in data[begin..begin + take].chunks(CHUNK_BYTES) {
                if sender.blocking_send(Ok(Bytes::copy_from_slice(piece))).is_err() {
                    return;
                }
            }
            if remaining == 0 {
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
