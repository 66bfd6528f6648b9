//! Which metadata and object stores to open: the embedded defaults (SQLite file and local
//! objects under the data dir), or PostgreSQL and S3 when configured.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use stoa_core::ports::{BlobStore, MetaStore};
use stoa_db::{PgStore, SqliteStore};
use stoa_storage::{LocalBlobStore, ObjectBlobStore, S3Settings};

use crate::config::{FileConfig, env_or_file};

/// The opened metadata store.
#[derive(Debug, Clone)]
pub(crate) enum Meta {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Meta {
    pub(crate) async fn open(dir: &Path, file: &FileConfig) -> anyhow::Result<Self> {
        let url = env_or_file("DATABASE_URL", file.database_url.as_ref(), file.database_url_file.as_ref())?;
        match url {
            Some(url) => Ok(Self::Postgres(PgStore::connect(&url).await.context("connecting to PostgreSQL")?)),
            None => Ok(Self::Sqlite(SqliteStore::open(&dir.join("stoa.db")).await?)),
        }
    }

    pub(crate) fn shared(&self) -> Arc<dyn MetaStore> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    pub(crate) fn as_dyn(&self) -> &dyn MetaStore {
        match self {
            Self::Sqlite(store) => store,
            Self::Postgres(store) => store,
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

/// The opened object store and how clients reach it.
#[derive(Debug)]
pub(crate) struct Blobs {
    pub(crate) store: Arc<dyn BlobStore>,
    pub(crate) redirect_downloads: bool,
    pub(crate) direct_uploads: bool,
}

impl Blobs {
    /// `serving` runs the local store's start-up cleanup; admin commands next to a live server
    /// must not touch its temp files.
    pub(crate) fn open(dir: &Path, file: &FileConfig, serving: bool) -> anyhow::Result<Self> {
        let section = file.s3.as_ref();
        let pick = |name: &str, value: Option<&String>| env_or_file(name, value, None);
        let bucket = pick("S3_BUCKET", section.and_then(|s3| s3.bucket.as_ref()))?;
        let Some(bucket) = bucket else {
            let root = dir.join("lfs");
            let store = if serving {
                LocalBlobStore::open(&root).context("opening object store")?
            } else {
                LocalBlobStore::attach(&root)
            };
            return Ok(Self { store: Arc::new(store), redirect_downloads: false, direct_uploads: false });
        };
        let settings = S3Settings {
            endpoint: pick("S3_ENDPOINT", section.and_then(|s3| s3.endpoint.as_ref()))?.unwrap_or_default(),
            region: pick("S3_REGION", section.and_then(|s3| s3.region.as_ref()))?
                .unwrap_or_else(|| "us-east-1".to_owned()),
            bucket,
            access_key_id: pick("S3_ACCESS_KEY_ID", section.and_then(|s3| s3.access_key_id.as_ref()))?
                .unwrap_or_default(),
            secret_access_key: env_or_file(
                "S3_SECRET_ACCESS_KEY",
                section.and_then(|s3| s3.secret_access_key.as_ref()),
                section.and_then(|s3| s3.secret_access_key_file.as_ref()),
            )?
            .unwrap_or_default(),
            prefix: pick("S3_PREFIX", section.and_then(|s3| s3.prefix.as_ref()))?.unwrap_or_default(),
            virtual_hosted_style: section.and_then(|s3| s3.virtual_hosted_style).unwrap_or(false),
        };
        let downloads = pick("S3_DOWNLOADS", section.and_then(|s3| s3.downloads.as_ref()))?;
        let redirect_downloads = match downloads.as_deref() {
            None | Some("redirect") => true,
            Some("proxy") => false,
            Some(other) => bail!("s3.downloads must be 'redirect' or 'proxy', got '{other}'"),
        };
        let direct_uploads = section.and_then(|s3| s3.direct_uploads).unwrap_or(true);
        let store = ObjectBlobStore::s3(&settings, &dir.join("tmp")).context("configuring S3 storage")?;
        Ok(Self { store: Arc::new(store), redirect_downloads, direct_uploads })
    }
}
