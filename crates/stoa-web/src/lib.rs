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
mod form;
mod format;
mod highlight;
mod pages;
mod respond;
mod routes;
mod session;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use stoa_core::Hub;

pub use highlight::warm_up;
pub use routes::is_web_path;

/// What the pages share: the domain and where the hub is served.
#[derive(Debug, Clone)]
pub struct Web {
    hub: Hub,
    /// The public base URL (no trailing `/`): the origin forms must come from, and whether
    /// cookies are `Secure`.
    base_url: std::sync::Arc<str>,
}

impl Web {
    #[must_use]
    pub fn new(hub: Hub, base_url: &str) -> Self {
        Self { hub, base_url: base_url.trim_end_matches('/').into() }
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
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
