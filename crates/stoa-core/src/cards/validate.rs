//! The schema check of card metadata, worded like the Hub's Joi messages (`"license" must be
//! one of [...]`, `"language[0]" must only contain lowercase characters`). Errors block a write;
//! warnings are shown but accepted. Fields a repo type does not define are not checked, and
//! `null` counts as absent (card templates leave fields empty).

use serde_json::{Map, Value};
use stoa_types::{RepoId, RepoType};

use super::lineage::Relation;
use super::vocab::{LANGUAGES, LICENSES, MODEL_LIBRARIES, PIPELINE_TAGS};
use super::{dataset, model_index};

/// Longest `base_model` list accepted (cards-datasets.md §7.2).
const MAX_BASE_MODELS: usize = 64;

/// Collects the messages of one validation.
#[derive(Debug, Default)]
pub(super) struct Checker {
    pub(super) errors: Vec<String>,
    pub(super) warnings: Vec<String>,
}

impl Checker {
    /// `"path" rule`, the Joi shape.
    pub(super) fn error(&mut self, path: &str, rule: &str) {
        self.errors.push(format!("\"{path}\" {rule}"));
    }

    pub(super) fn warn(&mut self, path: &str, rule: &str) {
        self.warnings.push(format!("\"{path}\" {rule}"));
    }

    /// The items of a field that may be one string or a list of strings, each with its path
    /// (`key` for a single string, `key[i]` in a list); other shapes are reported.
    pub(super) fn string_items<'a>(&mut self, key: &str, value: &'a Value) -> Vec<(String, &'a str)> {
        match value {
            Value::String(text) => vec![(key.to_owned(), text.as_str())],
            Value::Array(items) => {
                let mut strings = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let path = format!("{key}[{index}]");
                    match item.as_str() {
                        Some(text) => strings.push((path, text)),
                        None => self.error(&path, "must be a string"),
                    }
                }
                strings
            }
            _ => {
                self.error(key, "must be one of [string, array]");
                Vec::new()
            }
        }
    }

    /// Each item must be one of `allowed` (listed in the message, as Joi does).
    pub(super) fn enumerated(&mut self, key: &str, value: &Value, allowed: &[&str]) {
        for (path, item) in self.string_items(key, value) {
            if !allowed.contains(&item) {
                self.error(&path, &format!("must be one of [{}]", allowed.join(", ")));
            }
        }
    }

    pub(super) fn string(&mut self, path: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.error(path, "must be a string");
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, path: &str, value: &Value) {
        if !value.is_boolean() {
            self.error(path, "must be a boolean");
        }
    }

    pub(super) fn object<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.error(path, "must be of type object");
        }
        object
    }

    pub(super) fn array<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a Vec<Value>> {
        let array = value.as_array();
        if array.is_none() {
            self.error(path, "must be an array");
        }
        array
    }
}

/// A present, non-null field.
pub(super) fn field<'a>(card: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    card.get(key).filter(|value| !value.is_null())
}

/// Checks metadata for a repo of `repo_type`.
pub(super) fn check(card: &Map<String, Value>, repo_type: RepoType) -> Checker {
    let mut checker = Checker::default();
    check_licence(&mut checker, card);
    check_languages(&mut checker, card);
    for key in ["tags", "datasets", "metrics", "models"] {
        if let Some(value) = field(card, key) {
            checker.string_items(key, value);
        }
    }
    for key in ["thumbnail", "extra_gated_prompt", "extra_gated_heading", "extra_gated_description"] {
        if let Some(value) = field(card, key) {
            checker.string(key, value);
        }
    }
    if let Some(fields) = field(card, "extra_gated_fields") {
        checker.object("extra_gated_fields", fields);
    }
    match repo_type {
        RepoType::Model => check_model(&mut checker, card),
        RepoType::Dataset => dataset::check_dataset(&mut checker, card),
        RepoType::Space => dataset::check_space(&mut checker, card),
    }
    checker
}

fn check_licence(checker: &mut Checker, card: &Map<String, Value>) {
    let Some(license) = field(card, "license") else { return };
    let mut other = false;
    for (path, id) in checker.string_items("license", license) {
        if LICENSES.contains(id) {
            other |= id == "other";
        } else {
            checker.error(&path, &format!("must be one of {}", LICENSES.joined()));
        }
    }
    for key in ["license_name", "license_link"] {
        match field(card, key) {
            Some(value) => {
                checker.string(key, value);
            }
            None if other => checker.warn(key, "should be set when \"license\" is \"other\""),
            None => {}
        }
    }
    if let Some(name) = field(card, "license_name").and_then(Value::as_str)
        && !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_'))
    {
        checker.warn("license_name", "should be a lowercase slug like \"my-license-1.0\"");
    }
}

