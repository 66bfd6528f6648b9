//! The model tree (cards-datasets.md §7): a card's `base_model` parents, the relation to them
//! inferred from deterministic evidence, and a licence check along the edge.

use serde_json::{Map, Value};

/// How a model derives from its `base_model` parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    Adapter,
    Merge,
    Quantized,
    Finetune,
}

impl Relation {
    pub const ALL: [Self; 4] = [Self::Adapter, Self::Merge, Self::Quantized, Self::Finetune];

    /// The `base_model_relation` value (and the middle part of `base_model:<relation>:<id>`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adapter => "adapter",
            Self::Merge => "merge",
            Self::Quantized => "quantized",
            Self::Finetune => "finetune",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|relation| relation.as_str() == text)
    }
}

/// Tags that name a quantisation method (rule 4 of §7.2).
const QUANTIZATION_TAGS: &[&str] = &["gptq", "awq", "4-bit", "8-bit", "exl2"];

/// The declared parents, in card order: `base_model` as one id or a list (non-strings are
/// skipped; validation reports them).
#[must_use]
pub fn base_models(card: &Map<String, Value>) -> Vec<&str> {
    match card.get("base_model") {
        Some(Value::String(id)) => vec![id.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn card_strings<'a>(card: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    match card.get(key) {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The relation of a model to its parents, with the evidence that decided it; `None` without a
/// `base_model`. The first matching rule wins:
/// 1. an explicit, valid `base_model_relation`;
/// 2. two or more parents, or a `mergekit_config.yml` ⇒ merge;
/// 3. an `adapter_config.json`, or `library_name: peft` ⇒ adapter;
/// 4. a `*.gguf` file, `quantization_config` (transformers) or `quantization` (mlx) in
///    `config.json`, or a quantisation tag ⇒ quantized;
/// 5. otherwise finetune.
#[must_use]
pub fn infer_relation(
    card: &Map<String, Value>,
    file_paths: &[&str],
    config_json: Option<&Value>,
) -> Option<(Relation, &'static str)> {
    let parents = base_models(card);
    if parents.is_empty() {
        return None;
    }
    if let Some(relation) = card.get("base_model_relation").and_then(Value::as_str).and_then(Relation::parse) {
        return Some((relation, "base_model_relation is set in the card"));
    }
    if parents.len() >= 2 {
        return Some((Relation::Merge, "the card lists several base models"));
    }
    let has_file = |name: &str| file_paths.iter().any(|path| file_name(path) == name);
    if has_file("mergekit_config.yml") {
        return Some((Relation::Merge, "mergekit_config.yml is present"));
    }
    if has_file("adapter_config.json") {
        return Some((Relation::Adapter, "adapter_config.json is present"));
    }
    if card.get("library_name").and_then(Value::as_str) == Some("peft") {
        return Some((Relation::Adapter, "library_name is peft"));
    }
    if file_paths.iter().any(|path| path.to_ascii_lowercase().ends_with(".gguf")) {
        return Some((Relation::Quantized, "GGUF weights are present"));
    }
    if let Some(config) = config_json.and_then(Value::as_object) {
        if config.contains_key("quantization_config") {
            return Some((Relation::Quantized, "config.json has a quantization_config"));
        }
        if config.contains_key("quantization") {
            return Some((Relation::Quantized, "config.json has a quantization section (mlx)"));
        }
    }
    let tags = card_strings(card, "tags");
    if tags.iter().any(|tag| QUANTIZATION_TAGS.contains(&tag.to_ascii_lowercase().as_str())) {
        return Some((Relation::Quantized, "a tag names a quantisation method"));
    }
    Some((Relation::Finetune, "no adapter, merge or quantisation evidence"))
}

/// How freely a licence lets derivatives be relicensed: the licence conflict table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LicenceClass {
    /// Attribution at most: a derivative may be published under anything.
    Permissive,
    /// Derivatives must keep the licence (GPL family, share-alike, RAIL use restrictions).
    Reciprocal,
    /// Vendor model licences and non-commercial terms, which bind derivatives.
    Restricted,
    /// `other` / `unknown`: the terms are not known here, so they are assumed to bind.
    Unknown,
}

/// The table, deterministic and deliberately coarse: it only flags the case the design names
/// (a permissive child of a base model whose terms carry over); copyleft-to-copyleft and other
/// combinations are left to humans.
fn licence_class(id: &str) -> LicenceClass {
    const PERMISSIVE: &[&str] = &[
        "apache-2.0",
        "mit",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "isc",
        "zlib",
        "unlicense",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "wtfpl",
        "afl-3.0",
        "bsl-1.0",
        "ecl-2.0",
        "ms-pl",
        "postgresql",
        "ncsa",
        "pddl",
        "odc-by",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "artistic-2.0",
        "openmdw-1.0",
        "openmdw-1.1",
        "etalab-2.0",
    ];
    const RESTRICTED: &[&str] = &[
        "llama2",
        "llama3",
        "llama3.1",
        "llama3.2",
        "llama3.3",
        "llama4",
        "gemma",
        "grok2-community",
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "apple-amlr",
        "h-research",
        "intel-research",
    ];
    if PERMISSIVE.contains(&id) {
        LicenceClass::Permissive
    } else if RESTRICTED.contains(&id) || id.starts_with("cc-by-nc") {
        LicenceClass::Restricted
    } else if id == "other" || id == "unknown" {
        LicenceClass::Unknown
    } else {
        LicenceClass::Reciprocal
    }
}

/// A warning when the child declares a permissive licence while a parent's licence binds its
/// derivatives (vendor, non-commercial, copyleft or RAIL terms, or terms not known here).
/// `None` when nothing looks wrong or either side declares no licence. Takes `&[&str]` or
/// `&[String]` (licence ids, e.g. from `license:` tags).
#[must_use]
pub fn license_conflict<C: AsRef<str>, P: AsRef<str>>(child_licenses: &[C], parent_licenses: &[P]) -> Option<String> {
    let child = child_licenses.iter().map(AsRef::as_ref).find(|id| licence_class(id) == LicenceClass::Permissive)?;
    let (parent, class) = parent_licenses
        .iter()
        .map(AsRef::as_ref)
        .map(|id| (id, licence_class(id)))
        .find(|(_, class)| *class != LicenceClass::Permissive)?;
    let why = match class {
        LicenceClass::Restricted => "whose terms apply to derivatives",
        LicenceClass::Reciprocal => "which requires derivatives to keep its terms",
        LicenceClass::Unknown | LicenceClass::Permissive => "whose terms are not known here",
    };
    Some(format!(
        "license may be incompatible with base model: this repo declares \"{child}\" but a base model is under \"{parent}\", {why}"
    ))
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
    fn no_base_model_no_relation() {
        assert_eq!(infer_relation(&card(json!({"license": "mit"})), &["model.gguf"], None), None);
        assert_eq!(infer_relation(&card(json!({"base_model": []})), &[], None), None);
    }

    #[test]
    fn explicit_relation_wins() {
        let explicit = card(json!({"base_model": ["a/b", "c/d"], "base_model_relation": "quantized"}));
        assert_eq!(infer_relation(&explicit, &[], None).unwrap().0, Relation::Quantized);
        let invalid = card(json!({"base_model": "a/b", "base_model_relation": "distilled"}));
        assert_eq!(infer_relation(&invalid, &[], None).unwrap().0, Relation::Finetune, "an invalid value is ignored");
    }

    #[test]
    fn merges() {
        let two = card(json!({"base_model": ["a/b", "c/d"]}));
        assert_eq!(
            infer_relation(&two, &["x.gguf"], None),
            Some((Relation::Merge, "the card lists several base models"))
        );
        let one = card(json!({"base_model": "a/b"}));
        assert_eq!(infer_relation(&one, &["mergekit_config.yml"], None).unwrap().0, Relation::Merge);
    }

    #[test]
    fn adapters() {
        let one = card(json!({"base_model": "a/b"}));
        assert_eq!(infer_relation(&one, &["adapter_config.json", "model.gguf"], None).unwrap().0, Relation::Adapter);
        assert_eq!(infer_relation(&one, &["lora/adapter_config.json"], None).unwrap().0, Relation::Adapter);
        let peft = card(json!({"base_model": "a/b", "library_name": "peft"}));
        assert_eq!(infer_relation(&peft, &[], None), Some((Relation::Adapter, "library_name is peft")));
    }

    #[test]
    fn quantizations() {
        let one = card(json!({"base_model": "a/b"}));
        assert_eq!(infer_relation(&one, &["q4/Model-Q4_K_M.GGUF"], None).unwrap().0, Relation::Quantized);
        let config = json!({"architectures": ["LlamaForCausalLM"], "quantization_config": {"bits": 4}});
        assert_eq!(infer_relation(&one, &["config.json"], Some(&config)).unwrap().0, Relation::Quantized);
        let mlx = json!({"quantization": {"group_size": 64, "bits": 4}});
        assert_eq!(infer_relation(&one, &[], Some(&mlx)).unwrap().0, Relation::Quantized);
        for tag in ["gptq", "AWQ", "4-bit", "8-bit", "exl2"] {
            let tagged = card(json!({"base_model": "a/b", "tags": ["x", tag]}));
            assert_eq!(infer_relation(&tagged, &[], None).unwrap().0, Relation::Quantized, "{tag}");
        }
    }

    #[test]
    fn finetune_by_default() {
        let one = card(json!({"base_model": "a/b", "tags": ["llama"]}));
        let plain = json!({"architectures": ["LlamaForCausalLM"]});
        assert_eq!(
            infer_relation(&one, &["model.safetensors", "config.json"], Some(&plain)),
            Some((Relation::Finetune, "no adapter, merge or quantisation evidence"))
        );
    }

    #[test]
    fn licence_conflicts() {
        let warning = license_conflict(&["mit"], &["llama3"]).expect("a conflict");
        assert!(warning.starts_with("license may be incompatible with base model"), "{warning}");
        assert!(warning.contains("\"mit\"") && warning.contains("\"llama3\""));
        assert!(license_conflict(&["apache-2.0"], &["cc-by-nc-4.0"]).is_some());
        assert!(license_conflict(&["bsd-3-clause"], &["gemma"]).is_some());
        assert!(license_conflict(&["mit"], &["other"]).is_some());
        assert!(license_conflict(&["mit"], &["gpl-3.0"]).is_some());
        assert!(license_conflict(&["mit"], &["apache-2.0"]).is_none());
        assert!(license_conflict(&["llama3"], &["llama3"]).is_none(), "a non-permissive child is not flagged");
        assert!(license_conflict(&["cc-by-nc-4.0"], &["llama2"]).is_none());
        assert!(license_conflict::<&str, &str>(&[], &["llama2"]).is_none());
        assert!(license_conflict::<&str, &str>(&["mit"], &[]).is_none());
        assert!(license_conflict(&["mit".to_owned()], &["llama2".to_owned()]).is_some(), "owned ids work too");
    }
}
