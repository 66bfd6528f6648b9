//! Credentials: `Authorization: Bearer <token>` (the Python and JS clients) or HTTP Basic with
//! any user name and the token as password (git and git-lfs, hub-api.md §1.5).

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use stoa_core::access::Principal;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

pub(crate) fn token_from(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_owned()).filter(|token| !token.is_empty());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(credentials).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        return Some(password.to_owned()).filter(|token| !token.is_empty());
    }
    None
}

/// The cookie of a browser session.
pub(crate) const SESSION_COOKIE: &str = "stoa_session";

/// The session cookie's value, if the request carries one.
pub(crate) fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The caller of a request. An unknown token is refused on every route, public or not.
///
/// A browser session counts only with its CSRF token in `X-CSRF-Token`: a cross-site page can
/// make the browser send the cookie but cannot set that header, so no API call is forgeable.
/// Without the header the cookie is ignored (the request is anonymous).
pub(crate) async fn principal(state: &AppState, headers: &HeaderMap) -> ApiResult<Principal> {
    let token = token_from(headers);
    if token.is_none()
        && let Some(secret) = session_secret(headers)
        && let Some(sent) = headers.get("x-csrf-token").and_then(|value| value.to_str().ok())
    {
        let session = state.hub.session_principal(&secret).await.map_err(|error| ApiError::new(error, true))?;
        let Some((principal, csrf_token)) = session else {
            return Err(ApiError::new(
                stoa_core::CoreError::Unauthenticated("Your session has ended; sign in again".to_owned()),
                true,
            ));
        };
        if !constant_time_eq(sent.as_bytes(), csrf_token.as_bytes()) {
            return Err(ApiError::new(stoa_core::CoreError::Forbidden("Invalid CSRF token".to_owned()), false));
        }
        return Ok(principal);
    }
    state.hub.authenticate(token.as_deref()).await.map_err(|error| ApiError::new(error, true))
}

/// Compares secrets without an early exit that would time the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_and_basic_are_accepted() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer hf_abc"));
        assert_eq!(token_from(&headers).as_deref(), Some("hf_abc"));
        let basic = base64::engine::general_purpose::STANDARD.encode("anyone:hf_xyz");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {basic}")).expect("ascii"));
        assert_eq!(token_from(&headers).as_deref(), Some("hf_xyz"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(token_from(&headers), None);
    }
}

/// The caller of one request, and how its domain errors become HTTP errors: a hidden repo
/// answers 401 to anonymous callers (so git asks for credentials) and 404 to signed-in ones.
#[derive(Debug)]
pub(crate) struct Caller {
    pub(crate) principal: Principal,
}

impl Caller {
    pub(crate) async fn from_headers(state: &AppState, headers: &HeaderMap) -> ApiResult<Self> {
        Ok(Self { principal: principal(state, headers).await? })
    }

    pub(crate) fn fail(&self, error: stoa_core::CoreError) -> ApiError {
        ApiError::new(error, self.principal.user().is_none())
    }

    /// The repo named in the URL, if this caller may read it.
    pub(crate) async fn repo(
        &self,
        state: &AppState,
        repo: &crate::endpoint::RepoRef,
    ) -> ApiResult<stoa_core::ports::Repo> {
        state.hub.find_repo(&self.principal, repo.repo_type, &repo.id).await.map_err(|error| self.fail(error))
    }
}
