//! Uploading files through the page (multipart form), as a commit or as a pull request.

use axum::body::Body;

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn upload(_ctx: &Ctx<'_>, _repo: &RepoCtx, _revision: &str, _body: Body) -> PageResult {
    Err(WebError::not_found())
}