/// Lowercase is required (the Hub's rule); a well-formed but unknown code is only a warning,
/// since deployments tag languages the ISO tables lack.
fn check_languages(checker: &mut Checker, card: &Map<String, Value>) {
    let Some(language) = field(card, "language") else { return };
    for (path, code) in checker.string_items("language", language) {
        if code.chars().any(char::is_uppercase) {
            checker.error(&path, "must only contain lowercase characters");
            continue;
        }
        let well_formed = code.len() <= 35
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            checker.error(&path, "must be a language code (ISO 639-1 or 639-3, or BCP-47 like \"en-gb\")");
            continue;
        }
        let primary = code.split('-').next().unwrap_or(code);
        if !LANGUAGES.contains(code) && !LANGUAGES.contains(primary) {
            checker.warn(&path, &format!("is not a known language code: \"{code}\""));
        }
    }
}

/// `owner/name` or a bare `name`, each part under the Hub's repo name rules.
fn looks_like_repo_id(id: &str) -> bool {
    match id.split_once('/') {
        Some((owner, name)) => RepoId::is_valid_name(owner) && RepoId::is_valid_name(name),
        None => RepoId::is_valid_name(id),
    }
}

fn check_model(checker: &mut Checker, card: &Map<String, Value>) {
    if let Some(value) = field(card, "pipeline_tag")
        && let Some(tag) = checker.string("pipeline_tag", value)
        && !PIPELINE_TAGS.contains(&tag)
    {
        checker.error("pipeline_tag", &format!("must be one of {}", PIPELINE_TAGS.joined()));
    }
    if let Some(value) = field(card, "library_name")
        && let Some(library) = checker.string("library_name", value)
        && !MODEL_LIBRARIES.contains(&library)
    {
        checker.warn("library_name", &format!("is not a known library: \"{library}\" (no library-specific features)"));
    }
    check_base_model(checker, card);
    if let Some(value) = field(card, "new_version")
        && let Some(id) = checker.string("new_version", value)
        && !looks_like_repo_id(&id)
    {
        checker.error("new_version", "must be a model id (\"owner/name\" or \"name\")");
    }
    if let Some(inference) = field(card, "inference")
        && !inference.is_boolean()
        && !inference.is_object()
    {
        checker.error("inference", "must be one of [boolean, object]");
    }
    if let Some(emissions) = field(card, "co2_eq_emissions")
        && !emissions.is_number()
        && !emissions.is_object()
    {
        checker.error("co2_eq_emissions", "must be one of [number, object]");
    }
    if let Some(widget) = field(card, "widget") {
        model_index::check_widget(checker, widget);
    }
    if let Some(index) = field(card, "model-index") {
        model_index::check_model_index(checker, index);
    }
}

