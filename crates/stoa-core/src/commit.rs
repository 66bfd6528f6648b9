//! `create_commit`: turns the ndjson operations of a commit into one atomic git commit.
//!
//! Order of effects, chosen so a process killed at any point leaves every repo consistent:
//! 1. file contents are decoded and stored (LFS objects are content-addressed, so a stored
//!    object that no commit references is harmless garbage);
//! 2. the git objects of the commit are written, unreferenced;
//! 3. a commit intent is recorded in the metadata store;
//! 4. the branch ref moves by compare-and-swap: this is the commit point;
//! 5. the intent is applied (LFS references, last-modified, tags) and removed.
//!
//! Steps 3 to 5 run under the repo's ref lock (see [`crate::coordination`]), which serialises
//! ref updates across nodes. [`Hub::recover_commit_intents`] (at startup, then periodically)
//! finishes step 5 for intents whose ref moved and drops the others, skipping locked repos.

use std::io::{BufReader, Read, Write};

use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use stoa_types::RepoPath;
use stoa_types::wire::{CommitDeleteLine, CommitFileLine, CommitHeader, CommitLfsFileLine};

use crate::access::Principal;
use crate::cards;
use crate::collab::discussions::activity;
use crate::collab::store::DiscussionStatus;
use crate::error::{CoreError, CoreResult};
use crate::gitattributes::{LfsRules, lfs_rule_for};
use crate::hub::Hub;
use crate::lfs::{LfsPointer, Sha256Oid};
use crate::ndjson::{Spool, SpooledLine};
use crate::ports::{BlobSource, CommitIntent, EntryKind, GitError, ObjectId, Repo, TreeChange};
use crate::repos::signature_of;
use crate::tokens::new_object_id;

/// The operations of one commit, validated.
#[derive(Debug)]
pub struct CommitOperations {
    pub header: CommitHeader,
    pub operations: Vec<Operation>,
}

#[derive(Debug)]
pub enum Operation {
    AddInline { path: RepoPath, content: InlineContent },
    AddLfs { path: RepoPath, oid: Sha256Oid, size: Option<u64> },
    DeleteFile { path: RepoPath },
    DeleteFolder { path: RepoPath },
}

/// Content of a `file` line: in memory when short, spooled to disk when long.
#[derive(Debug)]
pub enum InlineContent {
    Base64Text(String),
    Utf8Text(String),
    Base64Spool(Spool),
    Utf8Spool(Spool),
}

#[derive(Debug, Clone)]
pub struct CommitResult {
    pub commit: ObjectId,
    /// False when the operations changed nothing (the head is returned, nothing is written).
    pub changed: bool,
    /// The pull request opened for this commit (`create_pr`).
    pub pull_request: Option<u64>,
}

fn field<T: serde::de::DeserializeOwned>(line: &SpooledLine, key: &str) -> CoreResult<T> {
    serde_json::from_value(line.value["value"].clone())
        .map_err(|error| CoreError::bad_request(format!("invalid '{key}' line: {error}")))
}

