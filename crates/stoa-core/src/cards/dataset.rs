//! Fields of dataset cards (cards-datasets.md §3) and Space cards.

use serde_json::{Map, Value};

use super::validate::{Checker, field};
use super::vocab::PIPELINE_TAGS;

/// `unknown` is not in the current spec but was the datasets tagging app's default: refusing it
/// would block every edit of those older cards.
const SIZE_CATEGORIES: &[&str] = &[
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
    "other",
    "unknown",
];
const MULTILINGUALITY: &[&str] = &["monolingual", "multilingual", "translation", "other"];
const ANNOTATIONS_CREATORS: &[&str] =
    &["found", "crowdsourced", "expert-generated", "machine-generated", "no-annotation", "other"];
const LANGUAGE_CREATORS: &[&str] = &["found", "crowdsourced", "expert-generated", "machine-generated", "other"];
const SPACE_SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];
const SPACE_COLORS: &[&str] = &["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];
const MAX_SHORT_DESCRIPTION: usize = 60;

pub(super) fn check_dataset(checker: &mut Checker, card: &Map<String, Value>) {
    if let Some(value) = field(card, "pretty_name") {
        checker.string("pretty_name", value);
    }
    if let Some(value) = field(card, "task_categories") {
        checker.enumerated("task_categories", value, PIPELINE_TAGS.ids());
    }
    for key in ["task_ids", "source_datasets"] {
        if let Some(value) = field(card, key) {
            checker.string_items(key, value);
        }
    }
    for (key, allowed) in [
        ("size_categories", SIZE_CATEGORIES),
        ("multilinguality", MULTILINGUALITY),
        ("annotations_creators", ANNOTATIONS_CREATORS),
        ("language_creators", LANGUAGE_CREATORS),
    ] {
        if let Some(value) = field(card, key) {
            checker.enumerated(key, value, allowed);
        }
    }
    if let Some(value) = field(card, "viewer") {
        checker.boolean("viewer", value);
    }
    if let Some(info) = field(card, "dataset_info")
        && !info.is_object()
        && !info.is_array()
    {
        checker.error("dataset_info", "must be one of [object, array]");
    }
    if let Some(configs) = field(card, "configs") {
        check_configs(checker, configs);
    }
}

/// `configs: [{config_name, data_files?, data_dir?, default?, ...builder kwargs}]`.
fn check_configs(checker: &mut Checker, configs: &Value) {
    let Some(configs) = checker.array("configs", configs) else { return };
    for (i, config) in configs.iter().enumerate() {
        let path = format!("configs[{i}]");
        let Some(config) = checker.object(&path, config) else { continue };
        match config.get("config_name").filter(|value| !value.is_null()) {
            Some(name) => {
                checker.string(&format!("{path}.config_name"), name);
            }
            None => checker.error(&format!("{path}.config_name"), "is required"),
        }
        if let Some(dir) = config.get("data_dir").filter(|value| !value.is_null()) {
            checker.string(&format!("{path}.data_dir"), dir);
        }
        if let Some(default) = config.get("default").filter(|value| !value.is_null()) {
            checker.boolean(&format!("{path}.default"), default);
        }
        if let Some(files) = config.get("data_files").filter(|value| !value.is_null()) {
            check_data_files(checker, &format!("{path}.data_files"), files);
        }
    }
}

/// A glob, a list of globs, or a list of `{split, path}` where `path` is a glob or a list.
fn check_data_files(checker: &mut Checker, path: &str, files: &Value) {
    let items = match files {
        Value::String(_) => return,
        Value::Array(items) => items,
        _ => return checker.error(path, "must be one of [string, array]"),
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match item {
            Value::String(_) => {}
            Value::Object(split) => {
                match split.get("split") {
                    Some(name) => {
                        checker.string(&format!("{item_path}.split"), name);
                    }
                    None => checker.error(&format!("{item_path}.split"), "is required"),
                }
                match split.get("path") {
                    Some(globs) => {
                        checker.string_items(&format!("{item_path}.path"), globs);
                    }
                    None => checker.error(&format!("{item_path}.path"), "is required"),
                }
            }
            _ => checker.error(&item_path, "must be one of [string, object]"),
        }
    }
}

pub(super) fn check_space(checker: &mut Checker, card: &Map<String, Value>) {
    if let Some(value) = field(card, "sdk")
        && let Some(sdk) = checker.string("sdk", value)
        && !SPACE_SDKS.contains(&sdk.as_str())
    {
        checker.error("sdk", &format!("must be one of [{}]", SPACE_SDKS.join(", ")));
    }
    for key in ["colorFrom", "colorTo"] {
        if let Some(value) = field(card, key)
            && let Some(color) = checker.string(key, value)
            && !SPACE_COLORS.contains(&color.as_str())
        {
            checker.error(key, &format!("must be one of [{}]", SPACE_COLORS.join(", ")));
        }
    }
    for key in ["title", "emoji", "sdk_version", "python_version", "app_file"] {
        if let Some(value) = field(card, key) {
            checker.string(key, value);
        }
    }
    if let Some(value) = field(card, "short_description")
        && let Some(text) = checker.string("short_description", value)
        && text.chars().count() > MAX_SHORT_DESCRIPTION
    {
        checker.error(
            "short_description",
            &format!("length must be less than or equal to {MAX_SHORT_DESCRIPTION} characters long"),
        );
    }
    if let Some(value) = field(card, "pinned") {
        checker.boolean("pinned", value);
    }
    if let Some(port) = field(card, "app_port")
        && !port.is_u64()
    {
        checker.error("app_port", "must be a number");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stoa_types::RepoType;

    use super::super::validate::check;

    fn errors(value: serde_json::Value, repo_type: RepoType) -> Vec<String> {
        let serde_json::Value::Object(card) = value else { panic!("an object") };
        check(&card, repo_type).errors
    }

    #[test]
    fn a_full_dataset_card_passes() {
        let card = json!({
            "pretty_name": "My set", "license": "cc-by-4.0", "language": ["en"],
            "task_categories": ["text-classification"], "task_ids": ["sentiment-classification"],
            "size_categories": ["10K<n<100K"], "multilinguality": "monolingual",
            "annotations_creators": ["crowdsourced"], "language_creators": ["found"],
            "source_datasets": ["original"], "viewer": true,
            "configs": [
                {"config_name": "default", "default": true, "data_files": [{"split": "train", "path": "data/train-*"}]},
                {"config_name": "raw", "data_files": "raw/*.csv", "sep": ";"}
            ],
            "dataset_info": {"features": [{"name": "text", "dtype": "string"}]}
        });
        assert_eq!(errors(card, RepoType::Dataset), Vec::<String>::new());
    }

    #[test]
    fn dataset_errors() {
        let wrong = errors(json!({"task_categories": ["conversational"]}), RepoType::Dataset);
        assert!(wrong[0].starts_with("\"task_categories[0]\" must be one of [text-classification,"), "{wrong:?}");
        assert_eq!(
            errors(json!({"size_categories": "huge"}), RepoType::Dataset),
            vec![
                "\"size_categories\" must be one of [n<1K, 1K<n<10K, 10K<n<100K, 100K<n<1M, 1M<n<10M, 10M<n<100M, \
             100M<n<1B, 1B<n<10B, 10B<n<100B, 100B<n<1T, n>1T, other, unknown]"
            ]
        );
        assert_eq!(
            errors(json!({"multilinguality": ["bilingual"]}), RepoType::Dataset),
            vec!["\"multilinguality[0]\" must be one of [monolingual, multilingual, translation, other]"]
        );
        assert_eq!(errors(json!({"language_creators": ["no-annotation"]}), RepoType::Dataset).len(), 1);
        assert!(errors(json!({"annotations_creators": ["no-annotation"]}), RepoType::Dataset).is_empty());
        assert_eq!(errors(json!({"viewer": "no"}), RepoType::Dataset), vec!["\"viewer\" must be a boolean"]);
        assert_eq!(
            errors(json!({"configs": [{"data_files": "x"}]}), RepoType::Dataset),
            vec!["\"configs[0].config_name\" is required"]
        );
        assert_eq!(
            errors(json!({"configs": [{"config_name": "a", "data_files": [{"path": 3}]}]}), RepoType::Dataset),
            vec![
                "\"configs[0].data_files[0].split\" is required",
                "\"configs[0].data_files[0].path\" must be one of [string, array]"
            ]
        );
        assert_eq!(
            errors(json!({"dataset_info": "x"}), RepoType::Dataset),
            vec!["\"dataset_info\" must be one of [object, array]"]
        );
    }

    #[test]
    fn space_fields() {
        let card = json!({"title": "Demo", "emoji": "🚀", "colorFrom": "red", "colorTo": "blue", "sdk": "gradio",
                          "sdk_version": "4.0.0", "app_file": "app.py", "pinned": false, "app_port": 7860});
        assert!(errors(card, RepoType::Space).is_empty());
        assert_eq!(
            errors(json!({"sdk": "flask"}), RepoType::Space),
            vec!["\"sdk\" must be one of [gradio, streamlit, docker, static]"]
        );
        assert_eq!(errors(json!({"colorFrom": "orange"}), RepoType::Space).len(), 1);
        assert_eq!(
            errors(json!({"short_description": "x".repeat(61)}), RepoType::Space),
            vec!["\"short_description\" length must be less than or equal to 60 characters long"]
        );
        assert_eq!(errors(json!({"app_port": "80"}), RepoType::Space), vec!["\"app_port\" must be a number"]);
    }
}
