//! Stoa's web pages: server-rendered HTML for people in browsers, on the same origin as the API.
//!
//! One entry point, [`page`], is asked by the HTTP edge (`stoa-server`) for every path the API
//! does not claim. Pages are askama templates compiled into the binary (auto-escaped), with a
//! stylesheet and a little script served from `/static/`. Everything user-written that is not
//! a plain string (cards, comments) goes through `stoa_core::markdown`'s sanitiser.
//!
//! Security model (security.md §7): pages read the browser session cookie only, never a bearer
//! token; every form carries a CSRF token and every POST is checked for it and for a same-origin
//! `Origin`/`Sec-Fetch-Site`; answers carry a strict Content-Security-Policy; raw user files are
//! never served inline as HTML or SVG.

mod assets;
mod cache;
mod form;
mod format;
mod highlight;
mod pages;
mod respond;
mod routes;
mod session;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use cache::BoundedCache;
use stoa_core::Hub;
use stoa_core::ports::CommitInfo;

pub use highlight::warm_up;
pub use routes::is_web_path;

/// What the pages share: the domain, where the hub is served, and the caches of what they
/// compute from immutable content. Cheap to clone; make one per server.
#[derive(Debug, Clone)]
pub struct Web {
    hub: Hub,
    /// The public base URL (no trailing `/`): the origin forms must come from, and whether
    /// cookies are `Secure`.
    base_url: Arc<str>,
    caches: Arc<PageCaches>,
}

/// Memory the page caches may hold, all together.
const PAGE_CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct PageCaches {
    /// Highlighted files and rendered cards, by blob id.
    pub(crate) html: BoundedCache<Arc<str>>,
    /// The last commit of each entry of a folder page, by repo, commit and entries.
    pub(crate) last_commits: BoundedCache<Arc<HashMap<String, CommitInfo>>>,
    /// A commit's page content (its log entry, parent and diff), by repo and commit.
    pub(crate) commits: BoundedCache<Arc<pages::CommitDiff>>,
    /// A finished scan's figures, by repo and commit.
    pub(crate) scans: BoundedCache<Arc<pages::ScanInfo>>,
}

impl Web {
    #[must_use]
    pub fn new(hub: Hub, base_url: &str) -> Self {
        let caches = PageCaches {
            html: BoundedCache::new(PAGE_CACHE_BYTES / 2),
            last_commits: BoundedCache::new(PAGE_CACHE_BYTES / 4),
            commits: BoundedCache::new(PAGE_CACHE_BYTES / 8),
            scans: BoundedCache::new(PAGE_CACHE_BYTES / 8),
        };
        Self { hub, base_url: base_url.trim_end_matches('/').into(), caches: Arc::new(caches) }
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn caches(&self) -> &PageCaches {
        &self.caches
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the public URL.
    pub(crate) fn origin(&self) -> &str {
        let after_scheme = self.base_url.find("://").map_or(0, |at| at + 3);
        let end = self.base_url[after_scheme..].find('/').map_or(self.base_url.len(), |at| after_scheme + at);
        &self.base_url[..end]
    }
}

/// Answers `request` with a page, or `None` when no page lives at its path (the caller then
/// answers with the API's 404).
pub async fn page(web: &Web, request: Request<Body>) -> Option<Response> {
    let route = routes::parse(request.method(), request.uri().path())?;
    Some(pages::answer(web, route, request).await)
}
