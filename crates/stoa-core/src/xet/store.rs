//! The metadata the Xet CAS keeps, and the port through which the domain reads and writes it.

use async_trait::async_trait;
use stoa_xet::XetHash;

use crate::ports::StoreError;

/// One chunk of a stored xorb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XorbChunk {
    pub hash: XetHash,
    /// Uncompressed length.
    pub length: u64,
    /// Where the chunk (header included) ends in the stored object.
    pub end_offset: u64,
}

impl XorbChunk {
    /// Encodes a chunk table as stored: 32-byte hash hex-free layout is not exposed by the
    /// format crate, so the hex form is kept (64 bytes) with two little-endian u64.
    #[must_use]
    pub fn encode_table(chunks: &[Self]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(chunks.len() * 80);
        for chunk in chunks {
            bytes.extend_from_slice(chunk.hash.hex().as_bytes());
            bytes.extend_from_slice(&chunk.length.to_le_bytes());
            bytes.extend_from_slice(&chunk.end_offset.to_le_bytes());
        }
        bytes
    }

    /// Decodes what [`Self::encode_table`] wrote; `None` if the bytes are damaged.
    #[must_use]
    pub fn decode_table(bytes: &[u8]) -> Option<Vec<Self>> {
        if !bytes.len().is_multiple_of(80) {
            return None;
        }
        bytes
            .chunks_exact(80)
            .map(|record| {
                let hash = XetHash::parse_hex(std::str::from_utf8(&record[..64]).ok()?)?;
                let length = u64::from_le_bytes(record[64..72].try_into().ok()?);
                let end_offset = u64::from_le_bytes(record[72..80].try_into().ok()?);
                Some(Self { hash, length, end_offset })
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorbRecord {
    pub hash: XetHash,
    pub stored_bytes: u64,
    pub chunks: Vec<XorbChunk>,
}

/// One segment of a registered file, with its offset in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecord {
    pub xorb: XetHash,
    pub chunk_start: u32,
    pub chunk_end: u32,
    pub unpacked_bytes: u64,
    pub file_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredFile {
    pub file_hash: XetHash,
    pub size: u64,
    pub segments: Vec<SegmentRecord>,
    /// The client's SHA-256 claim: creates a grant for the uploading repo only.
    pub sha256: Option<String>,
}

/// What one garbage-collection pass removed (or would remove, in a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub expired_grants: u64,
    pub files: Vec<XetHash>,
    pub xorbs: Vec<XetHash>,
}

#[async_trait]
pub trait XetMetaStore: Send + Sync + std::fmt::Debug {
    async fn xorb(&self, hash: &XetHash) -> Result<Option<XorbRecord>, StoreError>;
    /// Records a stored xorb (idempotent) and that `repo_id`/`user_id` uploaded it.
    async fn record_xorb(&self, record: &XorbRecord, repo_id: &str, user_id: &str, now: i64) -> Result<(), StoreError>;
    /// Whether the repo or the user uploaded the xorb (what a shard may reference).
    async fn xorb_visible(&self, hash: &XetHash, repo_id: &str, user_id: &str) -> Result<bool, StoreError>;
    /// Registers files and the repo's SHA-256 grants in one transaction; returns how many files
    /// were new.
    async fn register_files(&self, repo_id: &str, files: &[RegisteredFile], now: i64) -> Result<usize, StoreError>;
    /// Size and segments of a registered file.
    async fn xet_file(&self, file_hash: &XetHash) -> Result<Option<(u64, Vec<SegmentRecord>)>, StoreError>;
    /// The file a commit to the repo may reference under this SHA-256: granted by a shard
    /// uploaded for the repo, or already committed in it. Returns (file hash, size).
    async fn xet_file_for_sha256(&self, repo_id: &str, sha256: &str) -> Result<Option<(XetHash, u64)>, StoreError>;
    /// The committed Xet file behind an LFS oid of the repo's history.
    async fn repo_xet_file(&self, repo_id: &str, sha256: &str) -> Result<Option<XetHash>, StoreError>;
    /// The committed Xet files behind many LFS oids at once (tree listings), keyed by SHA-256.
    async fn repo_xet_files(
        &self,
        repo_id: &str,
        sha256s: &[String],
    ) -> Result<std::collections::HashMap<String, XetHash>, StoreError>;
    /// Whether the repo may read the file: committed in it, or (for writers) granted to it.
    async fn repo_reads_xet_file(
        &self,
        repo_id: &str,
        file_hash: &XetHash,
        include_grants: bool,
    ) -> Result<bool, StoreError>;
    /// Indexes chunks for global dedup: (chunk hash, a xorb holding it). Existing entries stay.
    async fn record_dedup_chunks(&self, entries: &[(XetHash, XetHash)]) -> Result<(), StoreError>;
    /// The xorb indexed for a chunk, if any.
    async fn dedup_xorb(&self, chunk: &XetHash) -> Result<Option<XetHash>, StoreError>;
    /// Xorbs of the files that use `xorb` (itself first), at most `limit`: a dedup answer covers
    /// the whole file a matched chunk belongs to.
    async fn sibling_xorbs(&self, xorb: &XetHash, limit: u32) -> Result<Vec<XetHash>, StoreError>;
    /// Mark and sweep of the metadata, in one transaction: drops upload grants created at or before
    /// `grants_before` that no commit used, then files that no repo references and no grant
    /// names, then xorbs created at or before `xorbs_before` that no file references. Returns what was
    /// removed; the caller deletes the xorb objects afterwards. With `dry_run`, nothing changes.
    async fn collect_garbage(
        &self,
        grants_before: i64,
        xorbs_before: i64,
        dry_run: bool,
    ) -> Result<GcReport, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_tables_round_trip() {
        let chunks = vec![
            XorbChunk { hash: XetHash::of_chunk(b"a"), length: 10, end_offset: 18 },
            XorbChunk { hash: XetHash::of_chunk(b"b"), length: 65_536, end_offset: 40_000 },
        ];
        assert_eq!(XorbChunk::decode_table(&XorbChunk::encode_table(&chunks)), Some(chunks));
        assert_eq!(XorbChunk::decode_table(&[0; 79]), None);
    }
}
