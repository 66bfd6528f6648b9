//! Receiving a byte stream into a file while hashing it, on two threads at once: hashing and
//! writing each cost about as much as the other, so overlapping them keeps an upload close to
//! the cost of one SHA-256 pass.

use std::fs::File;
use std::io::{self, Write};
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

const QUEUE_DEPTH: usize = 32;

/// Streams `body` into `file`, refusing more than `max_size` bytes. The file is fsynced.
pub(crate) async fn receive_into(file: File, body: ByteStream, max_size: u64) -> Result<Received, StorageError> {
    let (hash_tx, hash_rx) = std::sync::mpsc::sync_channel::<Bytes>(QUEUE_DEPTH);
    let (write_tx, write_rx) = std::sync::mpsc::sync_channel::<Bytes>(QUEUE_DEPTH);
    let hasher = thread::Builder::new().name("stoa-hash".to_owned()).spawn(move || {
        let mut hasher = Sha256::new();
        for chunk in hash_rx {
            hasher.update(&chunk);
        }
        <[u8; 32]>::from(hasher.finalize())
    })?;
    let writer = thread::Builder::new().name("stoa-write".to_owned()).spawn(move || -> io::Result<()> {
        let mut file = file;
        for chunk in write_rx {
            file.write_all(&chunk)?;
        }
        file.sync_data()
    })?;
    let fed = feed(body, max_size, &hash_tx, &write_tx).await;
    drop(hash_tx);
    drop(write_tx);
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

async fn feed(
    mut body: ByteStream,
    max_size: u64,
    hash_tx: &std::sync::mpsc::SyncSender<Bytes>,
    write_tx: &std::sync::mpsc::SyncSender<Bytes>,
) -> Result<u64, StorageError> {
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max_size {
            return Err(StorageError::Rejected(format!("the body is larger than the announced {max_size} bytes")));
        }
        // Blocking sends would stall the runtime; hand full queues to a blocking thread.
        let sent = match (hash_tx.try_send(chunk.clone()), write_tx.try_send(chunk.clone())) {
            (Ok(()), Ok(())) => Ok(()),
            (hash_result, write_result) => {
                let (hash_tx, write_tx) = (hash_tx.clone(), write_tx.clone());
                let retry_hash = hash_result.is_err().then(|| chunk.clone());
                let retry_write = write_result.is_err().then(|| chunk.clone());
                tokio::task::spawn_blocking(move || {
                    if let Some(chunk) = retry_hash {
                        hash_tx.send(chunk).map_err(|_| io::Error::other("hash thread stopped"))?;
                    }
                    if let Some(chunk) = retry_write {
                        write_tx.send(chunk).map_err(|_| io::Error::other("write thread stopped"))?;
                    }
                    Ok::<_, io::Error>(())
                })
                .await
                .map_err(|error| io::Error::other(error.to_string()))?
            }
        };
        sent?;
    }
    Ok(size)
}
