//! Receiving a byte stream into a file while hashing it, on two threads at once: hashing and
//! writing each cost about as much as the other, so overlapping them keeps an upload close to
//! the cost of one SHA-256 pass. Network chunks (often 16–64 KiB) are grouped into batches of
//! about 1 MiB before they cross threads, so thread hand-offs stay rare.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use stoa_core::ports::{ByteStream, StorageError};

/// What was received: byte count and SHA-256.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) size: u64,
    pub(crate) sha256: [u8; 32],
}

type Batch = Arc<Vec<Bytes>>;

const BATCH_BYTES: usize = 1024 * 1024;
const QUEUE_BATCHES: usize = 4;

fn hash_batches(batches: Receiver<Batch>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for batch in batches {
        for chunk in batch.iter() {
            hasher.update(chunk);
        }
    }
    hasher.finalize().into()
}

fn write_batches(mut file: File, batches: Receiver<Batch>) -> io::Result<()> {
    for batch in batches {
        for chunk in batch.iter() {
            file.write_all(chunk)?;
        }
    }
    file.sync_data()
}

/// Streams `body` into `file`, refusing more than `max_size` bytes. The file is fsynced.
pub(crate) async fn receive_into(file: File, body: ByteStream, max_size: u64) -> Result<Received, StorageError> {
    let (hash_tx, hash_rx) = sync_channel::<Batch>(QUEUE_BATCHES);
    let (write_tx, write_rx) = sync_channel::<Batch>(QUEUE_BATCHES);
    let hasher = thread::Builder::new().name("stoa-hash".to_owned()).spawn(move || hash_batches(hash_rx))?;
    let writer = thread::Builder::new().name("stoa-write".to_owned()).spawn(move || write_batches(file, write_rx))?;
    let fed = feed(body, max_size, hash_tx, write_tx).await;
    let joined = tokio::task::spawn_blocking(move || {
        let digest = hasher.join().map_err(|_| io::Error::other("hash thread panicked"))?;
        writer.join().map_err(|_| io::Error::other("write thread panicked"))??;
        Ok::<_, io::Error>(digest)
    })
    .await
    .map_err(|error| io::Error::other(error.to_string()))?;
    let size = fed?;
    Ok(Received { size, sha256: joined? })
}

/// Offers a batch without blocking; hands it back when the queue is full.
fn offer(sender: &SyncSender<Batch>, batch: &Batch) -> io::Result<Option<Batch>> {
    match sender.try_send(Arc::clone(batch)) {
        Ok(()) => Ok(None),
        Err(TrySendError::Full(batch)) => Ok(Some(batch)),
        Err(TrySendError::Disconnected(_)) => Err(io::Error::other("a receiving thread stopped")),
    }
}

/// Hands a batch to both threads. A full queue is waited on from a blocking thread, never from
/// the async runtime.
async fn send_batch(batch: Vec<Bytes>, hash_tx: &SyncSender<Batch>, write_tx: &SyncSender<Batch>) -> io::Result<()> {
    let batch = Arc::new(batch);
    let hash_full = offer(hash_tx, &batch)?;
    let write_full = offer(write_tx, &batch)?;
    if hash_full.is_none() && write_full.is_none() {
        return Ok(());
    }
    let (hash_tx, write_tx) = (hash_tx.clone(), write_tx.clone());
    let stopped = |_| io::Error::other("a receiving thread stopped");
    tokio::task::spawn_blocking(move || {
        if let Some(batch) = hash_full {
            hash_tx.send(batch).map_err(stopped)?;
        }
        if let Some(batch) = write_full {
            write_tx.send(batch).map_err(stopped)?;
        }
        Ok(())
    })
    .await
    .map_err(|error| io::Error::other(error.to_string()))?
}

async fn feed(
    mut body: ByteStream,
    max_size: u64,
    hash_tx: SyncSender<Batch>,
    write_tx: SyncSender<Batch>,
) -> Result<u64, StorageError> {
    let mut size = 0u64;
    let mut batch = Vec::new();
    let mut batch_bytes = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max_size {
            return Err(StorageError::Rejected(format!("the body is larger than the announced {max_size} bytes")));
        }
        batch_bytes += chunk.len();
        batch.push(chunk);
        if batch_bytes >= BATCH_BYTES {
            send_batch(std::mem::take(&mut batch), &hash_tx, &write_tx).await?;
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        send_batch(batch, &hash_tx, &write_tx).await?;
    }
    Ok(size)
}
