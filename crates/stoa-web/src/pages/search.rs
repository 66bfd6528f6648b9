//! Search pages (`/models`, `/datasets`, `/spaces`) with facets and sort.

use stoa_types::RepoType;

use super::{Ctx, PageResult};
use crate::respond::WebError;

pub(crate) async fn search(_ctx: &Ctx<'_>, _repo_type: RepoType) -> PageResult {
    Err(WebError::not_found())
}
