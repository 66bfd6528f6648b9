//! Repo cards: the YAML front matter of `README.md`, parsed safely into `cardData`, validated
//! the way the Hub's `validate-yaml` answers (hub-api.md §3.11, cards-datasets.md §5), turned
//! into tags, and read for the model tree (§7).
//!
//! Every write path uses [`validate_card`]: `POST /api/validate-yaml`, the commit API and
//! `git push`. Errors block the write; warnings do not.

mod dataset;
pub mod lineage;
mod model_index;
pub mod tags;
mod validate;
pub mod vocab;
pub mod yaml;

use stoa_types::RepoType;

pub use lineage::{Relation, base_models, infer_relation, license_conflict};
pub use tags::{TagSources, affects_tags, arxiv_ids, derive_tags, repo_tags, revision_tags};
pub use yaml::{MAX_FRONT_MATTER, YamlError, front_matter, parse_card_data, split_card};

/// Outcome of `validate-yaml`: errors block a commit, warnings do not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CardValidation {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl CardValidation {
    /// The reason a write of this card is refused, on one line (git reports one line per ref),
    /// or `None` when the card may be written. YAML errors already name the file; schema
    /// errors get the Hub's `Invalid metadata in README.md` lead.
    #[must_use]
    pub fn refusal(&self) -> Option<String> {
        let first = self.errors.first()?;
        if first.starts_with("Invalid YAML in README.md") {
            return Some(self.errors.join("; "));
        }
        Some(format!("Invalid metadata in README.md: {}", self.errors.join("; ")))
    }
}

/// Checks a README the way the Hub's pre-flight does, for a repo of `repo_type`.
#[must_use]
pub fn validate_card(readme: &str, repo_type: RepoType) -> CardValidation {
    match parse_card_data(readme) {
        Ok(Some(card)) => {
            let checker = validate::check(&card, repo_type);
            CardValidation { errors: checker.errors, warnings: checker.warnings }
        }
        Ok(None) => CardValidation {
            errors: Vec::new(),
            warnings: vec!["Empty or missing yaml metadata in repo card".to_owned()],
        },
        Err(error) => CardValidation { errors: vec![error.to_string()], warnings: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_matches_hub_messages() {
        assert_eq!(
            validate_card("# Title", RepoType::Model).warnings,
            vec!["Empty or missing yaml metadata in repo card"]
        );
        assert_eq!(validate_card("---\n---\n# Title", RepoType::Model).warnings.len(), 1);
        assert_eq!(validate_card("---\nlicense: mit\n---\n", RepoType::Model), CardValidation::default());
        let invalid = validate_card("---\nlicense: not-a-licence\n---\n", RepoType::Model);
        assert!(invalid.errors[0].starts_with("\"license\" must be one of"));
        assert_eq!(
            validate_card("---\n- a\n- b\n---\n", RepoType::Model).errors,
            vec!["Invalid YAML in README.md: metadata must be a mapping"]
        );
        assert_eq!(validate_card("---\nlanguage: zh-CN\n---\n", RepoType::Model).errors.len(), 1);
        assert_eq!(
            validate_card("---\nwidget: text\n---\n", RepoType::Model).errors,
            vec!["\"widget\" must be an array"]
        );
        let tagged = validate_card("---\nx: !!python/tuple [1]\n---\n", RepoType::Dataset);
        assert_eq!(tagged.errors, vec!["Invalid YAML in README.md: unknown tag !!python/tuple at line 1 column 4"]);
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(CardValidation::default().refusal(), None);
        let warned = CardValidation { errors: Vec::new(), warnings: vec!["w".to_owned()] };
        assert_eq!(warned.refusal(), None);
        let schema = validate_card("---\npipeline_tag: [x]\nwidget: 1\n---\n", RepoType::Model);
        assert_eq!(
            schema.refusal().as_deref(),
            Some("Invalid metadata in README.md: \"pipeline_tag\" must be a string; \"widget\" must be an array")
        );
        let yaml = validate_card("---\na: !x 1\n---\n", RepoType::Model);
        assert_eq!(yaml.refusal().as_deref(), Some("Invalid YAML in README.md: unknown tag !x at line 1 column 4"));
    }
}
