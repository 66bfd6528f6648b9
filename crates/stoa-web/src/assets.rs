//! The stylesheet and the script, compiled in and served from `/static/`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// One stylesheet, one request: the frame's rules, then each area's.
const STYLESHEET: &str = concat!(
    include_str!("../static/stoa.css"),
    include_str!("../static/repo.css"),
    include_str!("../static/collab.css"),
    include_str!("../static/forms.css"),
);
const SCRIPT: &str = include_str!("../static/stoa.js");

pub(crate) fn asset(name: &str) -> Option<Response> {
    let (body, content_type) = match name {
        "stoa.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "stoa.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return None,
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Some(response)
}
