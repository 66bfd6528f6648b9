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
/// older clients): one chunk (at most 128 KiB decompressed) at a time, `skip` bytes dropped at
/// the front, `length` bytes sent.
pub(crate) fn xet_range_body(runs: Vec<XorbRun>, skip: u64, length: u64) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(QUEUE_CHUNKS);
    let reader = std::thread::Builder::new().name("stoa-xet-bridge".to_owned()).spawn(move || {
        let mut skip = skip;
        let mut remaining = length;
        for run in runs {
            let sent = stream_run(&run, &mut skip, &mut remaining, &sender);
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

/// Decodes the chunks of one run in order and sends the wanted part of each.
fn stream_run(
    run: &XorbRun,
    skip: &mut u64,
    remaining: &mut u64,
    sender: &tokio::sync::mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let file = File::open(&run.path)?;
    let mut position = run.start;
    while position <= run.end && *remaining > 0 {
        let mut header = [0u8; 8];
        file.read_exact_at(&mut header, position)?;
        let stored = stoa_xet::stored_chunk_len(header).map_err(io::Error::other)?;
        let mut chunk = vec![0u8; stored];
        file.read_exact_at(&mut chunk, position)?;
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
