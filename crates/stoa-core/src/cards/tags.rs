//! Tags the Hub derives from a repo's card and files (cards-datasets.md §5.1): what listings
//! filter on (`?other=base_model:quantized:<id>`, `?filter=arxiv:<id>`).

use serde_json::{Map, Value};
use stoa_types::RepoType;

use super::lineage::{base_models, infer_relation};

/// Longest `config.json` parsed for tags; real ones are a few KiB.
const MAX_CONFIG_JSON: usize = 1024 * 1024;
/// A card citing more papers than this is not a paper index: the rest are not tagged.
const MAX_ARXIV_TAGS: usize = 64;

/// Everything tags are derived from, at one commit.
#[derive(Debug, Clone, Copy)]
pub struct TagSources<'a> {
    pub repo_type: RepoType,
    /// The parsed front matter, if the card has valid metadata.
    pub card: Option<&'a Map<String, Value>>,
    /// The whole README text (arXiv links are found in the body).
    pub readme: &'a str,
    /// Every file path of the commit.
    pub files: &'a [&'a str],
    /// The text of a root `config.json`, when there is one.
    pub config_json: Option<&'a str>,
}

/// Whether a change to this path can change the derived tags (so a commit touching none of
/// them keeps the stored tags).
#[must_use]
pub fn affects_tags(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    matches!(path, "README.md" | "config.json")
        || lower.ends_with(".gguf")
        || lower.ends_with(".safetensors")
        || lower.ends_with("adapter_config.json")
        || lower.ends_with("mergekit_config.yml")
}

