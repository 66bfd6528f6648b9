//! Parsing an uploaded shard with a size budget, into the files it registers: for each file its
//! Xet hash, the SHA-256 the client computed (the metadata extension), and its segments (chunk
//! ranges of xorbs) with their verification hashes.

use futures_util::io::Cursor;
use xet_core_structures::merklehash::MerkleHash;
use xet_core_structures::metadata_shard::chunk_verification::range_hash_from_chunks;
use xet_core_structures::metadata_shard::streaming_shard::MDBMinimalShard;

use crate::{XetError, XetHash};

/// The only shard format version the client writes.
const SHARD_VERSION: u64 = 2;
/// Shards describe files, not data; a few MiB covers thousands of files.
pub const MAX_SHARD_BYTES: usize = 64 * 1024 * 1024;

/// One run of chunks `[chunk_start, chunk_end)` of a xorb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSegment {
    pub xorb: XetHash,
    pub chunk_start: u32,
    pub chunk_end: u32,
    pub unpacked_bytes: u64,
    /// Proof that the uploader knew the chunk hashes of this run.
    pub verification: Option<XetHash>,
}

impl ShardSegment {
    /// Checks the verification hash and the byte count against the xorb's real chunks.
    #[must_use]
    pub fn matches(&self, xorb_chunks: &[(XetHash, u64)]) -> bool {
        let (start, end) = (self.chunk_start as usize, self.chunk_end as usize);
        let Some(run) = xorb_chunks.get(start..end).filter(|run| !run.is_empty()) else {
            return false;
        };
        let bytes: u64 = run.iter().map(|(_, len)| len).sum();
        let hashes: Vec<MerkleHash> = run.iter().map(|(hash, _)| hash.merkle()).collect();
        let verified =
            self.verification.is_some_and(|proof| XetHash::from_merkle(range_hash_from_chunks(&hashes)) == proof);
        verified && bytes == self.unpacked_bytes
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardFile {
    pub file_hash: XetHash,
    /// Lower-case hex SHA-256 of the whole file, when the client sent the metadata extension.
    pub sha256: Option<String>,
    pub segments: Vec<ShardSegment>,
}

impl ShardFile {
    #[must_use]
    pub fn size(&self) -> u64 {
        self.segments.iter().map(|segment| segment.unpacked_bytes).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedShard {
    pub files: Vec<ShardFile>,
}

fn invalid(message: impl Into<String>) -> XetError {
    XetError::Shard(message.into())
}

/// Parses an uploaded shard (header and sections, no footer). Every allocation is bounded by
/// the body length.
pub async fn parse_shard(bytes: &[u8]) -> Result<ParsedShard, XetError> {
    if bytes.len() > MAX_SHARD_BYTES {
        return Err(invalid(format!("larger than {MAX_SHARD_BYTES} bytes")));
    }
    let version = bytes
        .get(32..40)
        .and_then(|field| field.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| invalid("truncated header"))?;
    if version != SHARD_VERSION {
        return Err(invalid(format!("unsupported shard version {version}")));
    }
    let mut reader = Cursor::new(bytes);
    let shard = MDBMinimalShard::from_reader_async(&mut reader, true, false, Some(bytes.len() as u64))
        .await
        .map_err(|error| invalid(error.to_string()))?;
    let mut files = Vec::with_capacity(shard.num_files());
    for index in 0..shard.num_files() {
        let view = shard.file(index).ok_or_else(|| invalid("file section out of range"))?;
        let has_verification = view.contains_verification();
        let segments = (0..view.num_entries())
            .map(|entry_index| {
                let entry = view.entry(entry_index);
                ShardSegment {
                    xorb: XetHash::from_merkle(entry.xorb_hash),
                    chunk_start: entry.chunk_index_start,
                    chunk_end: entry.chunk_index_end,
                    unpacked_bytes: u64::from(entry.unpacked_segment_bytes),
                    verification: has_verification
                        .then(|| XetHash::from_merkle(view.verification(entry_index).range_hash)),
                }
            })
            .collect();
        let sha256 = view.metadata_ext().map(|extension| extension.sha256.hex());
        files.push(ShardFile { file_hash: XetHash::from_merkle(view.file_hash()), sha256, segments });
    }
    Ok(ParsedShard { files })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor as StdCursor;

    use xet_core_structures::metadata_shard::file_structs::{
        FileDataSequenceEntry, FileDataSequenceHeader, FileMetadataExt, FileVerificationEntry, MDBFileInfo,
    };
    use xet_core_structures::metadata_shard::shard_format::MDBShardInfo;
    use xet_core_structures::metadata_shard::shard_in_memory::MDBInMemoryShard;
    use xet_core_structures::xorb_object::RawXorbData;

    use super::*;
    use crate::verify_xorb;
    use crate::xorb::tests::{client_xorb, sample};

    /// Builds the upload form of a one-file shard the way the client does.
    fn client_shard(data: &[u8], sha256_hex: &str) -> (Vec<u8>, XetHash, Vec<(XetHash, u64)>) {
        let (xorb_hash, body, chunks) = client_xorb(data, "lz4");
        let verified = verify_xorb(&body, &xorb_hash).expect("verifies");
        let raw = RawXorbData::from_chunks(&chunks, vec![0]);
        let list: Vec<(MerkleHash, u64)> = chunks.iter().map(|chunk| (chunk.hash, chunk.data.len() as u64)).collect();
        let file_hash = xet_core_structures::merklehash::file_hash(&list);
        let proof = range_hash_from_chunks(&list.iter().map(|(hash, _)| *hash).collect::<Vec<_>>());
        let mut shard = MDBInMemoryShard::default();
        shard.add_xorb_block(raw.xorb_info).expect("adds xorb");
        let size = u32::try_from(data.len()).expect("small");
        let count = u32::try_from(list.len()).expect("small");
        shard
            .add_file_reconstruction_info(MDBFileInfo {
                metadata: FileDataSequenceHeader::new(file_hash, 1u32, true, true),
                segments: vec![FileDataSequenceEntry::new(xorb_hash.merkle(), size, 0u32, count)],
                verification: vec![FileVerificationEntry::new(proof)],
                metadata_ext: Some(FileMetadataExt::new(MerkleHash::from_hex(sha256_hex).expect("hex"))),
            })
            .expect("adds file");
        let full = shard.to_bytes().expect("serializes");
        let info = MDBShardInfo::load_from_reader(&mut StdCursor::new(&full)).expect("loads");
        // The client uploads header and sections only, with the footer size zeroed.
        let cut = usize::try_from(info.metadata.file_lookup_offset).expect("fits");
        let mut upload = full[..cut].to_vec();
        upload[40..48].copy_from_slice(&0u64.to_le_bytes());
        (upload, XetHash::from_merkle(file_hash), verified.chunks)
    }

    #[tokio::test]
    async fn a_client_shard_parses_into_files_and_segments() {
        let data = sample(5, 300_000);
        let sha = "ab".repeat(32);
        let (upload, file_hash, chunks) = client_shard(&data, &sha);
        let parsed = parse_shard(&upload).await.expect("parses");
        assert_eq!(parsed.files.len(), 1);
        let file = &parsed.files[0];
        assert_eq!(file.file_hash, file_hash);
        assert_eq!(file.sha256.as_deref(), Some(sha.as_str()));
        assert_eq!(file.size(), 300_000);
        assert!(file.segments[0].matches(&chunks), "verification entries match the real chunks");
        assert!(!file.segments[0].matches(&chunks[1..]), "a shifted chunk list does not match");
        assert_eq!(XetHash::of_file(&chunks), file_hash, "the file hash is recomputed from chunks");
    }

    #[tokio::test]
    async fn hostile_shards_are_refused_without_large_allocations() {
        assert!(parse_shard(&[]).await.is_err());
        assert!(parse_shard(&[0u8; 100]).await.is_err());
        let (mut upload, _, _) = client_shard(&sample(1, 100_000), &"cd".repeat(32));
        // Claim an enormous entry count in the first file header (hash, flags, then the count).
        upload[48 + 36..48 + 40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_shard(&upload).await.is_err());
        let (mut wrong_version, _, _) = client_shard(&sample(2, 100_000), &"ef".repeat(32));
        wrong_version[32..40].copy_from_slice(&9u64.to_le_bytes());
        assert!(parse_shard(&wrong_version).await.is_err());
    }
}
