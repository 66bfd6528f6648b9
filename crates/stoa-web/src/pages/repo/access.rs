//! Gated access: the request form (from the card's `extra_gated_fields`) and the owners' review page.

use axum::body::Body;

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn ask_access(_ctx: &Ctx<'_>, _repo: &RepoCtx, _body: Body) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn access_requests(_ctx: &Ctx<'_>, _repo: &RepoCtx, _body: Body) -> PageResult {
    Err(WebError::not_found())
}
