//! Global deduplication answers: a shard holding only xorb sections (chunk hash, length and
//! offset of every chunk), with chunk hashes keyed so that a client learns nothing it could not
//! already match (xet.md §5.5).

use std::io::Cursor;
use std::time::Duration;

use xet_core_structures::merklehash::MerkleHash;
use xet_core_structures::metadata_shard::hash_is_global_dedup_eligible;
use xet_core_structures::metadata_shard::shard_format::MDBShardInfo;
use xet_core_structures::metadata_shard::shard_in_memory::MDBInMemoryShard;
use xet_core_structures::metadata_shard::xorb_structs::{MDBXorbInfo, XorbChunkSequenceEntry, XorbChunkSequenceHeader};

use crate::{XetError, XetHash};

/// Chunks the client asks the server about (besides the first chunk of each file).
#[must_use]
pub fn is_global_dedup_eligible(hash: &XetHash) -> bool {
    hash_is_global_dedup_eligible(&hash.merkle())
}

fn failed(error: impl std::fmt::Display) -> XetError {
    XetError::Shard(format!("could not build a dedup answer: {error}"))
}

/// Builds the keyed answer for `xorbs`, each with its (chunk hash, uncompressed length) list.
pub fn build_dedup_answer(
    xorbs: &[(XetHash, Vec<(XetHash, u64)>)],
    key: &XetHash,
    valid_for: Duration,
) -> Result<Vec<u8>, XetError> {
    let mut shard = MDBInMemoryShard::default();
    for (xorb, chunks) in xorbs {
        let mut entries = Vec::with_capacity(chunks.len());
        let mut offset = 0u64;
        for (chunk, length) in chunks {
            let length32 = u32::try_from(*length).map_err(failed)?;
            let offset32 = u32::try_from(offset).map_err(failed)?;
            entries.push(XorbChunkSequenceEntry::new(chunk.merkle(), length32, offset32));
            offset += length;
        }
        let total = u32::try_from(offset).map_err(failed)?;
        let header = XorbChunkSequenceHeader::new(xorb.merkle(), u32::try_from(entries.len()).map_err(failed)?, total);
        shard.add_xorb_block(MDBXorbInfo { metadata: header, chunks: entries }).map_err(failed)?;
    }
    let full = shard.to_bytes().map_err(failed)?;
    let mut keyed = Vec::new();
    let key: MerkleHash = key.merkle();
    MDBShardInfo::export_as_keyed_shard_streaming(
        &mut Cursor::new(&full),
        &mut keyed,
        key,
        valid_for,
        false,
        false,
        true,
    )
    .map_err(failed)?;
    Ok(keyed)
}
