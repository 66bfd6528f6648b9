//! Discussions and pull requests: the list, a new discussion, one discussion and its actions.

use axum::body::Body;

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn list(_ctx: &Ctx<'_>, _repo: &RepoCtx) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn new(_ctx: &Ctx<'_>, _repo: &RepoCtx, _body: Body) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn discussion(
    _ctx: &Ctx<'_>,
    _repo: &RepoCtx,
    _num: u64,
    _action: Option<&str>,
    _body: Body,
) -> PageResult {
    Err(WebError::not_found())
}
