//! The one place where domain errors become HTTP: a status, `X-Error-Code`,
//! `X-Error-Message` and a JSON `{"error": ...}` body (hub-api.md §1.7). Internal causes are
//! logged here, once, and never sent to the client.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stoa_core::{CoreError, ErrorCode};

/// An error on its way to the client (boxed: handlers return it on every path).
#[derive(Debug)]
pub(crate) struct ApiError(Box<ApiErrorInner>);

#[derive(Debug)]
struct ApiErrorInner {
    error: CoreError,
    /// Whether the caller had no credentials: hidden repos then answer 401 rather than 404.
    anonymous: bool,
    headers: HeaderMap,
    body_extra: serde_json::Map<String, serde_json::Value>,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn new(error: CoreError, anonymous: bool) -> Self {
        Self(Box::new(ApiErrorInner {
            error,
            anonymous,
            headers: HeaderMap::new(),
            body_extra: serde_json::Map::new(),
        }))
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(CoreError::BadRequest(message.into()), false)
    }

    pub(crate) fn not_found_route(method: &str, path: &str) -> Self {
        Self::new(CoreError::NotFound(format!("{method} {path} is not an endpoint of this server")), false)
    }

    /// Adds a header to the error response (e.g. `X-Repo-Commit` on a missing file).
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.0.headers.insert(HeaderName::from_static(name), value);
        }
        self
    }

    /// Adds a key to the JSON body (e.g. `url` on a 409 from repo creation).
    pub(crate) fn with_body_field(mut self, key: &str, value: serde_json::Value) -> Self {
        self.0.body_extra.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn is_repo_not_found(&self) -> bool {
        self.0.error.code() == ErrorCode::RepoNotFound
    }

    pub(crate) fn status(&self) -> StatusCode {
        status_of(&self.0.error, self.0.anonymous)
    }
}

fn status_of(error: &CoreError, anonymous: bool) -> StatusCode {
    match error.code() {
        ErrorCode::RepoNotFound if anonymous => StatusCode::UNAUTHORIZED,
        ErrorCode::RepoNotFound | ErrorCode::RevisionNotFound | ErrorCode::EntryNotFound => StatusCode::NOT_FOUND,
        ErrorCode::GatedRepo if anonymous => StatusCode::UNAUTHORIZED,
        ErrorCode::GatedRepo => StatusCode::FORBIDDEN,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::BadRequest | ErrorCode::CommitRejected => StatusCode::BAD_REQUEST,
        ErrorCode::FileQuarantined => StatusCode::FORBIDDEN,
        ErrorCode::InvalidCard => StatusCode::BAD_REQUEST,
        ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Header values must be visible ASCII; anything else is replaced rather than dropped.
fn header_safe(text: &str) -> HeaderValue {
    let cleaned: String =
        text.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).take(1000).collect();
    HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let inner = *self.0;
        let code = inner.error.code();
        let message = if code == ErrorCode::Internal {
            tracing::error!(error = %inner.error, "request failed");
            "Internal Server Error".to_owned()
        } else {
            inner.error.to_string()
        };
        let mut body = inner.body_extra;
        body.insert("error".to_owned(), serde_json::Value::String(message.clone()));
        let mut response = (status, axum::Json(serde_json::Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert("x-error-code", HeaderValue::from_static(code.name()));
        headers.insert("x-error-message", header_safe(&message));
        if let CoreError::RangeNotSatisfiable { size } = &inner.error
            && let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            headers.insert(header::CONTENT_RANGE, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            headers
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Stoa\", charset=\"UTF-8\""));
        }
        headers.extend(inner.headers);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_repos_answer_401_to_anonymous_and_404_otherwise() {
        assert_eq!(status_of(&CoreError::RepoNotFound, true), StatusCode::UNAUTHORIZED);
        assert_eq!(status_of(&CoreError::RepoNotFound, false), StatusCode::NOT_FOUND);
        assert_eq!(status_of(&CoreError::ParentCommitMismatch, false), StatusCode::PRECONDITION_FAILED);
    }

    #[test]
    fn invalid_cards_are_bad_requests() {
        let error =
            CoreError::InvalidCard("Invalid metadata in README.md: \"license\" must be one of [mit]".to_owned());
        assert_eq!(status_of(&error, false), StatusCode::BAD_REQUEST);
        assert_eq!(error.code().name(), "InvalidCard");
    }

    #[test]
    fn header_values_are_sanitised() {
        assert_eq!(header_safe("a\nb é"), "a?b ?");
    }
}