/// Validates parsed ndjson lines into operations. Nothing is stored yet.
pub fn parse_operations(lines: Vec<SpooledLine>) -> CoreResult<CommitOperations> {
    let mut lines = lines.into_iter();
    let first = lines.next().ok_or_else(|| CoreError::bad_request("the commit body is empty"))?;
    if first.value["key"] != "header" {
        return Err(CoreError::bad_request("the first line of a commit must be its header"));
    }
    let header: CommitHeader = field(&first, "header")?;
    if header.summary.trim().is_empty() {
        return Err(CoreError::bad_request("the commit summary must not be empty"));
    }
    let mut operations = Vec::new();
    for mut line in lines {
        let key = line.value["key"].as_str().unwrap_or_default().to_owned();
        let operation = match key.as_str() {
            "file" => {
                let spool = line.take_spool("/value/content");
                if spool.is_some() {
                    line.value["value"]["content"] = serde_json::Value::String(String::new());
                }
                let file: CommitFileLine = field(&line, "file")?;
                let path = RepoPath::parse(&file.path)?;
                let content = match (file.encoding.as_str(), spool) {
                    ("base64", Some(spool)) => InlineContent::Base64Spool(spool),
                    ("base64", None) => InlineContent::Base64Text(file.content),
                    ("utf-8" | "utf8", Some(spool)) => InlineContent::Utf8Spool(spool),
                    ("utf-8" | "utf8", None) => InlineContent::Utf8Text(file.content),
                    (other, _) => {
                        return Err(CoreError::bad_request(format!("unknown encoding '{other}'")));
                    }
                };
                Operation::AddInline { path, content }
            }
            "lfsFile" => {
                let file: CommitLfsFileLine = field(&line, "lfsFile")?;
                if file.algo.as_deref().is_some_and(|algo| algo != "sha256") {
                    return Err(CoreError::bad_request("lfsFile: only the sha256 algorithm is supported"));
                }
                let oid = Sha256Oid::parse(&file.oid)
                    .ok_or_else(|| CoreError::bad_request(format!("lfsFile: invalid oid '{}'", file.oid)))?;
                Operation::AddLfs { path: RepoPath::parse(&file.path)?, oid, size: file.size }
            }
            "deletedFile" => {
                let file: CommitDeleteLine = field(&line, "deletedFile")?;
                Operation::DeleteFile { path: RepoPath::parse(&file.path)? }
            }
            "deletedFolder" => {
                let folder: CommitDeleteLine = field(&line, "deletedFolder")?;
                Operation::DeleteFolder { path: RepoPath::parse(&folder.path)? }
            }
            "header" => {
                return Err(CoreError::bad_request("a commit has exactly one header line"));
            }
            other => {
                return Err(CoreError::bad_request(format!("unknown commit operation '{other}'")));
            }
        };
        operations.push(operation);
    }
    Ok(CommitOperations { header, operations })
}

/// Decoded content of an inline file, written to a temp file and hashed on the way.
#[derive(Debug)]
struct DecodedFile {
    file: tempfile::NamedTempFile,
    size: u64,
    sha256: Sha256Oid,
}

fn decode_inline(content: InlineContent, scratch: &std::path::Path) -> CoreResult<DecodedFile> {
    let invalid = |error: std::io::Error| CoreError::bad_request(format!("invalid base64 content: {error}"));
    let mut output = tempfile::NamedTempFile::new_in(scratch).map_err(crate::ports::StorageError::Io)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut sink = |chunk: &[u8]| -> std::io::Result<()> {
        hasher.update(chunk);
        size += chunk.len() as u64;
        output.write_all(chunk)
    };
    let engine = base64::engine::general_purpose::STANDARD;
    match content {
        InlineContent::Utf8Text(text) => sink(text.as_bytes()).map_err(crate::ports::StorageError::Io)?,
        InlineContent::Base64Text(text) => {
            let bytes = engine
                .decode(text.trim())
                .map_err(|error| CoreError::bad_request(format!("invalid base64 content: {error}")))?;
            sink(&bytes).map_err(crate::ports::StorageError::Io)?;
        }
        InlineContent::Utf8Spool(spool) => {
            copy_through(spool.file.reopen().map_err(crate::ports::StorageError::Io)?, &mut sink)
                .map_err(crate::ports::StorageError::Io)?
        }
        InlineContent::Base64Spool(spool) => {
            let reader =
                BufReader::with_capacity(1 << 20, spool.file.reopen().map_err(crate::ports::StorageError::Io)?);
            let decoder = base64::read::DecoderReader::new(reader, &engine);
            copy_through(decoder, &mut sink).map_err(invalid)?;
        }
    }
    output.as_file().sync_data().map_err(crate::ports::StorageError::Io)?;
    Ok(DecodedFile { file: output, size, sha256: Sha256Oid::from_digest(&hasher.finalize()) })
}

fn copy_through(mut reader: impl Read, sink: &mut impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        sink(&buffer[..read])?;
    }
}

/// A change whose content is ready, before it is put in a tree.
#[derive(Debug)]
enum PreparedChange {
    Upsert { path: RepoPath, blob: BlobSource, lfs: Option<LfsPointer> },
    DeleteFile { path: RepoPath },
    DeleteFolder { path: RepoPath },
}

