//! Verifying an uploaded xorb in one pass: every chunk is decompressed with its output bounded by
//! the length its header announces, hashed, and the xorb hash rebuilt from those hashes. The
//! stored form is the client's chunks followed by a footer built from what was computed, never
//! from what the client claimed.

use std::io::Read;

use xet_core_structures::merklehash::{MerkleHash, compute_data_hash, xorb_hash};
use xet_core_structures::xorb_object::byte_grouping::bg4::bg4_regroup;
use xet_core_structures::xorb_object::{CompressionScheme, XorbObject, XorbObjectInfoV1, parse_chunk_header};

use crate::{XetError, XetHash};

/// Largest xorb body accepted. The client aims at 64 MiB of chunk data but was seen sending
/// 67,112,601 bytes; 128 MiB leaves room without admitting anything unbounded.
pub const MAX_XORB_BYTES: usize = 128 * 1024 * 1024;
/// Upper bound on chunks per xorb (the client builds at most 8,192).
const MAX_CHUNKS: usize = 16 * 1024;
const CHUNK_HEADER_BYTES: usize = 8;

/// A xorb whose content matches its name.
#[derive(Debug)]
pub struct VerifiedXorb {
    pub hash: XetHash,
    /// Chunks then footer: what is written to the object store.
    pub stored: Vec<u8>,
    /// (chunk hash, uncompressed length) of every chunk, in order.
    pub chunks: Vec<(XetHash, u64)>,
    /// Byte offset where each chunk ends in `stored` (chunk `i` spans `ends[i-1]..ends[i]`).
    pub chunk_ends: Vec<u64>,
}

fn invalid(message: impl Into<String>) -> XetError {
    XetError::Xorb(message.into())
}

fn inflate(payload: &[u8], expected: usize) -> Result<Vec<u8>, XetError> {
    let mut output = Vec::with_capacity(expected);
    // One byte more than announced is enough to detect a lie without inflating a bomb.
    lz4_flex::frame::FrameDecoder::new(payload)
        .take(expected as u64 + 1)
        .read_to_end(&mut output)
        .map_err(|error| invalid(format!("a chunk does not decompress: {error}")))?;
    Ok(output)
}

/// Reads the chunk starting at `position`: its decompressed bytes (bounded by, and checked
/// against, the length its header announces) and where the next chunk starts.
fn read_chunk(body: &[u8], position: usize) -> Result<(Vec<u8>, usize), XetError> {
    let header_bytes: [u8; CHUNK_HEADER_BYTES] = body
        .get(position..position + CHUNK_HEADER_BYTES)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| invalid("truncated chunk header"))?;
    let header = parse_chunk_header(header_bytes).map_err(|error| invalid(error.to_string()))?;
    let compressed = header.get_compressed_length() as usize;
    let expected = header.get_uncompressed_length() as usize;
    let start = position + CHUNK_HEADER_BYTES;
    let payload = body.get(start..start + compressed).ok_or_else(|| invalid("truncated chunk"))?;
    let scheme = header.get_compression_scheme().map_err(|error| invalid(error.to_string()))?;
    let data = match scheme {
        CompressionScheme::None => payload.to_vec(),
        CompressionScheme::LZ4 => inflate(payload, expected)?,
        CompressionScheme::ByteGrouping4LZ4 => bg4_regroup(&inflate(payload, expected)?),
        CompressionScheme::Auto => return Err(invalid("a stored chunk cannot use the 'auto' scheme")),
    };
    if data.len() != expected {
        return Err(invalid(format!("the header announces {expected} bytes, the data has {}", data.len())));
    }
    Ok((data, start + compressed))
}

/// Length of a stored chunk (header and payload) from its 8-byte header, so that a reader can
/// fetch one chunk at a time.
pub fn stored_chunk_len(header: [u8; CHUNK_HEADER_BYTES]) -> Result<usize, XetError> {
    let header = parse_chunk_header(header).map_err(|error| invalid(error.to_string()))?;
    Ok(CHUNK_HEADER_BYTES + header.get_compressed_length() as usize)
}

/// Decompresses a run of whole chunks read from a stored xorb (the plain-HTTP bridge).
pub fn decode_chunk_run(bytes: &[u8]) -> Result<Vec<u8>, XetError> {
    let mut output = Vec::new();
    let mut position = 0;
    while position < bytes.len() {
        let (data, next) = read_chunk(bytes, position)?;
        output.extend_from_slice(&data);
        position = next;
    }
    Ok(output)
}

