//! Access tokens: list, create (the secret shown once), revoke.

use axum::body::Body;

use super::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn tokens(_ctx: &Ctx<'_>, _body: Body) -> PageResult {
    Err(WebError::not_found())
}

pub(crate) async fn revoke_token(_ctx: &Ctx<'_>, _id: &str, _body: Body) -> PageResult {
    Err(WebError::not_found())
}