impl Hub {
    /// Whether the caller may commit to `revision` (or open a pull request against it): checked
    /// before a possibly large body is read.
    pub async fn check_commit_allowed(
        &self,
        principal: &Principal,
        repo: &Repo,
        revision: &str,
        create_pr: bool,
    ) -> CoreResult<()> {
        if create_pr {
            return self.check_participate(principal, repo).map(|_| ());
        }
        match self.resolve_revision(repo, revision).await?.branch_ref {
            Some(branch_ref) => self.check_ref_write(principal, repo, &branch_ref).await,
            None => principal.check_write(repo),
        }
    }

    /// Applies a commit to a branch (or a pull request ref) of a repo; with `create_pr`, opens
    /// a pull request against `revision` and commits to it instead.
    pub async fn create_commit(
        &self,
        principal: &Principal,
        repo: &Repo,
        revision: &str,
        operations: CommitOperations,
        create_pr: bool,
    ) -> CoreResult<CommitResult> {
        self.check_commit_allowed(principal, repo, revision, create_pr).await?;
        check_written_card(repo, &operations.operations).await?;
        let user = principal.user().expect("committers are signed in").clone();
        let (revision, pull_request) = if create_pr {
            let pr = self
                .create_pull_request(
                    principal,
                    repo,
                    &operations.header.summary,
                    &operations.header.description,
                    Some(revision),
                    DiscussionStatus::Open,
                )
                .await?;
            (format!("refs/pr/{}", pr.num), Some(pr.num))
        } else {
            (revision.to_owned(), None)
        };
        let revision = revision.as_str();
        let resolved = self.resolve_revision(repo, revision).await?;
        let Some(branch_ref) = resolved.branch_ref.clone() else {
            return Err(CoreError::RevisionNotFound(revision.to_owned()));
        };
        let CommitOperations { header, operations } = operations;
        let parent_pin = match &header.parent_commit {
            Some(parent) => Some(self.resolve_revision(repo, parent).await?.commit),
            None => None,
        };
        if parent_pin.as_ref().is_some_and(|pin| *pin != resolved.commit) {
            return Err(CoreError::ParentCommitMismatch);
        }
        let attributes = self.current_gitattributes(repo, &resolved.commit, &operations).await?;
        let (prepared, xet_files) = self.prepare_changes(repo, operations, &attributes).await?;
        let message = if header.description.trim().is_empty() {
            header.summary.clone()
        } else {
            format!("{}\n\n{}", header.summary, header.description)
        };

        let lock = self.repo_lock(&repo.id);
        let _guard = lock.lock().await;
        let mut prepared = Some(prepared);
        loop {
            let head = self.branch_head(repo, &branch_ref).await?;
            if parent_pin.as_ref().is_some_and(|pin| *pin != head) {
                return Err(CoreError::ParentCommitMismatch);
            }
            let changes = prepared.take().expect("prepared changes are restored before every retry");
            let (new_commit, changes, lfs_oids, tags) =
                self.write_commit_objects(repo, &head, changes, &user, &message).await?;
            let Some(new_commit) = new_commit else {
                return Ok(CommitResult { commit: head, changed: false, pull_request });
            };
            let is_default_branch = branch_ref == "refs/heads/main";
            let intent = CommitIntent {
                id: new_object_id(),
                repo_id: repo.id.clone(),
                ref_name: branch_ref.clone(),
                new_commit: new_commit.to_string(),
                lfs_oids,
                committed_at: stoa_types::time::now_unix(),
                is_default_branch,
                tags: tags.filter(|_| is_default_branch),
                xet_files: xet_files.clone(),
                pr_event: Self::pull_request_commit_event(&branch_ref, &user, &new_commit, &header.summary),
                activity: Some(activity(
                    repo,
                    &user,
                    "commit",
                    json!({"oid": new_commit.as_str(), "title": header.summary, "ref": branch_ref}),
                )),
            };
            // Held from the intent to its outcome: recovery on any node skips a locked repo,
            // so it never drops an intent whose ref is about to move.
            let ref_lock = self.meta.lock_repo_refs(&repo.id).await?;
            let outcome =
                self.swap_ref(&repo.id, &branch_ref, Some(head.clone()), Some(new_commit.clone()), Some(&intent)).await;
            ref_lock.release().await;
            match outcome? {
                true => {
                    tracing::info!(repo.id = %repo.full_name(), commit = %new_commit, "commit created");
                    return Ok(CommitResult { commit: new_commit, changed: true, pull_request });
                }
                false => {
                    if parent_pin.is_some() {
                        return Err(CoreError::ParentCommitMismatch);
                    }
                    // Another writer moved the branch: rebuild on its new head.
                    prepared = Some(changes);
                }
            }
        }
    }

