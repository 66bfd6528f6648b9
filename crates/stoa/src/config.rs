//! Configuration, layered: built-in defaults, then an optional TOML file, then `STOA_*`
//! environment variables and command-line flags. Read once at start-up and passed down.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// Every knob of the TOML file; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) listen: Option<String>,
    pub(crate) public_url: Option<String>,
    pub(crate) max_git_blob_bytes: Option<u64>,
    pub(crate) signed_url_ttl_seconds: Option<i64>,
    pub(crate) xet_token_ttl_seconds: Option<i64>,
    pub(crate) lfs_multipart_threshold_bytes: Option<u64>,
    pub(crate) lfs_multipart_chunk_bytes: Option<u64>,
    /// Whether people may create accounts themselves (default true).
    pub(crate) allow_signup: Option<bool>,
    /// Requests per five minutes (`[rate_limit]`).
    pub(crate) rate_limit: Option<RateLimitConfig>,
    /// PostgreSQL instead of the embedded SQLite file (several nodes share one database).
    pub(crate) database_url: Option<String>,
    /// A file holding the database URL, so the password stays out of the config.
    pub(crate) database_url_file: Option<PathBuf>,
    /// S3-compatible object storage instead of the data dir, for LFS objects and xorbs.
    pub(crate) s3: Option<S3Config>,
    /// What scanning does with dangerous files, and where the antivirus is (`[scanning]`).
    pub(crate) scanning: Option<ScanningConfig>,
}

/// The `[scanning]` section.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanningConfig {
    /// `warn` (default), `quarantine` or `reject`, for dangerous or infected files.
    pub(crate) dangerous: Option<String>,
    /// The same, for pickle-bearing files that cannot be scanned.
    pub(crate) unscannable: Option<String>,
    /// clamd's socket: `unix:/run/clamav/clamd.ctl` or `tcp:127.0.0.1:3310`; no antivirus when unset.
    pub(crate) clamd: Option<String>,
    /// Files above this many bytes are not sent to clamd (its StreamMaxLength, default 25 MiB).
    pub(crate) clamd_max_bytes: Option<u64>,
}

/// The `[rate_limit]` section: requests per five-minute window, per token (signed in) or per
/// client address (anonymous); 0 turns a limit off.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimitConfig {
    pub(crate) api: Option<u64>,
    pub(crate) resolvers: Option<u64>,
    pub(crate) anonymous_api: Option<u64>,
    pub(crate) anonymous_resolvers: Option<u64>,
    pub(crate) pages: Option<u64>,
    pub(crate) anonymous_pages: Option<u64>,
    pub(crate) auth: Option<u64>,
}

/// The `[s3]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct S3Config {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) bucket: Option<String>,
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) secret_access_key_file: Option<PathBuf>,
    pub(crate) prefix: Option<String>,
    pub(crate) virtual_hosted_style: Option<bool>,
    /// `redirect` (default): downloads answer with a presigned URL; `proxy`: Stoa streams them.
    pub(crate) downloads: Option<String>,
    /// Hand clients presigned upload URLs (default true).
    pub(crate) direct_uploads: Option<bool>,
}

impl FileConfig {
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
    }
}

pub(crate) const DEFAULT_DATA_DIR: &str = "./stoa-data";
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Reads a numeric `STOA_*` variable; a malformed value is an error, not a silent default.
pub(crate) fn env_number<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| anyhow::anyhow!("{name} must be a number, got '{text}'")),
        Err(_) => Ok(None),
    }
}

/// A boolean setting from the environment (`1`/`true`/`yes` or `0`/`false`/`no`).
pub(crate) fn env_flag(name: &str) -> anyhow::Result<Option<bool>> {
    match std::env::var(name) {
        Ok(text) => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(anyhow::anyhow!("{name} must be true or false, got '{text}'")),
        },
        Err(_) => Ok(None),
    }
}

/// A string setting: `STOA_<NAME>` wins over the file; `STOA_<NAME>_FILE` or the file's
/// `*_file` key name a file whose content (trimmed) is the value, for secrets.
pub(crate) fn env_or_file(
    name: &str,
    from_file: Option<&String>,
    secret_file: Option<&PathBuf>,
) -> anyhow::Result<Option<String>> {
    if let Ok(value) = std::env::var(format!("STOA_{name}")) {
        return Ok(Some(value));
    }
    let file = std::env::var_os(format!("STOA_{name}_FILE")).map(PathBuf::from).or_else(|| secret_file.cloned());
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok(Some(text.trim().to_owned()))
        }
        None => Ok(from_file.cloned()),
    }
}

/// The data directory: flag or env, then file, then the default.
pub(crate) fn data_dir(flag_or_env: Option<&Path>, file: &FileConfig) -> PathBuf {
    flag_or_env
        .map(Path::to_path_buf)
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_config_parses_and_rejects_unknown_keys() {
        let config: FileConfig = toml::from_str("listen = \"0.0.0.0:9000\"\nmax_git_blob_bytes = 5\n").expect("valid");
        assert_eq!(config.listen.as_deref(), Some("0.0.0.0:9000"));
        assert!(toml::from_str::<FileConfig>("lisen = 1").is_err());
        assert_eq!(data_dir(None, &config), PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(data_dir(Some(Path::new("/x")), &config), PathBuf::from("/x"));
    }

    #[test]
    fn example_config_is_valid() {
        let text = include_str!("../../../config/stoa.example.toml");
        toml::from_str::<FileConfig>(text).expect("the documented example parses");
        // The optional scale-out keys are shown commented out: they must parse once uncommented.
        let uncommented: String = text
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest == "[s3]" || rest.split_once(" = ").is_some_and(|(key, _)| !key.contains(' ')) => {
                    rest
                }
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = toml::from_str::<FileConfig>(&uncommented).expect("the scale-out example parses");
        let s3 = config.s3.expect("an [s3] section");
        assert_eq!(s3.bucket.as_deref(), Some("stoa"));
        assert_eq!(s3.downloads.as_deref(), Some("redirect"));
        assert!(config.database_url.is_some() && config.database_url_file.is_some());
    }
}
