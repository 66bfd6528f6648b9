//! Stoa's HTTP edge. It speaks the Hugging Face Hub wire protocol (hub-api.md) and nothing
//! else: every handler extracts, calls the domain ([`stoa_core::Hub`]) and maps the result.
//! Errors become statuses and `X-Error-Code` headers only here, in [`error`].

mod api;
mod auth;
mod body;
mod cas;
pub mod clamd;
mod endpoint;
mod error;
mod git_http;
mod lfs;
mod middleware;
mod pktline;
mod query;
pub mod rate_limit;
mod resolve;
mod urls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, delete, get, patch, post, put};
use axum::serve::ListenerExt as _;
use stoa_core::Hub;
use tokio::net::TcpListener;

pub use urls::PublicUrl;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub hub: Hub,
    pub public_url: Arc<PublicUrl>,
    pub lfs: LfsSettings,
    /// Answer downloads of stored objects with a redirect to a presigned URL of the object
    /// store (when it offers them) instead of streaming them through Stoa.
    pub redirect_downloads: bool,
    /// `None` switches rate limiting off.
    pub rate_limiter: Option<std::sync::Arc<rate_limit::RateLimiter>>,
    /// The web pages, over the same hub and public URL (`stoa_web::Web::new`); one per server,
    /// as it holds the pages' caches.
    pub web: stoa_web::Web,
}

/// When the LFS batch answer offers multipart uploads (only to clients that ask for them).
#[derive(Debug, Clone, Copy)]
pub struct LfsSettings {
    pub multipart_threshold_bytes: u64,
    pub multipart_chunk_bytes: u64,
    /// Hand out presigned object-store URLs for uploads when the store offers them.
    pub direct_uploads: bool,
}

impl Default for LfsSettings {
    fn default() -> Self {
        Self {
            multipart_threshold_bytes: 5 * 1024 * 1024 * 1024,
            multipart_chunk_bytes: 512 * 1024 * 1024,
            direct_uploads: true,
        }
    }
}

/// The complete router: fixed routes first, then the Hub's repo-shaped paths, which are parsed
/// from the raw path because revisions arrive with `%2F` inside one segment (hub-api.md §1.3).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/whoami-v2", get(api::whoami::whoami))
        .route("/api/repos/create", post(api::repos::create_repo))
        .route("/api/repos/delete", delete(api::repos::delete_repo))
        .route("/api/repos/move", post(api::lifecycle::move_repo))
        .route("/api/users/{user}/likes", get(api::social::list_liked_repos))
        .route("/api/users/{user}/activity", get(api::social::user_activity))
        .route("/api/collections", get(api::collections::list_collections).post(api::collections::create_collection))
        .route(
            "/api/collections/{namespace}/{slug}",
            get(api::collections::get_collection)
                .patch(api::collections::update_collection)
                .delete(api::collections::delete_collection),
        )
        .route("/api/collections/{namespace}/{slug}/items", post(api::collections::add_collection_item))
        .route(
            "/api/collections/{namespace}/{slug}/items/{item}",
            patch(api::collections::update_collection_item).delete(api::collections::delete_collection_item),
        )
        .route("/api/signup", post(api::accounts::sign_up))
        .route("/api/login", post(api::accounts::sign_in))
        .route("/api/logout", post(api::accounts::sign_out))
        .route("/api/settings/password", post(api::accounts::change_password))
        .route("/api/settings/audit-log", get(api::orgs::own_audit_log))
        .route("/api/settings/tokens", get(api::accounts::list_tokens).post(api::accounts::create_token))
        .route("/api/settings/tokens/{id}", delete(api::accounts::revoke_token))
        .route("/api/organizations/{org}/members", get(api::orgs::list_members))
        .route("/api/organizations/{org}/members/{user}", delete(api::orgs::remove_member))
        .route("/api/organizations/{org}/members/{user}/role", put(api::orgs::set_member_role))
        .route("/api/organizations/{org}/audit-log", get(api::orgs::audit_log))
        .route("/api/organizations/{org}/audit-log/export", get(api::orgs::export_audit_log))
        .route("/uploads", post(api::attachments::upload_attachment))
        .route("/uploads/{name}", get(api::attachments::get_attachment).head(api::attachments::get_attachment))
        .route("/api/validate-yaml", post(api::validate_yaml::validate_yaml))
        .route("/api/models", get(api::list_repos::list_models))
        .route("/api/datasets", get(api::list_repos::list_datasets))
        .route("/api/spaces", get(api::list_repos::list_spaces))
        .route("/api/telemetry/{*topic}", any(api::telemetry))
        .route("/lfs/objects/{repo_id}/{oid}/{size}", put(lfs::upload_object))
        .route("/lfs/parts/{repo_id}/{oid}/{size}/{upload}/{part}", put(lfs::upload_part))
        .route("/lfs/complete/{repo_id}/{oid}/{size}/{upload}", post(lfs::complete_multipart))
        .route("/lfs/complete-direct/{repo_id}/{oid}/{size}", post(lfs::complete_direct_multipart))
        .route("/lfs/verify/{repo_id}/{oid}/{size}", post(lfs::verify_signed))
        .route("/lfs/download/{repo_id}/{oid}", get(lfs::download_object).head(lfs::download_object))
        .nest("/xet", cas::routes())
        .route("/v1/telemetry", post(cas::telemetry))
        .fallback(api::dispatch)
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::rate_limit))
        .layer(axum::middleware::from_fn(middleware::request_context))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Small streamed answers (git's ref advertisements, JSON) must not wait ~40 ms for the
    // client's delayed ACK (Nagle); bulk transfers fill whole segments anyway.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(error = %error, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
