//! Rate limits as the Hub applies them (security.md §7.5): three buckets, `api`, `resolvers`
//! (file downloads and transfers) and `pages` (web pages), counted over fixed five-minute windows
//! per token (or session) and per client address for anonymous callers; and a stricter `auth`
//! bucket for sign-in, sign-up and password changes (API and web forms), always per client
//! address (password guessing). Every counted answer carries
//! `RateLimit: "<bucket>";r=<remaining>;t=<seconds left>` and
//! `RateLimit-Policy: "fixed window";"<bucket>";q=<quota>;w=300`; past the quota the answer is
//! 429 (`X-Error-Code: RateLimited`, `Retry-After`), which huggingface_hub waits out.
//!
//! Counters live in the node's memory: with several nodes each enforces its own share.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stoa_core::CoreError;

use crate::AppState;
use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(300);
/// Past this many tracked callers, expired windows are swept before counting.
const SWEEP_AT: usize = 100_000;

/// Requests per window; 0 switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub api: u64,
    pub resolvers: u64,
    pub anonymous_api: u64,
    pub anonymous_resolvers: u64,
    pub pages: u64,
    pub anonymous_pages: u64,
    /// Sign-in, sign-up and password changes per client address.
    pub auth: u64,
}

impl Default for RateLimitSettings {
    /// Ten times the Hub's free-account figures, so that tools and CI jobs rarely meet them
    /// while a runaway script or a scraper still does.
    fn default() -> Self {
        Self {
            api: 10_000,
            resolvers: 50_000,
            anonymous_api: 5_000,
            anonymous_resolvers: 30_000,
            pages: 2_000,
            anonymous_pages: 1_000,
            auth: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    Api,
    Resolvers,
    Pages,
    Auth,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Resolvers => "resolvers",
            Self::Pages => "pages",
            Self::Auth => "auth",
        }
    }

    fn of(method: &Method, path: &str) -> Self {
        let web_sign_in = method == Method::POST && matches!(path, "/login" | "/join");
        if web_sign_in || matches!(path, "/api/login" | "/api/signup" | "/api/settings/password") {
            return Self::Auth;
        }
        let transfer = path.contains("/resolve/")
            || path.starts_with("/xet/")
            || path.starts_with("/lfs/")
            || path.contains("/info/lfs/")
            || path.ends_with("/git-upload-pack");
        if transfer {
            Self::Resolvers
        } else if !path.starts_with("/api/") && !path.starts_with("/static/") && stoa_web::is_web_path(method, path) {
            Self::Pages
        } else {
            Self::Api
        }
    }
}

/// The counters of one node.
#[derive(Debug)]
pub struct RateLimiter {
    settings: RateLimitSettings,
    windows: Mutex<HashMap<(String, Bucket), (Instant, u64)>>,
}

/// What one request used.
struct Verdict {
    bucket: Bucket,
    quota: u64,
    remaining: u64,
    reset: Duration,
    allowed: bool,
}

impl RateLimiter {
    #[must_use]
    pub fn new(settings: RateLimitSettings) -> Arc<Self> {
        Arc::new(Self { settings, windows: Mutex::default() })
    }

    fn count(&self, caller: String, anonymous: bool, bucket: Bucket, now: Instant) -> Option<Verdict> {
        let quota = match (bucket, anonymous) {
            (Bucket::Api, false) => self.settings.api,
            (Bucket::Resolvers, false) => self.settings.resolvers,
            (Bucket::Api, true) => self.settings.anonymous_api,
            (Bucket::Resolvers, true) => self.settings.anonymous_resolvers,
            (Bucket::Pages, false) => self.settings.pages,
            (Bucket::Pages, true) => self.settings.anonymous_pages,
            (Bucket::Auth, _) => self.settings.auth,
        };
        if quota == 0 {
            return None;
        }
        let mut windows = self.windows.lock().expect("rate-limit table is never poisoned: no code panics holding it");
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let window = windows.entry((caller, bucket)).or_insert((now, 0));
        if now.duration_since(window.0) >= WINDOW {
            *window = (now, 0);
        }
        let allowed = window.1 < quota;
        if allowed {
            window.1 += 1;
        }
        let reset = WINDOW.saturating_sub(now.duration_since(window.0));
        Some(Verdict { bucket, quota, remaining: quota.saturating_sub(window.1), reset, allowed })
    }
}

