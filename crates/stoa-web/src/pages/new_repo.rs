//! Creating a repo.

use axum::body::Body;

use super::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn new_repo(_ctx: &Ctx<'_>, _body: Body) -> PageResult {
    Err(WebError::not_found())
}
