//! Per-request context: a request id on every response (`X-Request-Id`, which the client puts
//! in its error messages) and one access-log line. Query strings are never logged: signed URLs
//! carry their signature there, and credentials never appear in logs.

use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use stoa_core::identity::audit::CLIENT_IP;
use tracing::Instrument;

pub(crate) async fn request_context(request: Request, next: Next) -> Response {
    let request_id = stoa_core::tokens::new_object_id();
    // The peer address: audit entries record it (proxies in front would need a trusted
    // X-Forwarded-For, which Stoa does not read yet).
    let client_ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request.id = %request_id, http.method = %method, http.path = %path);
    let started = Instant::now();
    let mut response = CLIENT_IP.scope(client_ip, next.run(request).instrument(span.clone())).await;
    let status = response.status();
    span.in_scope(|| {
        tracing::info!(http.status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "served");
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
