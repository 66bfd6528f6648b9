//! Commit history, one commit's diff, and the branches and tags.

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn commits(_ctx: &Ctx<'_>, _repo: &RepoCtx, _revision: &str) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn commit(_ctx: &Ctx<'_>, _repo: &RepoCtx, _id: &str) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn refs(_ctx: &Ctx<'_>, _repo: &RepoCtx) -> PageResult {
    Err(WebError::not_found())
}
