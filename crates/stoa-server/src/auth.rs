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

/// The caller of a request. An unknown token is refused on every route, public or not.
pub(crate) async fn principal(state: &AppState, headers: &HeaderMap) -> ApiResult<Principal> {
    let token = token_from(headers);
    state.hub.authenticate(token.as_deref()).await.map_err(|error| ApiError::new(error, true))
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
