//! The Xet CAS in the domain: tokens, verified xorb uploads, shard registration (the SHA-256 →
//! Xet file mapping, per repo), and reconstruction plans. Design: `docs/design/xet-plan.md`.

pub mod plan;
pub mod store;
pub mod token;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use stoa_xet::{XetHash, parse_shard, verify_xorb};

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::Repo;
use plan::{ReconstructionPlan, plan_range};
use store::{GcReport, RegisteredFile, SegmentRecord, XorbChunk, XorbRecord};
use token::CasScope;

/// Xorbs described in one global-dedup answer (the files around the matched chunk).
const MAX_DEDUP_XORBS: u32 = 64;

/// A CAS token and when it expires.
#[derive(Debug, Clone)]
pub struct XetToken {
    pub token: String,
    pub expires: i64,
}

/// A plan with the file size it was made for.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub size: u64,
    pub plan: ReconstructionPlan,
}

#[expect(clippy::needless_pass_by_value, reason = "shaped for map_err")]
fn bad_xet(error: stoa_xet::XetError) -> CoreError {
    CoreError::BadRequest(error.to_string())
}

impl Hub {
    /// Issues a CAS token for a repo the caller may read (or write, for uploads).
    pub async fn xet_token(&self, principal: &Principal, repo: &Repo, write: bool) -> CoreResult<XetToken> {
        if write {
            principal.check_write(repo)?;
        } else {
            self.check_content_read(principal, repo).await?;
        }
        let expires = stoa_types::time::now_unix() + self.settings.xet_token_ttl_seconds;
        let scope = CasScope { repo_id: repo.id.clone(), user_id: principal.user().map(|user| user.id.clone()), write };
        Ok(XetToken { token: token::issue(&self.signer, &scope, expires), expires })
    }

    /// Checks a CAS token. The repo must still exist.
    pub fn cas_scope(&self, bearer: Option<&str>) -> CoreResult<CasScope> {
        let now = stoa_types::time::now_unix();
        bearer
            .and_then(|value| token::verify(&self.signer, value, now))
            .ok_or_else(|| CoreError::Unauthenticated("missing, invalid or expired Xet token".to_owned()))
    }

    fn writer(scope: &CasScope) -> CoreResult<&str> {
        match (&scope.user_id, scope.write) {
            (Some(user), true) => Ok(user),
            _ => Err(CoreError::Forbidden("this Xet token is read-only".to_owned())),
        }
    }

    /// Receives a xorb: verified against its name before anything is stored. Returns whether it
    /// was new.
    pub async fn receive_xorb(&self, scope: &CasScope, hash: &XetHash, body: Vec<u8>) -> CoreResult<bool> {
        let user = Self::writer(scope)?.to_owned();
        let claimed = *hash;
        let verified = tokio::task::spawn_blocking(move || verify_xorb(&body, &claimed))
            .await
            .map_err(|error| CoreError::Internal(error.to_string()))?
            .map_err(bad_xet)?;
        let now = stoa_types::time::now_unix();
        let known = self.meta.xorb(hash).await?;
        let inserted = known.is_none();
        let record = match known {
            Some(record) => record,
            None => {
                let chunks = verified
                    .chunks
                    .iter()
                    .zip(&verified.chunk_ends)
                    .map(|((chunk_hash, length), end)| XorbChunk {
                        hash: *chunk_hash,
                        length: *length,
                        end_offset: *end,
                    })
                    .collect();
                let record = XorbRecord { hash: *hash, stored_bytes: verified.stored.len() as u64, chunks };
                self.blobs.put_xorb(hash, verified.stored).await?;
                record
            }
        };
        self.meta.record_xorb(&record, &scope.repo_id, &user, now).await?;
        Ok(inserted)
    }

