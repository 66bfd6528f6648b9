//! `stoa serve`: opens the data dir, finishes interrupted commits, and serves HTTP until
//! SIGINT or SIGTERM.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use stoa_core::scan::policy::{Action, ScanPolicy};
use stoa_core::signing::UrlSigner;
use stoa_core::{Hub, HubSettings};
use stoa_git::GixStore;
use stoa_server::{AppState, LfsSettings, PublicUrl};
use tracing_subscriber::EnvFilter;

use crate::backends::{Blobs, Meta};
use crate::cli::ServeArgs;
use stoa_server::rate_limit::{RateLimitSettings, RateLimiter};

use crate::config::{DEFAULT_LISTEN, FileConfig, data_dir, env_flag, env_number};

/// The URL-signing key, created once per data dir (readable by its owner only).
pub(crate) fn signing_key(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("signing.key");
    if let Ok(key) = fs::read(&path) {
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    let mut temp = tempfile_in(dir)?;
    temp.1.write_all(&key)?;
    temp.1.sync_all()?;
    // Another process may have won the race: keep whichever key landed first.
    if fs::hard_link(&temp.0, &path).is_err() && fs::metadata(&path).is_err() {
        anyhow::bail!("could not create {}", path.display());
    }
    fs::remove_file(&temp.0)?;
    Ok(fs::read(&path)?)
}

fn tempfile_in(dir: &Path) -> anyhow::Result<(std::path::PathBuf, fs::File)> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = dir.join(format!(".signing.key.{}", std::process::id()));
    let file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path)?;
    Ok((path, file))
}

/// How often a node looks for due background jobs.
const JOBS_EVERY_SECONDS: u64 = 30;