    async fn branch_head(&self, repo: &Repo, branch_ref: &str) -> CoreResult<ObjectId> {
        let repo_id = repo.id.clone();
        let name = branch_ref.to_owned();
        self.blocking(move |git| git.ref_target(&repo_id, &name).map_err(CoreError::from))
            .await?
            .ok_or_else(|| CoreError::RevisionNotFound(branch_ref.to_owned()))
    }

    /// The `.gitattributes` that applies to this commit: the one it writes, else the current one.
    async fn current_gitattributes(
        &self,
        repo: &Repo,
        head: &ObjectId,
        operations: &[Operation],
    ) -> CoreResult<String> {
        for operation in operations.iter().rev() {
            if let Operation::AddInline { path, content: InlineContent::Base64Text(text) } = operation
                && path.as_str() == ".gitattributes"
            {
                let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap_or_default();
                return Ok(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        let Some(entry) = self.file_at(repo, head, ".gitattributes").await? else {
            return Ok(String::new());
        };
        Ok(String::from_utf8_lossy(&self.read_git_blob(repo, &entry.oid).await?).into_owned())
    }

    /// Decodes inline files (large or LFS-routed ones become LFS objects) and checks that
    /// referenced LFS objects were uploaded through this repo.
    async fn prepare_changes(
        &self,
        repo: &Repo,
        operations: Vec<Operation>,
        attributes: &str,
    ) -> CoreResult<(Vec<PreparedChange>, Vec<(String, String)>)> {
        let rules = LfsRules::parse(attributes);
        let mut xet_files = Vec::new();
        let scratch = self.blobs.scratch_dir();
        let mut prepared = Vec::with_capacity(operations.len());
        for operation in operations {
            let change = match operation {
                Operation::AddInline { path, content } => {
                    let scratch = scratch.clone();
                    let decoded = tokio::task::spawn_blocking(move || decode_inline(content, &scratch))
                        .await
                        .map_err(|error| CoreError::Internal(error.to_string()))??;
                    let as_lfs = decoded.size > self.settings.max_git_blob_bytes
                        || (decoded.size > 0 && rules.is_lfs(path.as_str()));
                    if as_lfs {
                        let pointer = LfsPointer { oid: decoded.sha256.clone(), size: decoded.size };
                        let now = stoa_types::time::now_unix();
                        let stored_path = decoded.file.into_temp_path();
                        self.blobs.put_verified_file(&pointer.oid, stored_path.to_path_buf()).await?;
                        self.meta.record_lfs_object(&pointer.oid, pointer.size, now).await?;
                        self.meta.grant_lfs_upload(&repo.id, &pointer.oid, now).await?;
                        let blob = BlobSource::Bytes(pointer.encode().into_bytes());
                        PreparedChange::Upsert { path, blob, lfs: Some(pointer) }
                    } else {
                        let bytes =
                            tokio::fs::read(decoded.file.path()).await.map_err(crate::ports::StorageError::Io)?;
                        PreparedChange::Upsert { path, blob: BlobSource::Bytes(bytes), lfs: None }
                    }
                }
                Operation::AddLfs { path, oid, size } => {
                    let stored = self.meta.lfs_object_size(&oid).await?;
                    let allowed = self.meta.repo_may_reference_lfs(&repo.id, &oid).await?;
                    // Objects uploaded through Xet: the shard's SHA-256 claim, granted to this repo.
                    let through_xet = match stored.filter(|_| allowed) {
                        Some(_) => None,
                        None => self.meta.xet_file_for_sha256(&repo.id, oid.as_str()).await?,
                    };
                    if let Some((file_hash, _)) = &through_xet {
                        xet_files.push((oid.to_string(), file_hash.hex()));
                    }
                    let stored = stored.filter(|_| allowed).or(through_xet.map(|(_, size)| size));
                    let Some(stored_size) = stored else {
                        return Err(CoreError::bad_request(format!(
                            "lfsFile {path}: the object {oid} was never uploaded to this repository"
                        )));
                    };
                    if size.is_some_and(|announced| announced != stored_size) {
                        return Err(CoreError::bad_request(format!(
                            "lfsFile {path}: size {} does not match the uploaded object ({stored_size} bytes)",
                            size.unwrap_or_default()
                        )));
                    }
                    let pointer = LfsPointer { oid, size: stored_size };
                    let blob = BlobSource::Bytes(pointer.encode().into_bytes());
                    PreparedChange::Upsert { path, blob, lfs: Some(pointer) }
                }
                Operation::DeleteFile { path } => PreparedChange::DeleteFile { path },
                Operation::DeleteFolder { path } => PreparedChange::DeleteFolder { path },
            };
            prepared.push(change);
        }
        Ok((prepared, xet_files))
    }

    /// Writes the commit's objects on top of `head`. Returns the new commit (or `None` when
    /// nothing changes), the prepared changes for a retry, the LFS oids it references and, when
    /// a file tags derive from changed, the repo's tags at the new commit.
    async fn write_commit_objects(
        &self,
        repo: &Repo,
        head: &ObjectId,
        prepared: Vec<PreparedChange>,
        user: &crate::ports::User,
        message: &str,
    ) -> CoreResult<(Option<ObjectId>, Vec<PreparedChange>, Vec<String>, Option<Vec<String>>)> {
        let repo_id = repo.id.clone();
        let head = head.clone();
        let author = signature_of(user, stoa_types::time::now_unix());
        let message = message.to_owned();
        let repo_type = repo.repo_type;
        self.blocking(move |git| {
            let mut changes = Vec::new();
            let mut lfs_oids = Vec::new();
            let mut lfs_paths = Vec::new();
            let mut tags_change = false;
            for change in &prepared {
                match change {
                    PreparedChange::Upsert { path, blob, lfs } => {
                        let bytes = match blob {
                            BlobSource::Bytes(bytes) => bytes.clone(),
                            BlobSource::File(file) => {
                                std::fs::read(file).map_err(|error| GitError::Backend(error.to_string()))?
                            }
                        };
                        tags_change |= cards::affects_tags(path.as_str());
                        if let Some(pointer) = lfs {
                            lfs_oids.push(pointer.oid.to_string());
                            lfs_paths.push(path.clone());
                        }
                        changes.push(TreeChange::Upsert { path: path.clone(), blob: BlobSource::Bytes(bytes) });
                    }
                    PreparedChange::DeleteFile { path } | PreparedChange::DeleteFolder { path } => {
                        // A deleted file may also be a folder: the client expects that to work.
                        if git.entry(&repo_id, &head, path)?.is_none() {
                            return Err(CoreError::EntryNotFound("A file with this name doesn't exist".to_owned()));
                        }
                        // A deleted path may be a folder holding tag sources.
                        tags_change = true;
                        changes.push(TreeChange::Delete { path: path.clone() });
                    }
                }
            }
            if let Some(rule_change) = missing_lfs_rules(git, &repo_id, &head, &changes, &lfs_paths)? {
                changes.push(rule_change);
            }
            let commit = git.write_commit(&repo_id, &head, changes, &author, &message)?;
            let tags = match &commit {
                Some(commit) if tags_change => Some(crate::push::tags_at(git, &repo_id, repo_type, commit)?),
                _ => None,
            };
            Ok((commit, prepared, lfs_oids, tags))
        })
        .await
    }

    /// Finishes commits interrupted between their ref update and their metadata update, and
    /// drops intents whose ref never moved. Run at startup and periodically: an intent whose
    /// repo is ref-locked belongs to a live writer (on any node) and is left alone.
    pub async fn recover_commit_intents(&self) -> CoreResult<usize> {
        let intents = self.meta.pending_commit_intents().await?;
        let mut applied = 0;
        for intent in intents {
            let Some(ref_lock) = self.meta.try_lock_repo_refs(&intent.repo_id).await? else {
                continue;
            };
            let landed = self.recover_intent(&intent).await;
            ref_lock.release().await;
            applied += usize::from(landed?);
        }
        Ok(applied)
    }

    /// Applies or drops one interrupted intent; the caller holds its repo's ref lock.
    async fn recover_intent(&self, intent: &CommitIntent) -> CoreResult<bool> {
        let Some(new_commit) = ObjectId::from_hex(&intent.new_commit) else {
            self.meta.discard_commit_intent(&intent.id).await?;
            return Ok(false);
        };
        let (repo_id, ref_name) = (intent.repo_id.clone(), intent.ref_name.clone());
        let landed = self
            .blocking(move |git| {
                let Some(target) = git.ref_target(&repo_id, &ref_name)? else {
                    return Ok(false);
                };
                Ok(git.is_ancestor(&repo_id, &new_commit, &target)?)
            })
            .await
            .unwrap_or(false);
        if landed {
            // The previous target is unknown here: only the intent's head is scanned.
            self.apply_intent(intent, None).await?;
        } else {
            self.meta.discard_commit_intent(&intent.id).await?;
        }
        Ok(landed)
    }
}

/// Longest prefix of a committed README read to validate its card: the front matter it may
/// hold is capped at [`cards::MAX_FRONT_MATTER`], and the rest is Markdown.
const CARD_PREFIX_BYTES: u64 = 2 * 1024 * 1024;

/// Refuses a commit whose `README.md` carries invalid metadata (cards-datasets.md §5), before
/// anything is stored or a pull request opened. Only the README the commit writes is checked:
/// a card that an older rule accepted does not block unrelated commits.
async fn check_written_card(repo: &Repo, operations: &[Operation]) -> CoreResult<()> {
    let written = operations.iter().rev().find_map(|operation| match operation {
        Operation::AddInline { path, content } if path.as_str() == "README.md" => Some(content),
        _ => None,
    });
    let Some(content) = written else { return Ok(()) };
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = match content {
        InlineContent::Utf8Text(text) => text.as_bytes().to_vec(),
        InlineContent::Base64Text(text) => engine.decode(text.trim()).unwrap_or_default(),
        InlineContent::Utf8Spool(spool) => read_prefix(spool, CARD_PREFIX_BYTES).await?,
        // Four base64 characters per three bytes, so the prefix still decodes.
        InlineContent::Base64Spool(spool) => {
            let text = read_prefix(spool, CARD_PREFIX_BYTES / 3 * 4).await?;
            engine.decode(text.trim_ascii()).unwrap_or_default()
        }
    };
    // Undecodable content is reported by `decode_inline`, with the Hub's wording.
    match cards::validate_card(&String::from_utf8_lossy(&bytes), repo.repo_type).refusal() {
        Some(reason) => Err(CoreError::InvalidCard(reason)),
        None => Ok(()),
    }
}

async fn read_prefix(spool: &crate::ndjson::Spool, limit: u64) -> CoreResult<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let file = tokio::fs::File::open(spool.file.path()).await.map_err(crate::ports::StorageError::Io)?;
    let mut prefix = Vec::new();
    file.take(limit).read_to_end(&mut prefix).await.map_err(crate::ports::StorageError::Io)?;
    Ok(prefix)
}

/// Adds `.gitattributes` rules for LFS files that no rule covers, so git clients see pointers.
fn missing_lfs_rules(
    git: &dyn crate::ports::GitStore,
    repo_id: &str,
    head: &ObjectId,
    changes: &[TreeChange],
    lfs_paths: &[RepoPath],
) -> CoreResult<Option<TreeChange>> {
    if lfs_paths.is_empty() {
        return Ok(None);
    }
    let attributes_path = RepoPath::parse(".gitattributes").expect("constant path is valid");
    let written = changes.iter().rev().find_map(|change| match change {
        TreeChange::Upsert { path, blob: BlobSource::Bytes(bytes) } if *path == attributes_path => Some(bytes.clone()),
        _ => None,
    });
    let mut text = match written {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => match git.entry(repo_id, head, &attributes_path)? {
            Some(entry) if entry.kind == EntryKind::File => {
                String::from_utf8_lossy(&git.read_blob(repo_id, &entry.oid)?).into_owned()
            }
            _ => String::new(),
        },
    };
    let rules = LfsRules::parse(&text);
    let uncovered: Vec<&RepoPath> = lfs_paths.iter().filter(|path| !rules.is_lfs(path.as_str())).collect();
    if uncovered.is_empty() {
        return Ok(None);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for path in uncovered {
        text.push_str(&lfs_rule_for(path.as_str()));
    }
    Ok(Some(TreeChange::Upsert { path: attributes_path, blob: BlobSource::Bytes(text.into_bytes()) }))
}
