//! Reading a card for its page: the fields the side panel shows, and the access form a gated
//! repo's card describes (`extra_gated_fields`).

use serde_json::{Map, Value};

/// A card field that may be one string or a list of them (`license`, `language`, `datasets`).
pub(crate) fn strings(card: Option<&Map<String, Value>>, key: &str) -> Vec<String> {
    const MAX_VALUES: usize = 50;
    let Some(value) = card.and_then(|card| card.get(key)) else {
        return Vec::new();
    };
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).take(MAX_VALUES).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn string(card: Option<&Map<String, Value>>, key: &str) -> Option<String> {
    card.and_then(|card| card.get(key)).and_then(Value::as_str).map(str::to_owned)
}

/// One question of a gated repo's access form.
#[derive(Debug, Clone)]
pub(crate) struct GateField {
    pub(crate) label: String,
    /// The form field's name: `field:<label>`.
    pub(crate) name: String,
    /// `text`, `checkbox`, `date`, `country` or `select`.
    pub(crate) kind: &'static str,
    /// For selects: (value, label).
    pub(crate) options: Vec<(String, String)>,
}

/// The questions of `extra_gated_fields` (in label order: the parsed card's map is sorted). The Hub's types are `text`,
/// `checkbox`, `date_picker`, `country` and `select` (with `options`, each a string or
/// `{label, value}`); an unknown type is asked as text, as the Hub does.
pub(crate) fn gate_fields(card: Option<&Map<String, Value>>) -> Vec<GateField> {
    const MAX_FIELDS: usize = 50;
    const MAX_OPTIONS: usize = 200;
    let Some(fields) = card.and_then(|card| card.get("extra_gated_fields")).and_then(Value::as_object) else {
        return Vec::new();
    };
    fields
        .iter()
        .take(MAX_FIELDS)
        .map(|(label, spec)| {
            let (kind_name, options) = match spec {
                Value::String(kind) => (kind.as_str(), None),
                Value::Object(object) => {
                    (object.get("type").and_then(Value::as_str).unwrap_or("text"), object.get("options"))
                }
                _ => ("text", None),
            };
            let kind = match kind_name {
                "checkbox" => "checkbox",
                "date_picker" | "date" => "date",
                "country" => "country",
                "select" => "select",
                _ => "text",
            };
            let options = options
                .and_then(Value::as_array)
                .map(|options| {
                    options
                        .iter()
                        .take(MAX_OPTIONS)
                        .filter_map(|option| match option {
                            Value::String(text) => Some((text.clone(), text.clone())),
                            Value::Object(object) => {
                                let value = object.get("value").and_then(Value::as_str)?;
                                let label = object.get("label").and_then(Value::as_str).unwrap_or(value);
                                Some((value.to_owned(), label.to_owned()))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            GateField { label: label.clone(), name: format!("field:{label}"), kind, options }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_fields_follow_the_hubs_types() {
        let card: Map<String, Value> = serde_json::from_str(
            r#"{"extra_gated_fields": {"Company": "text", "Born": "date_picker", "Agree": "checkbox",
                "Use": {"type": "select", "options": ["Research", {"label": "Other", "value": "other"}]}}}"#,
        )
        .expect("json");
        let fields = gate_fields(Some(&card));
        // serde_json's map is sorted: the questions come in label order.
        let kinds: Vec<(&str, &str)> = fields.iter().map(|field| (field.name.as_str(), field.kind)).collect();
        assert_eq!(
            kinds,
            [("field:Agree", "checkbox"), ("field:Born", "date"), ("field:Company", "text"), ("field:Use", "select")]
        );
        assert_eq!(fields[3].options[1], ("other".to_owned(), "Other".to_owned()));
    }
}