/// Verifies `body` (chunks only, as hf_xet uploads it) against the hash in its URL.
pub fn verify_xorb(body: &[u8], claimed: &XetHash) -> Result<VerifiedXorb, XetError> {
    if body.len() > MAX_XORB_BYTES {
        return Err(invalid(format!("larger than {MAX_XORB_BYTES} bytes")));
    }
    let mut info = XorbObjectInfoV1::default();
    let mut chunks: Vec<(MerkleHash, u64)> = Vec::new();
    let mut chunk_ends = Vec::new();
    let mut position = 0usize;
    let mut unpacked = 0u64;
    while position < body.len() {
        let (data, next) = read_chunk(body, position).map_err(|error| match error {
            XetError::Xorb(message) => invalid(format!("chunk {}: {message}", chunks.len())),
            other => other,
        })?;
        let expected = data.len();
        let hash = compute_data_hash(&data);
        position = next;
        unpacked += expected as u64;
        chunks.push((hash, expected as u64));
        chunk_ends.push(position as u64);
        info.chunk_hashes.push(hash);
        info.chunk_boundary_offsets.push(u32::try_from(position).map_err(|_| invalid("xorb too large"))?);
        info.unpacked_chunk_offsets.push(u32::try_from(unpacked).map_err(|_| invalid("xorb too large"))?);
        if chunks.len() > MAX_CHUNKS {
            return Err(invalid(format!("more than {MAX_CHUNKS} chunks")));
        }
    }
    if chunks.is_empty() {
        return Err(invalid("no chunks"));
    }
    let computed = xorb_hash(&chunks);
    if computed != claimed.merkle() {
        return Err(XetError::XorbHashMismatch { claimed: claimed.hex(), computed: computed.hex() });
    }
    info.xorb_hash = computed;
    info.num_chunks = u32::try_from(chunks.len()).map_err(|_| invalid("too many chunks"))?;
    info.fill_in_boundary_offsets();
    let mut stored = Vec::with_capacity(position + 64 * 1024);
    stored.extend_from_slice(&body[..position]);
    XorbObject::serialize_given_info(&mut stored, info).map_err(|error| invalid(error.to_string()))?;
    Ok(VerifiedXorb {
        hash: XetHash::from_merkle(computed),
        stored,
        chunks: chunks.into_iter().map(|(hash, len)| (XetHash::from_merkle(hash), len)).collect(),
        chunk_ends,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use bytes::Bytes;
    use xet_core_structures::xorb_object::{
        Chunk, RawXorbData, SerializedXorbObject, XorbChunkHeader, lz4_compress_from_slice, write_chunk_header,
    };

    use super::*;

    /// Deterministic pseudo-random bytes.
    pub(crate) fn sample(seed: u64, length: usize) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut bytes = Vec::with_capacity(length + 8);
        while bytes.len() < length {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        bytes.truncate(length);
        bytes
    }

    /// Fixed-size chunks stand in for the content-defined chunker (which is not in the crate).
    pub(crate) fn client_xorb(data: &[u8], policy: &str) -> (XetHash, Vec<u8>, Vec<Chunk>) {
        let chunks: Vec<Chunk> =
            data.chunks(48 * 1024).map(|piece| Chunk::new(Bytes::copy_from_slice(piece))).collect();
        let raw = RawXorbData::from_chunks(&chunks, vec![0]);
        let hash = XetHash::from_merkle(raw.hash());
        let serialized = SerializedXorbObject::from_xorb(raw, false, policy, 0).expect("serializes");
        (hash, serialized.serialized_data, chunks)
    }

    #[test]
    fn client_xorbs_verify_under_every_compression() {
        let data = sample(7, 700_000);
        for policy in ["none", "lz4", "bg4-lz4", "auto"] {
            let (hash, body, chunks) = client_xorb(&data, policy);
            let verified = verify_xorb(&body, &hash).expect("verifies");
            assert_eq!(verified.hash, hash);
            assert_eq!(verified.chunks.len(), chunks.len());
            assert_eq!(verified.chunks.iter().map(|(_, len)| len).sum::<u64>(), 700_000);
            assert!(verified.stored.len() > body.len(), "a footer is appended");
            assert_eq!(&verified.stored[..body.len()], &body[..]);
        }
    }

    #[test]
    fn bad_xorbs_are_refused() {
        let (hash, body, _) = client_xorb(&sample(3, 200_000), "lz4");
        let other = XetHash::of_chunk(b"other");
        assert!(matches!(verify_xorb(&body, &other), Err(XetError::XorbHashMismatch { .. })));
        assert!(verify_xorb(&body[..body.len() - 10], &hash).is_err(), "truncated");
        let mut flipped = body.clone();
        flipped[200] ^= 1;
        assert!(verify_xorb(&flipped, &hash).is_err(), "bit flip");
        assert!(verify_xorb(&[], &hash).is_err(), "empty");
        let mut trailing = body;
        trailing.extend_from_slice(b"XETBLOB and then garbage");
        assert!(verify_xorb(&trailing, &hash).is_err(), "trailing bytes");

        // A header that lies about the uncompressed length.
        let payload = sample(9, 4000);
        let mut lying = Vec::new();
        write_chunk_header(&mut lying, &XorbChunkHeader::new(CompressionScheme::None, 4000, 1234)).expect("writes");
        lying.extend_from_slice(&payload);
        let lying_hash = XetHash::of_file(&[]);
        assert!(verify_xorb(&lying, &lying_hash).is_err());

        // An LZ4 bomb: the header says 100 bytes, the frame inflates to 32 MiB.
        let bomb = lz4_compress_from_slice(&vec![0u8; 32 * 1024 * 1024]).expect("compresses");
        let mut bomb_xorb = Vec::new();
        let header = XorbChunkHeader::new(CompressionScheme::LZ4, u32::try_from(bomb.len()).expect("small"), 100);
        write_chunk_header(&mut bomb_xorb, &header).expect("writes");
        bomb_xorb.extend_from_slice(&bomb);
        let started = std::time::Instant::now();
        assert!(verify_xorb(&bomb_xorb, &hash).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "refused without inflating");
    }
}
