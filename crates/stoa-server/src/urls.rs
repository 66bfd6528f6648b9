//! Absolute URLs, all built from the configured public base URL (hub-api.md §1.1): clients
//! compare them as strings with what they put in `HF_ENDPOINT`.

use stoa_types::RepoType;

#[derive(Debug, Clone)]
pub struct PublicUrl {
    base: String,
}

impl PublicUrl {
    /// `base` is used verbatim, minus a trailing `/`.
    #[must_use]
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_owned() }
    }

    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `<base>/<prefix><ns>/<name>`, the repo's web URL.
    #[must_use]
    pub fn repo(&self, repo_type: RepoType, full_name: &str) -> String {
        format!("{}/{}{}", self.base, repo_type.web_prefix(), full_name)
    }

    #[must_use]
    pub fn absolute(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }
}