/// Who is counted: the credential (hashed, never kept in clear) or the client address.
fn caller_key(headers: &HeaderMap, address: Option<SocketAddr>) -> (String, bool) {
    if let Some(token) = crate::auth::token_from(headers) {
        return (format!("t:{}", stoa_core::tokens::hash_token(&token)), false);
    }
    if let Some(session) = crate::auth::session_secret(headers) {
        return (format!("s:{}", stoa_core::tokens::hash_token(&session)), false);
    }
    (format!("ip:{}", address.map_or_else(|| "unknown".to_owned(), |address| address.ip().to_string())), true)
}

fn headers_of(verdict: &Verdict) -> [(&'static str, HeaderValue); 2] {
    let seconds = verdict.reset.as_secs().max(1);
    let name = verdict.bucket.name();
    let limit = format!("\"{name}\";r={};t={seconds}", verdict.remaining);
    let policy = format!("\"fixed window\";\"{name}\";q={};w={}", verdict.quota, WINDOW.as_secs());
    let value = |text: String| HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    [("ratelimit", value(limit)), ("ratelimit-policy", value(policy))]
}

pub(crate) async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = state.rate_limiter.clone() else { return next.run(request).await };
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let bucket = Bucket::of(request.method(), request.uri().path());
    let (caller, anonymous) = if bucket == Bucket::Auth {
        // Guessing passwords is limited per address, whatever credentials come along.
        caller_key(&HeaderMap::new(), address)
    } else {
        caller_key(request.headers(), address)
    };
    let Some(verdict) = limiter.count(caller, anonymous, bucket, Instant::now()) else {
        return next.run(request).await;
    };
    let mut response = if verdict.allowed {
        next.run(request).await
    } else {
        let message = format!(
            "You have exceeded the {} rate limit ({} requests per {} seconds); retry in {} seconds",
            verdict.bucket.name(),
            verdict.quota,
            WINDOW.as_secs(),
            verdict.reset.as_secs().max(1)
        );
        let mut refused = ApiError::new(CoreError::RateLimited(message), false).into_response();
        if let Ok(value) = HeaderValue::from_str(&verdict.reset.as_secs().max(1).to_string()) {
            refused.headers_mut().insert("retry-after", value);
        }
        refused
    };
    for (name, value) in headers_of(&verdict) {
        response.headers_mut().insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_quota_then_refuses_until_it_ends() {
        let limiter = RateLimiter::new(RateLimitSettings {
            api: 2,
            resolvers: 0,
            anonymous_api: 1,
            anonymous_resolvers: 1,
            pages: 1,
            anonymous_pages: 1,
            auth: 1,
        });
        let start = Instant::now();
        let count = |caller: &str, anonymous, at| limiter.count(caller.to_owned(), anonymous, Bucket::Api, at);
        assert!(count("t:a", false, start).is_some_and(|verdict| verdict.allowed && verdict.remaining == 1));
        assert!(count("t:a", false, start).is_some_and(|verdict| verdict.allowed && verdict.remaining == 0));
        assert!(count("t:a", false, start).is_some_and(|verdict| !verdict.allowed));
        // Another caller has its own window; a new window starts afresh.
        assert!(count("t:b", false, start).is_some_and(|verdict| verdict.allowed));
        assert!(count("t:a", false, start + WINDOW).is_some_and(|verdict| verdict.allowed));
        // A limit of 0 is no limit.
        assert!(limiter.count("t:a".to_owned(), false, Bucket::Resolvers, start).is_none());
    }

    #[test]
    fn downloads_and_transfers_count_as_resolvers() {
        assert_eq!(Bucket::of(&Method::GET, "/alice/m/resolve/main/x.bin"), Bucket::Resolvers);
        assert_eq!(Bucket::of(&Method::GET, "/xet/v1/xorbs/default/abc"), Bucket::Resolvers);
        assert_eq!(Bucket::of(&Method::GET, "/alice/m.git/git-upload-pack"), Bucket::Resolvers);
        assert_eq!(Bucket::of(&Method::GET, "/api/models/alice/m"), Bucket::Api);
        assert_eq!(Bucket::of(&Method::GET, "/api/login"), Bucket::Auth);
        assert_eq!(Bucket::of(&Method::POST, "/login"), Bucket::Auth);
        assert_eq!(Bucket::of(&Method::GET, "/login"), Bucket::Pages);
        assert_eq!(Bucket::of(&Method::GET, "/alice/m/tree/main"), Bucket::Pages);
        assert_eq!(Bucket::of(&Method::GET, "/static/stoa.css"), Bucket::Api);
    }
}
