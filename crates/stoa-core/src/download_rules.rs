//! Which `/resolve` requests count as a download (hub-api.md, appendix). The rules are data
//! (`download_rules.txt`), so an instance can read its own table instead.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use stoa_types::RepoType;

const BUILTIN_RULES: &str = include_str!("download_rules.txt");

#[derive(Debug)]
pub struct DownloadRules {
    models: Gitignore,
    datasets: Gitignore,
}

impl Default for DownloadRules {
    fn default() -> Self {
        Self::parse(BUILTIN_RULES)
    }
}

impl DownloadRules {
    /// Parses `<type> <pattern>` lines; unknown types and bad patterns are skipped.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut models = GitignoreBuilder::new("");
        let mut datasets = GitignoreBuilder::new("");
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((kind, pattern)) = line.split_once(' ') else {
                continue;
            };
            let builder = match kind {
                "model" => &mut models,
                "dataset" => &mut datasets,
                _ => continue,
            };
            let _ = builder.add_line(None, pattern.trim());
        }
        Self {
            models: models.build().unwrap_or_else(|_| Gitignore::empty()),
            datasets: datasets.build().unwrap_or_else(|_| Gitignore::empty()),
        }
    }

    #[must_use]
    pub fn counts(&self, repo_type: RepoType, path: &str) -> bool {
        let matcher = match repo_type {
            RepoType::Model => &self.models,
            RepoType::Dataset => &self.datasets,
            RepoType::Space => return false,
        };
        matcher.matched(path, false).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_config_counts_once() {
        let rules = DownloadRules::default();
        assert!(rules.counts(RepoType::Model, "config.json"));
        assert!(!rules.counts(RepoType::Model, "sub/config.json"));
        assert!(!rules.counts(RepoType::Model, "model.safetensors"));
        assert!(rules.counts(RepoType::Model, "q4/model.Q4_K_M.gguf"));
        assert!(rules.counts(RepoType::Dataset, "data/train.parquet"));
        assert!(!rules.counts(RepoType::Space, "config.json"));
    }
}
