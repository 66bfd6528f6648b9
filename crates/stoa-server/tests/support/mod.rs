#![allow(dead_code, reason = "shared by several test binaries, each using a part of it")]

//! In-process harness: the real router over real SQLite, git and filesystem stores in a temp
//! dir, driven with `tower::ServiceExt::oneshot` (no socket).

pub(crate) mod web;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use stoa_core::ports::{MetaStore, NewUser, TokenRecord, TokenRole};
use stoa_core::signing::UrlSigner;
use stoa_core::tokens::{hash_token, new_object_id};
use stoa_core::{Hub, HubSettings};
use stoa_db::SqliteStore;
use stoa_git::GixStore;
use stoa_server::{AppState, LfsSettings, PublicUrl};
use stoa_storage::LocalBlobStore;
use tower::ServiceExt;

pub(crate) const BASE: &str = "http://hub.test:8080";

/// Where a commit goes: `POST /api/{plural}/{repo}/commit/{revision}{query}`.
#[derive(Clone, Copy)]
pub(crate) struct CommitTarget<'a> {
    /// `models`, `datasets` or `spaces`.
    pub(crate) plural: &'a str,
    /// `owner/name`.
    pub(crate) repo: &'a str,
    pub(crate) revision: &'a str,
    /// Empty, or a query string with its `?` (such as `?create_pr=1`).
    pub(crate) query: &'a str,
}

impl<'a> CommitTarget<'a> {
    /// `main` of the model `repo`, no query.
    pub(crate) fn model(repo: &'a str) -> Self {
        Self { plural: "models", repo, revision: "main", query: "" }
    }
}

pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) hub: Hub,
    pub(crate) meta: Arc<SqliteStore>,
    /// Kept so the data dir lives as long as the app.
    _dir: tempfile::TempDir,
}

pub(crate) struct TestResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl TestResponse {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|value| value.to_str().expect("ascii header").to_owned())
    }
}

impl TestApp {
    pub(crate) async fn new() -> Self {
        Self::with_settings(HubSettings::default()).await
    }

    pub(crate) async fn with_settings(settings: HubSettings) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = Arc::new(SqliteStore::open(&dir.path().join("stoa.db")).await.expect("db opens"));
        let git = Arc::new(GixStore::open(&dir.path().join("git")).expect("git store opens"));
        let blobs = Arc::new(LocalBlobStore::open(&dir.path().join("lfs")).expect("blob store opens"));
        let hub = Hub::new(meta.clone(), git, blobs, UrlSigner::new(b"test-key".to_vec()), settings);
        let lfs = LfsSettings {
            multipart_threshold_bytes: 1024 * 1024,
            multipart_chunk_bytes: 1024 * 1024,
            direct_uploads: false,
        };
        let state = AppState {
            web: stoa_web::Web::new(hub.clone(), BASE),
            hub: hub.clone(),
            public_url: Arc::new(PublicUrl::new(BASE)),
            lfs,
            redirect_downloads: false,
            rate_limiter: None,
        };
        Self { router: stoa_server::router(state), hub, meta, _dir: dir }
    }

    /// Creates a user with a token of the given role and returns the token.
    pub(crate) async fn user(&self, name: &str, role: TokenRole) -> String {
        let user = match self.meta.user_by_name(name).await.expect("lookup") {
            Some(user) => user,
            None => self
                .meta
                .create_user(
                    NewUser { name: name.to_owned(), fullname: name.to_owned(), email: None },
                    new_object_id(),
                    0,
                )
                .await
                .expect("user created"),
        };
        let secret = stoa_core::tokens::generate_token();
        let record = TokenRecord {
            id: new_object_id(),
            user_id: user.id,
            name: "test".to_owned(),
            role,
            created_at: 0,
            scopes: None,
            expires_at: None,
            last_used_at: None,
        };
        self.meta.create_token(&record, &hash_token(&secret)).await.expect("token created");
        secret
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> TestResponse {
        let response: Response<Body> = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body reads").to_bytes().to_vec();
        TestResponse { status, headers, body }
    }

    pub(crate) async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        self.send(builder.body(Body::from(body)).expect("request builds")).await
    }

    pub(crate) async fn create_repo(&self, token: &str, name: &str, private: bool) -> TestResponse {
        let body = serde_json::json!({"name": name, "private": private});
        self.call("POST", "/api/repos/create", Some(token), body.to_string().into_bytes()).await
    }

    /// Commits inline files (`path`, bytes) to `main` of model `repo`, optionally pinned to a parent.
    pub(crate) async fn commit(
        &self,
        token: &str,
        repo: &str,
        files: &[(&str, &[u8])],
        parent: Option<&str>,
    ) -> TestResponse {
        self.commit_to(token, CommitTarget::model(repo), files, parent).await
    }

    /// Commits inline files (`path`, bytes) through the JSON commit API to `target`, optionally
    /// pinned to a parent.
    pub(crate) async fn commit_to(
        &self,
        token: &str,
        target: CommitTarget<'_>,
        files: &[(&str, &[u8])],
        parent: Option<&str>,
    ) -> TestResponse {
        use base64::Engine as _;
        let mut header = serde_json::json!({"summary": "test commit", "description": ""});
        if let Some(parent) = parent {
            header["parentCommit"] = parent.into();
        }
        let mut body = serde_json::json!({"key": "header", "value": header}).to_string();
        for (path, content) in files {
            let encoded = base64::engine::general_purpose::STANDARD.encode(content);
            let line =
                serde_json::json!({"key": "file", "value": {"content": encoded, "path": path, "encoding": "base64"}});
            body.push('\n');
            body.push_str(&line.to_string());
        }
        body.push('\n');
        let CommitTarget { plural, repo, revision, query } = target;
        let uri = format!("/api/{plural}/{repo}/commit/{revision}{query}");
        self.call("POST", &uri, Some(token), body.into_bytes()).await
    }

    pub(crate) async fn head_sha(&self, token: Option<&str>, repo: &str) -> String {
        let info = self.call("GET", &format!("/api/models/{repo}"), token, Vec::new()).await;
        assert_eq!(info.status, StatusCode::OK, "repo info of {repo}");
        info.json()["sha"].as_str().expect("sha").to_owned()
    }
}
