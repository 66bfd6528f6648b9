//! The repo's front page: the card, the metadata side panel, and the access form of a gated repo.

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn overview(_ctx: &Ctx<'_>, _repo: &RepoCtx) -> PageResult {
    Err(WebError::not_found())
}