/// Names the node in job claims (for operators reading the queue).
fn hostname() -> String {
    fs::read_to_string("/etc/hostname").map(|name| name.trim().to_owned()).unwrap_or_else(|_| "node".to_owned())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler installs");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}

/// The antivirus, when `[scanning] clamd` or `STOA_CLAMD` names clamd's socket. A clamd that
/// does not answer is logged, not fatal: scans then record that the antivirus was unavailable.
async fn virus_scanner(file: &FileConfig) -> anyhow::Result<Option<Arc<dyn stoa_core::scan::VirusScanner>>> {
    let section = file.scanning.clone().unwrap_or_default();
    let Some(address) = std::env::var("STOA_CLAMD").ok().or(section.clamd) else {
        return Ok(None);
    };
    let max_bytes = section.clamd_max_bytes.unwrap_or(stoa_server::clamd::DEFAULT_CLAMD_MAX_BYTES);
    let scanner = stoa_server::clamd::ClamdScanner::new(&address, max_bytes)
        .map_err(|error| anyhow::anyhow!("clamd: {error}"))?;
    match scanner.check().await {
        Ok(()) => tracing::info!(clamd = %address, "antivirus scanning with clamd"),
        Err(error) => tracing::warn!(clamd = %address, error = %error, "clamd does not answer"),
    }
    Ok(Some(Arc::new(scanner)))
}

/// `[scanning]` `dangerous` / `unscannable`, or `STOA_SCAN_DANGEROUS` / `STOA_SCAN_UNSCANNABLE`.
fn scan_policy(file: &FileConfig) -> anyhow::Result<ScanPolicy> {
    let section = file.scanning.clone().unwrap_or_default();
    let action = |env: &str, configured: Option<String>| -> anyhow::Result<Action> {
        match std::env::var(env).ok().or(configured) {
            None => Ok(Action::Warn),
            Some(text) => Action::parse(&text)
                .ok_or_else(|| anyhow::anyhow!("{env}: expected warn, quarantine or reject, got {text:?}")),
        }
    };
    Ok(ScanPolicy {
        dangerous: action("STOA_SCAN_DANGEROUS", section.dangerous)?,
        unscannable: action("STOA_SCAN_UNSCANNABLE", section.unscannable)?,
    })
}

/// `[rate_limit]` and `STOA_RATE_LIMIT_*` (0 switches one limit off; `STOA_RATE_LIMIT=off`
/// all of them).
fn rate_limits(file: &FileConfig) -> anyhow::Result<Option<RateLimitSettings>> {
    if env_flag("STOA_RATE_LIMIT")? == Some(false) {
        return Ok(None);
    }
    let defaults = RateLimitSettings::default();
    let section = file.rate_limit.clone().unwrap_or_default();
    Ok(Some(RateLimitSettings {
        api: env_number("STOA_RATE_LIMIT_API")?.or(section.api).unwrap_or(defaults.api),
        resolvers: env_number("STOA_RATE_LIMIT_RESOLVERS")?.or(section.resolvers).unwrap_or(defaults.resolvers),
        anonymous_api: env_number("STOA_RATE_LIMIT_ANONYMOUS_API")?
            .or(section.anonymous_api)
            .unwrap_or(defaults.anonymous_api),
        anonymous_resolvers: env_number("STOA_RATE_LIMIT_ANONYMOUS_RESOLVERS")?
            .or(section.anonymous_resolvers)
            .unwrap_or(defaults.anonymous_resolvers),
        pages: env_number("STOA_RATE_LIMIT_PAGES")?.or(section.pages).unwrap_or(defaults.pages),
        anonymous_pages: env_number("STOA_RATE_LIMIT_ANONYMOUS_PAGES")?
            .or(section.anonymous_pages)
            .unwrap_or(defaults.anonymous_pages),
        auth: env_number("STOA_RATE_LIMIT_AUTH")?.or(section.auth).unwrap_or(defaults.auth),
    }))
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // One write(2) per log line instead of one per field.
        .with_writer(|| std::io::BufWriter::with_capacity(1024, std::io::stderr()))
        .init();
    let file = FileConfig::load(args.data.config.as_deref())?;
    let dir = data_dir(args.data.data_dir.as_deref(), &file);
    fs::create_dir_all(&dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    let listen = args.listen.or_else(|| file.listen.clone()).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let public_url = args.public_url.or_else(|| file.public_url.clone()).unwrap_or_else(|| format!("http://{listen}"));

    let defaults = HubSettings::default();
    let settings = HubSettings {
        max_git_blob_bytes: env_number("STOA_MAX_GIT_BLOB_BYTES")?
            .or(file.max_git_blob_bytes)
            .unwrap_or(defaults.max_git_blob_bytes),
        signed_url_ttl_seconds: env_number("STOA_SIGNED_URL_TTL_SECONDS")?
            .or(file.signed_url_ttl_seconds)
            .unwrap_or(defaults.signed_url_ttl_seconds),
        xet_token_ttl_seconds: env_number("STOA_XET_TOKEN_TTL_SECONDS")?
            .or(file.xet_token_ttl_seconds)
            .unwrap_or(defaults.xet_token_ttl_seconds),
        allow_signup: env_flag("STOA_ALLOW_SIGNUP")?.or(file.allow_signup).unwrap_or(defaults.allow_signup),
        scan_policy: scan_policy(&file)?,
    };
    let lfs_defaults = LfsSettings::default();
    let lfs = LfsSettings {
        multipart_threshold_bytes: env_number("STOA_LFS_MULTIPART_THRESHOLD_BYTES")?
            .or(file.lfs_multipart_threshold_bytes)
            .unwrap_or(lfs_defaults.multipart_threshold_bytes),
        multipart_chunk_bytes: env_number("STOA_LFS_MULTIPART_CHUNK_BYTES")?
            .or(file.lfs_multipart_chunk_bytes)
            .unwrap_or(lfs_defaults.multipart_chunk_bytes)
            .max(1024 * 1024),
        direct_uploads: false,
    };

    let meta = Meta::open(&dir, &file).await?;
    let git = GixStore::open(&dir.join("git")).context("opening git store")?;
    let blobs = Blobs::open(&dir, &file, true)?;
    let lfs = LfsSettings { direct_uploads: blobs.direct_uploads, ..lfs };
    let signer = UrlSigner::new(signing_key(&dir)?);
    let mut hub = Hub::new(meta.shared(), Arc::new(git), blobs.store, signer, settings);
    if let Some(scanner) = virus_scanner(&file).await? {
        hub = hub.with_virus_scanner(scanner);
    }
    let recovered = hub.recover_commit_intents().await?;
    if recovered > 0 {
        tracing::info!(commits = recovered, "finished commits interrupted by a previous shutdown");
    }

    let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("binding {listen}"))?;
    let local_addr = listener.local_addr()?;
    tracing::info!(listen = %local_addr, public_url = %public_url, data_dir = %dir.display(), "stoa is serving");
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let node = format!("{}:{local_addr}:", hostname());
    let orphaned = hub.meta().release_orphaned_jobs(&node).await?;
    if orphaned > 0 {
        tracing::info!(jobs = orphaned, "jobs left running by a previous start are queued again");
    }
    let worker = format!("{node}{}", std::process::id());
    let jobs_hub = hub.clone();
    let jobs = tokio::spawn(async move {
        jobs_hub.run_background_jobs(worker, Duration::from_secs(JOBS_EVERY_SECONDS), jobs_stopped).await;
    });
    // The web's code highlighter loads its syntaxes once (tens of ms): before the first file page.
    tokio::task::spawn_blocking(stoa_web::warm_up);
    let state = AppState {
        web: stoa_web::Web::new(hub.clone(), &public_url),
        hub,
        public_url: Arc::new(PublicUrl::new(&public_url)),
        lfs,
        redirect_downloads: blobs.redirect_downloads,
        rate_limiter: rate_limits(&file)?.map(RateLimiter::new),
    };
    stoa_server::serve(listener, state, shutdown_signal()).await?;
    let _ = stop_jobs.send(true);
    let _ = jobs.await;
    meta.close().await;
    Ok(())
}
