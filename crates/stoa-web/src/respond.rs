//! Answers: pages with the security headers every page carries, redirects, and errors shown as
//! pages (with `X-Error-Code` and `X-Error-Message`, as every 4xx of the hub).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use stoa_core::{CoreError, ErrorCode};

/// No inline script or style anywhere; user images may come from https URLs (cards link them).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `303 See Other`: after a form, the browser GETs the next page.
pub(crate) fn redirect(location: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A failure to show as an error page.
#[derive(Debug)]
pub(crate) struct WebError {
    pub(crate) status: StatusCode,
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "This page does not exist")
    }

    pub(crate) fn sign_in_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, "Sign in to see this page")
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
}

impl From<CoreError> for WebError {
    fn from(error: CoreError) -> Self {
        let code = error.code();
        let status = match code {
            // A repo the viewer may not see is missing, signed in or not (no 401 here: a page
            // that asked anonymous viewers to sign in would tell them the repo exists).
            ErrorCode::RepoNotFound | ErrorCode::RevisionNotFound | ErrorCode::EntryNotFound | ErrorCode::NotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorCode::GatedRepo | ErrorCode::Forbidden | ErrorCode::FileQuarantined => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::BadRequest | ErrorCode::CommitRejected | ErrorCode::InvalidCard => StatusCode::BAD_REQUEST,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if code == ErrorCode::Internal {
            tracing::error!(error = %error, "page failed");
            "Something went wrong on our side".to_owned()
        } else {
            error.to_string()
        };
        Self { status, code, message }
    }
}

/// Adds the error headers to an error page.
pub(crate) fn with_error_headers(mut response: Response, error: &WebError) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-error-code", HeaderValue::from_static(error.code.name()));
    let message: String =
        error.message.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).take(1000).collect();
    if let Ok(value) = HeaderValue::from_str(&message) {
        headers.insert("x-error-message", value);
    }
    response
}