    /// Registers the files of a shard. Every segment is checked against the xorbs Stoa stored
    /// (never against the client's own xorb section), and every file hash is recomputed.
    pub async fn register_shard(&self, scope: &CasScope, body: &[u8]) -> CoreResult<usize> {
        let user = Self::writer(scope)?.to_owned();
        let shard = parse_shard(body).await.map_err(bad_xet)?;
        let mut xorbs: HashMap<XetHash, Vec<XorbChunk>> = HashMap::new();
        let mut registered = Vec::with_capacity(shard.files.len());
        for file in shard.files {
            let mut segments = Vec::with_capacity(file.segments.len());
            let mut all_chunks = Vec::new();
            let mut offset = 0u64;
            for segment in &file.segments {
                if let Entry::Vacant(slot) = xorbs.entry(segment.xorb) {
                    let Some(record) = self.meta.xorb(&segment.xorb).await? else {
                        return Err(CoreError::bad_request(format!("xorb {} is not stored", segment.xorb)));
                    };
                    if !self.meta.xorb_visible(&segment.xorb, &scope.repo_id, &user).await? {
                        return Err(CoreError::Forbidden(format!("xorb {} was not uploaded by you", segment.xorb)));
                    }
                    slot.insert(record.chunks);
                }
                let chunks: Vec<(XetHash, u64)> =
                    xorbs[&segment.xorb].iter().map(|chunk| (chunk.hash, chunk.length)).collect();
                if !segment.matches(&chunks) {
                    return Err(CoreError::bad_request(format!(
                        "file {}: a segment does not match the chunks of xorb {}",
                        file.file_hash, segment.xorb
                    )));
                }
                all_chunks.extend_from_slice(&chunks[segment.chunk_start as usize..segment.chunk_end as usize]);
                segments.push(SegmentRecord {
                    xorb: segment.xorb,
                    chunk_start: segment.chunk_start,
                    chunk_end: segment.chunk_end,
                    unpacked_bytes: segment.unpacked_bytes,
                    file_offset: offset,
                });
                offset += segment.unpacked_bytes;
            }
            if XetHash::of_file(&all_chunks) != file.file_hash {
                return Err(CoreError::bad_request(format!(
                    "file {}: the file hash does not match its chunks",
                    file.file_hash
                )));
            }
            registered.push(RegisteredFile { file_hash: file.file_hash, size: offset, segments, sha256: file.sha256 });
        }
        let now = stoa_types::time::now_unix();
        let new_files = self.meta.register_files(&scope.repo_id, &registered, now).await?;
        // Index what later clients ask about: each file's first chunk and the eligible chunks.
        let mut dedup = Vec::new();
        for file in &registered {
            if let Some(first) = file.segments.first()
                && let Some(chunk) = xorbs.get(&first.xorb).and_then(|chunks| chunks.get(first.chunk_start as usize))
            {
                dedup.push((chunk.hash, first.xorb));
            }
        }
        for (xorb, chunks) in &xorbs {
            let eligible = chunks.iter().filter(|chunk| stoa_xet::is_global_dedup_eligible(&chunk.hash));
            dedup.extend(eligible.map(|chunk| (chunk.hash, *xorb)));
        }
        self.meta.record_dedup_chunks(&dedup).await?;
        Ok(new_files)
    }

    /// The global-dedup answer for a chunk: a keyed shard describing the xorb that holds it, if
    /// that xorb was uploaded through this repo or by this user; `None` means "no match".
    pub async fn dedup_answer(&self, scope: &CasScope, chunk: &XetHash) -> CoreResult<Option<Vec<u8>>> {
        let user = Self::writer(scope)?.to_owned();
        let Some(xorb) = self.meta.dedup_xorb(chunk).await? else { return Ok(None) };
        if !self.meta.xorb_visible(&xorb, &scope.repo_id, &user).await? {
            return Ok(None);
        }
        let mut described = Vec::new();
        for candidate in self.meta.sibling_xorbs(&xorb, MAX_DEDUP_XORBS).await? {
            if candidate != xorb && !self.meta.xorb_visible(&candidate, &scope.repo_id, &user).await? {
                continue;
            }
            if let Some(record) = self.meta.xorb(&candidate).await? {
                let chunks: Vec<(XetHash, u64)> =
                    record.chunks.iter().map(|chunk| (chunk.hash, chunk.length)).collect();
                described.push((candidate, chunks));
            }
        }
        if described.is_empty() {
            return Ok(None);
        }
        // A key that changes daily, derived from the instance key: raw chunk hashes never leave.
        let day = stoa_types::time::now_unix().div_euclid(86_400);
        let key_hex = self.signer.sign("xet-dedup-key", day);
        let key = XetHash::parse_hex(&key_hex[..64]).unwrap_or_default();
        let answer = stoa_xet::build_dedup_answer(&described, &key, std::time::Duration::from_secs(86_400))
            .map_err(|error| CoreError::Internal(error.to_string()))?;
        Ok(Some(answer))
    }

