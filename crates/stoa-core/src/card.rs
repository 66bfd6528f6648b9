//! Repo cards: the YAML front matter of `README.md`, parsed into `cardData`, turned into tags,
//! and validated the way the Hub's `validate-yaml` answers (hub-api.md §3.11).

use serde_json::{Map, Value};

/// Front matter above this size is refused rather than parsed (HF cards are a few KiB).
const MAX_FRONT_MATTER: usize = 1024 * 1024;

/// Lower-case Hub licence slugs (`repositories-licenses.md`), not SPDX ids.
const LICENSES: &[&str] = &[
    "apache-2.0",
    "mit",
    "openrail",
    "bigscience-openrail-m",
    "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "c-uda",
    "cc",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "wtfpl",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "agpl-3.0",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "isc",
    "h-research",
    "intel-research",
    "lppl-1.3c",
    "ms-pl",
    "apple-ascl",
    "apple-amlr",
    "mpl-2.0",
    "odc-by",
    "odbl",
    "openmdw-1.0",
    "openmdw-1.1",
    "openrail++",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "pddl",
    "lgpl-lr",
    "deepfloyd-if-license",
    "fair-noncommercial-research-license",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "gemma",
    "grok2-community",
    "unknown",
    "other",
];

/// Splits `---\n<yaml>\n---` off the top of a card. `None` when there is no front matter.
#[must_use]
pub fn front_matter(readme: &str) -> Option<&str> {
    let text = readme.strip_prefix('\u{feff}').unwrap_or(readme);
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    if rest.starts_with("---") {
        return Some("");
    }
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some(&rest[..offset]);
        }
        offset += line.len();
    }
    None
}

/// Parses the front matter into JSON. `Ok(None)` when the card has no metadata.
pub fn parse_card_data(readme: &str) -> Result<Option<Map<String, Value>>, String> {
    let Some(yaml) = front_matter(readme) else {
        return Ok(None);
    };
    if yaml.len() > MAX_FRONT_MATTER {
        return Err("Invalid YAML in README.md: metadata is larger than 1 MiB".to_owned());
    }
    if yaml.trim().is_empty() {
        return Ok(None);
    }
    let value: Value = serde_norway::from_str(yaml).map_err(|error| format!("Invalid YAML in README.md: {error}"))?;
    match value {
        Value::Object(map) => Ok(Some(map)),
        Value::Null => Ok(None),
        _ => Err("Invalid YAML in README.md: metadata must be a mapping".to_owned()),
    }
}

/// Outcome of `validate-yaml`: errors block a commit, warnings do not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CardValidation {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

fn strings_of(value: &Value) -> Option<Vec<&str>> {
    match value {
        Value::String(text) => Some(vec![text.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Checks a README the way the Hub's pre-flight does, for the fields Stoa knows.
#[must_use]
pub fn validate_card(readme: &str) -> CardValidation {
    let mut result = CardValidation::default();
    let metadata = match parse_card_data(readme) {
        Ok(Some(map)) => map,
        Ok(None) => {
            result.warnings.push("Empty or missing yaml metadata in repo card".to_owned());
            return result;
        }
        Err(error) => {
            result.errors.push(error);
            return result;
        }
    };
    if let Some(license) = metadata.get("license") {
        match strings_of(license) {
            Some(ids) if ids.iter().all(|id| LICENSES.contains(id)) => {}
            _ => result.errors.push(format!("\"license\" must be one of [{}]", LICENSES.join(", "))),
        }
    }
    if let Some(language) = metadata.get("language") {
        match strings_of(language) {
            Some(codes) => {
                for (index, code) in codes.iter().enumerate() {
                    if code.chars().any(char::is_uppercase) {
                        result.errors.push(format!("\"language[{index}]\" must only contain lowercase characters"));
                    }
                }
            }
            None => result.errors.push("\"language\" must be a string or an array of strings".to_owned()),
        }
    }
    for key in ["tags", "datasets", "base_model", "metrics"] {
        if let Some(value) = metadata.get(key)
            && strings_of(value).is_none()
        {
            result.errors.push(format!("\"{key}\" must be a string or an array of strings"));
        }
    }
    for key in ["library_name", "pipeline_tag"] {
        if let Some(value) = metadata.get(key)
            && !value.is_string()
        {
            result.errors.push(format!("\"{key}\" must be a string"));
        }
    }
    if let Some(widget) = metadata.get("widget")
        && !widget.is_array()
    {
        result.errors.push("\"widget\" must be an array".to_owned());
    }
    result
}

/// Tags the Hub derives from card metadata (`license:x`, `dataset:x`, `base_model:x`, ...).
#[must_use]
pub fn derive_tags(card: &Map<String, Value>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut push = |tag: String| {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    };
    if let Some(values) = card.get("tags").and_then(strings_of) {
        values.into_iter().for_each(|tag| push(tag.to_owned()));
    }
    if let Some(library) = card.get("library_name").and_then(Value::as_str) {
        push(library.to_owned());
    }
    if let Some(pipeline) = card.get("pipeline_tag").and_then(Value::as_str) {
        push(pipeline.to_owned());
    }
    for (key, prefix) in [("license", "license:"), ("datasets", "dataset:"), ("base_model", "base_model:")] {
        if let Some(values) = card.get(key).and_then(strings_of) {
            values.into_iter().for_each(|value| push(format!("{prefix}{value}")));
        }
    }
    if let Some(languages) = card.get("language").and_then(strings_of) {
        languages.into_iter().for_each(|code| push(code.to_owned()));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split() {
        assert_eq!(front_matter("---\nlicense: mit\n---\n# Title"), Some("license: mit\n"));
        assert_eq!(front_matter("---\n---\nbody"), Some(""));
        assert_eq!(front_matter("# no metadata"), None);
        assert_eq!(front_matter("---\r\nlicense: mit\r\n---\r\n"), Some("license: mit\r\n"));
    }

    #[test]
    fn validation_matches_hub_messages() {
        assert_eq!(validate_card("# Title").warnings.len(), 1);
        assert!(validate_card("---\nlicense: mit\n---\n").errors.is_empty());
        let invalid = validate_card("---\nlicense: not-a-licence\n---\n");
        assert!(invalid.errors[0].starts_with("\"license\" must be one of"));
        assert_eq!(validate_card("---\n- a\n- b\n---\n").errors.len(), 1);
        assert_eq!(validate_card("---\nlanguage: zh-CN\n---\n").errors.len(), 1);
        assert_eq!(validate_card("---\nwidget: text\n---\n").errors, vec!["\"widget\" must be an array"]);
    }

    #[test]
    fn tags_are_derived() {
        let card = parse_card_data("---\nlicense: mit\ntags: [a]\ndatasets: [u/d]\nlibrary_name: peft\n---\n")
            .expect("valid")
            .expect("present");
        assert_eq!(derive_tags(&card), vec!["a", "peft", "license:mit", "dataset:u/d"]);
    }
}