fn strings_of(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// An ordered set: tags keep the order they are first derived in.
#[derive(Default)]
struct Tags(Vec<String>);

impl Tags {
    fn push(&mut self, tag: String) {
        if !tag.is_empty() && !self.0.contains(&tag) {
            self.0.push(tag);
        }
    }

    fn field(&mut self, card: &Map<String, Value>, key: &str, prefix: &str) {
        if let Some(value) = card.get(key) {
            strings_of(value).into_iter().for_each(|item| self.push(format!("{prefix}{item}")));
        }
    }
}

/// Tags of a model card alone (no files, no body): the card's own tags, library, pipeline tag,
/// `license:`, `dataset:`, `base_model:` and `base_model:<relation>:` tags, and languages.
#[must_use]
pub fn derive_tags(card: &Map<String, Value>) -> Vec<String> {
    repo_tags(&TagSources { repo_type: RepoType::Model, card: Some(card), readme: "", files: &[], config_json: None })
}

/// All derived tags of a repo at a commit, in a stable order: card tags, then metadata tags
/// (shaped per repo type: datasets use the Hub's `key:value` forms), then `arxiv:` tags from
/// links anywhere in the README, then format tags from the file list (models).
#[must_use]
pub fn repo_tags(sources: &TagSources<'_>) -> Vec<String> {
    let mut tags = Tags::default();
    if let Some(card) = sources.card {
        tags.field(card, "tags", "");
        match sources.repo_type {
            RepoType::Model => model_tags(&mut tags, card, sources),
            RepoType::Dataset => {
                for key in [
                    "task_categories",
                    "task_ids",
                    "language",
                    "multilinguality",
                    "size_categories",
                    "source_datasets",
                    "annotations_creators",
                    "language_creators",
                ] {
                    tags.field(card, key, &format!("{key}:"));
                }
                tags.field(card, "license", "license:");
            }
            RepoType::Space => {
                tags.field(card, "sdk", "");
                tags.field(card, "license", "license:");
            }
        }
    }
    arxiv_ids(sources.readme).into_iter().take(MAX_ARXIV_TAGS).for_each(|id| tags.push(format!("arxiv:{id}")));
    if sources.repo_type == RepoType::Model {
        let has_extension =
            |extension: &str| sources.files.iter().any(|path| path.to_ascii_lowercase().ends_with(extension));
        if has_extension(".gguf") {
            tags.push("gguf".to_owned());
        }
        if has_extension(".safetensors") {
            tags.push("safetensors".to_owned());
        }
    }
    tags.0
}

fn model_tags(tags: &mut Tags, card: &Map<String, Value>, sources: &TagSources<'_>) {
    tags.field(card, "library_name", "");
    tags.field(card, "pipeline_tag", "");
    tags.field(card, "license", "license:");
    tags.field(card, "datasets", "dataset:");
    let parents = base_models(card);
    let config = sources
        .config_json
        .filter(|text| text.len() <= MAX_CONFIG_JSON)
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    let relation = infer_relation(card, sources.files, config.as_ref()).map(|(relation, _)| relation);
    for parent in &parents {
        tags.push(format!("base_model:{parent}"));
    }
    if let Some(relation) = relation {
        for parent in &parents {
            tags.push(format!("base_model:{}:{parent}", relation.as_str()));
        }
    }
    tags.field(card, "language", "");
}

/// Tags of a repo at a revision whose README body is not at hand (repo info reads only the
/// card): derived from the card and files, plus the `arxiv:` tags stored with the repo (derived
/// from the body at the last commit to `main`).
#[must_use]
pub fn revision_tags(repo_type: RepoType, card: &Map<String, Value>, files: &[&str], stored: &[String]) -> Vec<String> {
    let mut tags = Tags(repo_tags(&TagSources { repo_type, card: Some(card), readme: "", files, config_json: None }));
    stored.iter().filter(|tag| tag.starts_with("arxiv:")).for_each(|tag| tags.push(tag.clone()));
    tags.0
}

/// arXiv ids linked from a text (`arxiv.org/abs/<id>`, `arxiv.org/pdf/<id>[.pdf]`,
/// `huggingface.co/papers/<id>`), without version suffix, in order of first appearance.
#[must_use]
pub fn arxiv_ids(text: &str) -> Vec<String> {
    const MARKERS: [(&str, bool); 3] =
        [("arxiv.org/abs/", true), ("arxiv.org/pdf/", true), ("huggingface.co/papers/", false)];
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<(usize, String)> = Vec::new();
    for (marker, old_style) in MARKERS {
        for (at, _) in lower.match_indices(marker) {
            let start = at + marker.len();
            if let Some(id) = arxiv_id_at(&text[start..], old_style) {
                found.push((at, id));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    let mut ids: Vec<String> = Vec::new();
    for (_, id) in found {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The id at the start of `rest`: `YYMM.NNNN[N]` (since 2007), or with `old_style` the
/// `archive[.XX]/YYMMNNN` form; a trailing `vN` is dropped.
fn arxiv_id_at(rest: &str, old_style: bool) -> Option<String> {
    let bytes = rest.as_bytes();
    let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let ends_cleanly = |end: usize| bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric() || *b == b'v');
    let year_month = digits(0);
    if year_month == 4 && bytes.get(4) == Some(&b'.') {
        let number = digits(5);
        let end = 5 + number;
        return ((4..=5).contains(&number) && ends_cleanly(end)).then(|| rest[..end].to_owned());
    }
    if !old_style {
        return None;
    }
    let archive = bytes.iter().take_while(|b| b.is_ascii_lowercase() || **b == b'-').count();
    if archive == 0 {
        return None;
    }
    let mut end = archive;
    if bytes.get(end) == Some(&b'.')
        && bytes.get(end + 1..end + 3).is_some_and(|s| s.iter().all(u8::is_ascii_uppercase))
    {
        end += 3;
    }
    if bytes.get(end) != Some(&b'/') || digits(end + 1) != 7 {
        return None;
    }
    end += 8;
    ends_cleanly(end).then(|| rest[..end].to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn card(value: Value) -> Map<String, Value> {
        let Value::Object(card) = value else { panic!("an object") };
        card
    }

    #[test]
    fn card_tags_keep_the_existing_order() {
        let card = card(json!({"license": "mit", "tags": ["a"], "datasets": ["u/d"], "library_name": "peft"}));
        assert_eq!(derive_tags(&card), vec!["a", "peft", "license:mit", "dataset:u/d"]);
    }

    #[test]
    fn base_model_tags_carry_the_relation() {
        let quantized = card(json!({"base_model": "meta-llama/Llama-3.1-8B", "language": ["en", "fr"]}));
        let files = ["model-q4.gguf", "README.md"];
        let sources = TagSources {
            repo_type: RepoType::Model,
            card: Some(&quantized),
            readme: "",
            files: &files,
            config_json: None,
        };
        assert_eq!(
            repo_tags(&sources),
            vec![
                "base_model:meta-llama/Llama-3.1-8B",
                "base_model:quantized:meta-llama/Llama-3.1-8B",
                "en",
                "fr",
                "gguf"
            ]
        );
        let merge = card(json!({"base_model": ["a/x", "b/y"]}));
        let tags = derive_tags(&merge);
        assert!(tags.contains(&"base_model:merge:a/x".to_owned()) && tags.contains(&"base_model:merge:b/y".to_owned()));
        let config = r#"{"quantization_config": {"quant_method": "awq"}}"#;
        let plain = card(json!({"base_model": "a/x"}));
        let with_config = TagSources { config_json: Some(config), card: Some(&plain), ..sources };
        assert!(repo_tags(&with_config).contains(&"base_model:quantized:a/x".to_owned()));
    }

    #[test]
    fn format_tags_come_from_files() {
        let files = ["model-00001-of-00002.safetensors", "sub/x.GGUF"];
        let sources =
            TagSources { repo_type: RepoType::Model, card: None, readme: "", files: &files, config_json: None };
        assert_eq!(repo_tags(&sources), vec!["gguf", "safetensors"]);
        let dataset = TagSources { repo_type: RepoType::Dataset, ..sources };
        assert!(repo_tags(&dataset).is_empty(), "format tags are for models");
    }

    #[test]
    fn arxiv_links_become_tags() {
        let readme = "---\nlicense: mit\n---\nSee [paper](https://arxiv.org/abs/2307.09288v2) and \
                      https://arxiv.org/pdf/1706.03762.pdf, https://huggingface.co/papers/2401.00001, \
                      http://ARXIV.org/abs/hep-th/9901001 and again arxiv.org/abs/2307.09288. \
                      Not ids: arxiv.org/abs/123.4567, arxiv.org/abs/2307.092881, huggingface.co/papers/hep-th/9901001";
        assert_eq!(arxiv_ids(readme), vec!["2307.09288", "1706.03762", "2401.00001", "hep-th/9901001"]);
        let card = card(json!({"license": "mit"}));
        let sources =
            TagSources { repo_type: RepoType::Model, card: Some(&card), readme, files: &[], config_json: None };
        let tags = repo_tags(&sources);
        assert_eq!(tags[0], "license:mit");
        assert!(tags.contains(&"arxiv:2307.09288".to_owned()) && tags.contains(&"arxiv:hep-th/9901001".to_owned()));
        assert_eq!(arxiv_ids("arxiv.org/abs/math.GT/0309136"), vec!["math.GT/0309136"]);
    }

    #[test]
    fn dataset_and_space_tags() {
        let dataset = card(json!({
            "license": "cc-by-4.0", "language": ["en"], "task_categories": ["text-generation"],
            "size_categories": "1K<n<10K", "tags": ["synthetic"]
        }));
        let sources = TagSources {
            repo_type: RepoType::Dataset,
            card: Some(&dataset),
            readme: "",
            files: &[],
            config_json: None,
        };
        assert_eq!(
            repo_tags(&sources),
            vec![
                "synthetic",
                "task_categories:text-generation",
                "language:en",
                "size_categories:1K<n<10K",
                "license:cc-by-4.0"
            ]
        );
        let space = card(json!({"sdk": "gradio", "license": "mit"}));
        let sources = TagSources { repo_type: RepoType::Space, card: Some(&space), ..sources };
        assert_eq!(repo_tags(&sources), vec!["gradio", "license:mit"]);
    }

    #[test]
    fn revision_tags_keep_stored_arxiv_tags() {
        let card = card(json!({"license": "mit"}));
        let stored = ["license:apache-2.0".to_owned(), "arxiv:2106.09685".to_owned()];
        assert_eq!(
            revision_tags(RepoType::Model, &card, &["m.gguf"], &stored),
            vec!["license:mit", "gguf", "arxiv:2106.09685"]
        );
    }

    #[test]
    fn tag_affecting_paths() {
        for path in
            ["README.md", "config.json", "a/b.gguf", "m.safetensors", "adapter_config.json", "mergekit_config.yml"]
        {
            assert!(affects_tags(path), "{path}");
        }
        for path in ["docs/README.md", "tokenizer.json", "sub/config.json", "model.bin"] {
            assert!(!affects_tags(path), "{path}");
        }
    }
}
