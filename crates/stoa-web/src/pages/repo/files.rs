//! The file browser, the file view and raw file downloads.

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn tree(_ctx: &Ctx<'_>, _repo: &RepoCtx, _revision: &str, _path: &str) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn blob(_ctx: &Ctx<'_>, _repo: &RepoCtx, _revision: &str, _path: &str) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn raw(_ctx: &Ctx<'_>, _repo: &RepoCtx, _revision: &str, _path: &str) -> PageResult {
    Err(WebError::not_found())
}
