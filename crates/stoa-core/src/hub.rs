//! The [`Hub`]: one handle on the domain, holding the ports and the instance settings. Its
//! operations are spread over `repos`, `files`, `commit` and `lfs_batch`-style modules, one per
//! family of client operations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::access::Principal;
use crate::commit_cache::CommitCache;
use crate::download_rules::DownloadRules;
use crate::error::{CoreError, CoreResult};
use crate::ports::{BlobStore, GitStore, MetaStore};
use crate::signing::UrlSigner;
use crate::tokens::hash_token;

/// Instance settings the domain needs (the binary reads them from flags, env and file).
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Inline files above this size are stored as LFS objects rather than git blobs.
    pub max_git_blob_bytes: u64,
    /// Lifetime of signed LFS URLs.
    pub signed_url_ttl_seconds: i64,
    /// Lifetime of Xet CAS tokens and of the signed xorb range URLs in reconstruction plans.
    pub xet_token_ttl_seconds: i64,
    /// Whether people may create accounts themselves (`POST /api/signup`).
    pub allow_signup: bool,
    /// What happens to dangerous and unscannable files where a namespace sets nothing.
    pub scan_policy: crate::scan::policy::ScanPolicy,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            max_git_blob_bytes: 10 * 1000 * 1000,
            signed_url_ttl_seconds: 3600,
            xet_token_ttl_seconds: 3600,
            allow_signup: true,
            scan_policy: crate::scan::policy::ScanPolicy::default(),
        }
    }
}

/// The domain facade shared by every request.
#[derive(Debug, Clone)]
pub struct Hub {
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) git: Arc<dyn GitStore>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) signer: UrlSigner,
    pub(crate) settings: HubSettings,
    pub(crate) download_rules: Arc<DownloadRules>,
    /// Serialises commits to one repo inside this process; the git ref compare-and-swap is what
    /// keeps them correct across processes.
    repo_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    pub(crate) commit_views: Arc<CommitCache>,
    pub(crate) virus_scanner: Option<Arc<dyn crate::scan::VirusScanner>>,
    /// Wakes this node's job worker when work was queued here (a commit to scan).
    pub(crate) jobs_queued: Arc<tokio::sync::Notify>,
}

/// Files held by the commit cache across all entries (about 200 bytes each).
const COMMIT_CACHE_FILES: usize = 500_000;

impl Hub {
    #[must_use]
    pub fn new(
        meta: Arc<dyn MetaStore>,
        git: Arc<dyn GitStore>,
        blobs: Arc<dyn BlobStore>,
        signer: UrlSigner,
        settings: HubSettings,
    ) -> Self {
        Self {
            meta,
            git,
            blobs,
            signer,
            settings,
            download_rules: Arc::new(DownloadRules::default()),
            repo_locks: Arc::default(),
            commit_views: Arc::new(CommitCache::new(COMMIT_CACHE_FILES)),
            virus_scanner: None,
            jobs_queued: Arc::default(),
        }
    }

    /// Scans every file of every commit with this antivirus too.
    #[must_use]
    pub fn with_virus_scanner(mut self, scanner: Arc<dyn crate::scan::VirusScanner>) -> Self {
        self.virus_scanner = Some(scanner);
        self
    }

    #[must_use]
    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    #[must_use]
    pub fn signer(&self) -> &UrlSigner {
        &self.signer
    }

    #[must_use]
    pub fn meta(&self) -> &Arc<dyn MetaStore> {
        &self.meta
    }

    #[must_use]
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// Establishes the caller from a bearer token, if any. An unknown token is an error, never
    /// anonymous access (the client then reports a token problem).
    pub async fn authenticate(&self, token: Option<&str>) -> CoreResult<Principal> {
        let Some(secret) = token else {
            return Ok(Principal::Anonymous);
        };
        let now = stoa_types::time::now_unix();
        let Some(record) = self.meta.token_by_hash(&hash_token(secret), now).await? else {
            return Err(CoreError::InvalidCredentials);
        };
        let Some(user) = self.meta.user_by_id(&record.user_id).await? else {
            return Err(CoreError::InvalidCredentials);
        };
        let memberships = self.meta.memberships(&user.id).await?;
        Ok(Principal::User { user, token: record, memberships })
    }

    pub(crate) fn repo_lock(&self, repo_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks =
            self.repo_locks.lock().expect("repo lock table is never poisoned: no code panics while holding it");
        locks.entry(repo_id.to_owned()).or_default().clone()
    }

    /// Runs blocking git work off the async runtime.
    pub(crate) async fn blocking<T, F>(&self, work: F) -> CoreResult<T>
    where
        F: FnOnce(&dyn GitStore) -> CoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let git = Arc::clone(&self.git);
        tokio::task::spawn_blocking(move || work(git.as_ref()))
            .await
            .map_err(|error| CoreError::Internal(format!("blocking task failed: {error}")))?
    }
}
