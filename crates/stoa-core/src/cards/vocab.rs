//! The controlled vocabularies of card metadata, shipped as versioned data files under
//! `crates/stoa-core/data/` (each names its source and date) and parsed once on first use.

use std::collections::HashSet;
use std::sync::LazyLock;

/// An ordered list of ids with a set for lookups: the order is kept because error messages list
/// the accepted values the way the Hub does.
#[derive(Debug)]
pub struct Vocabulary {
    ids: Vec<&'static str>,
    set: HashSet<&'static str>,
}

impl Vocabulary {
    /// One id per line (the first tab-separated field); `#` lines and blank lines are skipped.
    fn parse(text: &'static str) -> Self {
        let ids: Vec<&'static str> = text
            .lines()
            .map(str::trim_end)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| line.split('\t').next().unwrap_or(line))
            .collect();
        let set = ids.iter().copied().collect();
        Self { ids, set }
    }

    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    #[must_use]
    pub fn ids(&self) -> &[&'static str] {
        &self.ids
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// `[a, b, c]`, as Joi lists the valid values of a field.
    #[must_use]
    pub fn joined(&self) -> String {
        format!("[{}]", self.ids.join(", "))
    }
}

/// Hub licence slugs (`repositories-licenses.md`): lowercase Hub ids, not SPDX ids.
pub static LICENSES: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(include_str!("../../data/licenses.txt")));

/// Task ids (`pipelines.ts`), for `pipeline_tag` and dataset `task_categories`.
pub static PIPELINE_TAGS: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(include_str!("../../data/pipeline_tags.txt")));

/// Model library keys (`model-libraries.ts`).
pub static MODEL_LIBRARIES: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(include_str!("../../data/model_libraries.txt")));

/// Dataset library keys (`dataset-libraries.ts`).
pub static DATASET_LIBRARIES: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(include_str!("../../data/dataset_libraries.txt")));

/// ISO 639-1 and 639-3 codes plus the specials `code` and `multilingual`.
pub static LANGUAGES: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(include_str!("../../data/languages.txt")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_load_with_the_expected_sizes() {
        assert_eq!(LICENSES.len(), 83);
        assert_eq!(PIPELINE_TAGS.len(), 57);
        assert_eq!(DATASET_LIBRARIES.len(), 12);
        assert!(MODEL_LIBRARIES.len() >= 200, "{}", MODEL_LIBRARIES.len());
        assert!(LANGUAGES.len() > 8000, "{}", LANGUAGES.len());
        assert_eq!(PIPELINE_TAGS.ids()[0], "text-classification");
        assert_eq!(PIPELINE_TAGS.ids().last(), Some(&"other"));
    }

    #[test]
    fn lookups() {
        for license in ["apache-2.0", "mit", "llama3.1", "other", "unknown", "openrail++"] {
            assert!(LICENSES.contains(license), "{license}");
        }
        assert!(!LICENSES.contains("gpl-2.0-or-later"), "SPDX forms are not Hub ids");
        for library in ["transformers", "diffusers", "peft", "sentence-transformers", "timm", "mlx", "keras"] {
            assert!(MODEL_LIBRARIES.contains(library), "{library}");
        }
        for code in ["en", "fr", "zh", "yue", "fil", "code", "multilingual"] {
            assert!(LANGUAGES.contains(code), "{code}");
        }
        assert!(!LANGUAGES.contains("english"));
        assert!(DATASET_LIBRARIES.contains("webdataset"));
        assert!(PIPELINE_TAGS.contains("image-text-to-text"));
    }
}