fn check_base_model(checker: &mut Checker, card: &Map<String, Value>) {
    let base_model = field(card, "base_model");
    if let Some(value) = base_model {
        if value.as_array().is_some_and(|items| items.len() > MAX_BASE_MODELS) {
            checker.error("base_model", &format!("must contain less than or equal to {MAX_BASE_MODELS} items"));
        }
        for (path, id) in checker.string_items("base_model", value) {
            if !looks_like_repo_id(id) {
                checker.error(&path, "must be a model id (\"owner/name\" or \"name\")");
            }
        }
    }
    let Some(relation) = field(card, "base_model_relation") else { return };
    let allowed: Vec<&str> = Relation::ALL.iter().map(|relation| relation.as_str()).collect();
    match relation.as_str() {
        Some(text) if Relation::parse(text).is_some() => {}
        _ => checker.error("base_model_relation", &format!("must be one of [{}]", allowed.join(", "))),
    }
    if base_model.is_none() {
        checker.error("base_model_relation", "missing required peer \"base_model\"");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(value: Value) -> Vec<String> {
        let Value::Object(card) = value else { panic!("an object") };
        check(&card, RepoType::Model).errors
    }

    fn warnings(value: Value) -> Vec<String> {
        let Value::Object(card) = value else { panic!("an object") };
        check(&card, RepoType::Model).warnings
    }

    #[test]
    fn licences() {
        assert!(errors(json!({"license": "mit"})).is_empty());
        assert!(errors(json!({"license": ["mit", "apache-2.0"]})).is_empty());
        let wrong = errors(json!({"license": "gpl-2.0-or-later"}));
        assert_eq!(wrong.len(), 1);
        assert!(wrong[0].starts_with("\"license\" must be one of [apache-2.0, mit, "), "{}", wrong[0]);
        assert!(errors(json!({"license": ["mit", "nope"]}))[0].starts_with("\"license[1]\" must be one of ["));
        assert_eq!(errors(json!({"license": 3})), vec!["\"license\" must be one of [string, array]"]);
        assert_eq!(
            warnings(json!({"license": "other"})),
            vec![
                "\"license_name\" should be set when \"license\" is \"other\"",
                "\"license_link\" should be set when \"license\" is \"other\""
            ]
        );
        assert!(
            warnings(json!({"license": "other", "license_name": "acme-1.0", "license_link": "LICENSE"})).is_empty()
        );
        assert_eq!(
            errors(json!({"license": "other", "license_name": 1, "license_link": "LICENSE"})),
            vec!["\"license_name\" must be a string"]
        );
    }

    #[test]
    fn languages() {
        assert_eq!(
            errors(json!({"language": ["en", "zh-CN"]})),
            vec!["\"language[1]\" must only contain lowercase characters"]
        );
        assert_eq!(errors(json!({"language": "EN"})), vec!["\"language\" must only contain lowercase characters"]);
        assert!(errors(json!({"language": ["en", "yue", "en-gb", "code", "multilingual"]})).is_empty());
        assert!(warnings(json!({"language": ["en", "en-gb"]})).is_empty());
        assert_eq!(warnings(json!({"language": ["xq"]})), vec!["\"language[0]\" is not a known language code: \"xq\""]);
        assert!(errors(json!({"language": ["en_us"]}))[0].starts_with("\"language[0]\" must be a language code"));
        assert_eq!(errors(json!({"language": [1]})), vec!["\"language[0]\" must be a string"]);
    }

    #[test]
    fn pipeline_tag_and_library() {
        assert!(errors(json!({"pipeline_tag": "text-generation", "library_name": "transformers"})).is_empty());
        let wrong = errors(json!({"pipeline_tag": "text2text-gen"}));
        assert!(wrong[0].starts_with("\"pipeline_tag\" must be one of [text-classification, "), "{wrong:?}");
        assert_eq!(errors(json!({"pipeline_tag": ["text-generation"]})), vec!["\"pipeline_tag\" must be a string"]);
        assert!(errors(json!({"library_name": "in-house"})).is_empty(), "unknown libraries are allowed");
        assert_eq!(warnings(json!({"library_name": "in-house"})).len(), 1);
        assert!(
            warnings(json!({"library_name": "in-house"}))[0].starts_with("\"library_name\" is not a known library")
        );
    }

    #[test]
    fn string_lists() {
        assert!(errors(json!({"tags": "a", "datasets": ["u/d"], "metrics": ["accuracy"]})).is_empty());
        assert_eq!(errors(json!({"tags": {"a": 1}})), vec!["\"tags\" must be one of [string, array]"]);
        assert_eq!(errors(json!({"datasets": ["u/d", 3]})), vec!["\"datasets[1]\" must be a string"]);
        assert!(errors(json!({"tags": null})).is_empty(), "null is absent");
    }

    #[test]
    fn base_models() {
        assert!(
            errors(json!({"base_model": "meta-llama/Llama-3.1-8B", "base_model_relation": "quantized"})).is_empty()
        );
        assert!(errors(json!({"base_model": ["gpt2", "a/b"]})).is_empty());
        assert_eq!(
            errors(json!({"base_model": "a/b/c"})),
            vec!["\"base_model\" must be a model id (\"owner/name\" or \"name\")"]
        );
        assert_eq!(
            errors(json!({"base_model": ["ok/x", "bad id"]})),
            vec!["\"base_model[1]\" must be a model id (\"owner/name\" or \"name\")"]
        );
        assert_eq!(
            errors(json!({"base_model": "a/b", "base_model_relation": "distill"})),
            vec!["\"base_model_relation\" must be one of [adapter, merge, quantized, finetune]"]
        );
        assert_eq!(
            errors(json!({"base_model_relation": "adapter"})),
            vec!["\"base_model_relation\" missing required peer \"base_model\""]
        );
        let many: Vec<String> = (0..65).map(|i| format!("o/m{i}")).collect();
        assert_eq!(
            errors(json!({"base_model": many})),
            vec!["\"base_model\" must contain less than or equal to 64 items"]
        );
    }

    #[test]
    fn other_model_fields() {
        assert!(errors(json!({"inference": false, "co2_eq_emissions": 12.5, "new_version": "o/m2"})).is_empty());
        assert_eq!(errors(json!({"inference": "no"})), vec!["\"inference\" must be one of [boolean, object]"]);
        assert_eq!(
            errors(json!({"new_version": "not a repo"})),
            vec!["\"new_version\" must be a model id (\"owner/name\" or \"name\")"]
        );
        assert_eq!(errors(json!({"extra_gated_fields": ["x"]})), vec!["\"extra_gated_fields\" must be of type object"]);
    }

    #[test]
    fn model_fields_are_not_checked_on_datasets() {
        let card = json!({"pipeline_tag": "nonsense", "base_model_relation": "x"});
        assert!(check(card.as_object().unwrap(), RepoType::Dataset).errors.is_empty());
    }
}
