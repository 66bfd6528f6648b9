//! The owners' settings page: visibility, gating, rename, delete.

use axum::body::Body;

use super::RepoCtx;
use crate::pages::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn settings(_ctx: &Ctx<'_>, _repo: &RepoCtx, _form: Option<&str>, _body: Body) -> PageResult {
    Err(WebError::not_found())
}
