//! User and organisation pages.

use super::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn profile(_ctx: &Ctx<'_>, _name: &str) -> PageResult {
    Err(WebError::not_found())
}