    /// Plans bytes `start..=end` (clamped) of a file the token's repo may read.
    pub async fn reconstruction(
        &self,
        scope: &CasScope,
        file_hash: &XetHash,
        range: Option<(u64, Option<u64>)>,
    ) -> CoreResult<FilePlan> {
        if !self.meta.repo_reads_xet_file(&scope.repo_id, file_hash, scope.write).await? {
            return Err(CoreError::EntryNotFound("Entry not found".to_owned()));
        }
        if let Some(hold) = self.meta.quarantined_xet_file(&scope.repo_id, &file_hash.hex()).await? {
            return Err(CoreError::FileQuarantined(format!("{} is quarantined: {}", hold.path, hold.reason)));
        }
        self.plan_file(file_hash, range).await
    }

    /// Plans a file already known to be readable (the plain-HTTP bridge checks access itself).
    pub async fn plan_file(&self, file_hash: &XetHash, range: Option<(u64, Option<u64>)>) -> CoreResult<FilePlan> {
        let Some((size, segments)) = self.meta.xet_file(file_hash).await? else {
            return Err(CoreError::EntryNotFound("Entry not found".to_owned()));
        };
        let (start, end) = match range {
            None if size == 0 => {
                return Ok(FilePlan {
                    size,
                    plan: ReconstructionPlan { offset_into_first_range: 0, terms: Vec::new() },
                });
            }
            None => (0, size - 1),
            Some((start, _)) if start >= size => return Err(CoreError::RangeNotSatisfiable { size }),
            Some((start, end)) => (start, end.unwrap_or(u64::MAX).min(size - 1)),
        };
        let mut xorbs = HashMap::new();
        for segment in &segments {
            if let Entry::Vacant(slot) = xorbs.entry(segment.xorb) {
                let record = self.meta.xorb(&segment.xorb).await?.ok_or_else(|| {
                    CoreError::Internal(format!("xorb {} of a registered file is missing", segment.xorb))
                })?;
                slot.insert(record.chunks);
            }
        }
        let plan = plan_range(&segments, &xorbs, start, end).map_err(CoreError::Internal)?;
        Ok(FilePlan { size, plan })
    }

    /// The Xet file behind an LFS oid of a repo (by internal id), for signed LFS download URLs.
    pub async fn xet_file_by_repo_id(&self, repo_id: &str, sha256: &str) -> CoreResult<Option<(XetHash, u64)>> {
        let Some(file_hash) = self.meta.repo_xet_file(repo_id, sha256).await? else { return Ok(None) };
        let size = self.meta.xet_file(&file_hash).await?.map(|(size, _)| size).unwrap_or_default();
        Ok(Some((file_hash, size)))
    }

    /// The Xet files behind many LFS oids of the repo's history, in one lookup.
    pub async fn xet_files_of(&self, repo: &Repo, sha256s: &[String]) -> CoreResult<HashMap<String, XetHash>> {
        if sha256s.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.meta.repo_xet_files(&repo.id, sha256s).await?)
    }

    /// The Xet file behind an LFS oid of the repo's history, if it arrived through Xet.
    pub async fn xet_file_of(&self, repo: &Repo, sha256: &str) -> CoreResult<Option<XetHash>> {
        Ok(self.meta.repo_xet_file(&repo.id, sha256).await?)
    }
}

/// Garbage collection of Xet data: a metadata sweep (one transaction, see
/// [`store::XetMetaStore::collect_garbage`]) and then removal of the swept xorb objects. Xorbs
/// younger than `grace_seconds` are kept whether referenced or not: an upload whose shard has
/// not arrived yet must survive. Upload grants no commit used expire after `grant_ttl_seconds`.
pub async fn collect_garbage(
    meta: &dyn crate::ports::MetaStore,
    blobs: &dyn crate::ports::BlobStore,
    now: i64,
    grace_seconds: i64,
    grant_ttl_seconds: i64,
    dry_run: bool,
) -> CoreResult<GcReport> {
    let report = meta.collect_garbage(now - grant_ttl_seconds, now - grace_seconds, dry_run).await?;
    if !dry_run {
        for xorb in &report.xorbs {
            blobs.delete_xorb(xorb).await?;
        }
    }
    Ok(report)
}
