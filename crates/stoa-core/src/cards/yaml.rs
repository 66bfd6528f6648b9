//! Splitting and parsing the YAML front matter of a card, safely (security.md §7.1).
//!
//! serde_norway alone already refuses deep nesting ("recursion limit exceeded") and runaway
//! alias expansion (100 jumps per event), and a tag like `!foo` reaches the visitor as an
//! enum. Three gaps remain, closed here:
//! * libyaml resolves `!!python/tuple` to `tag:yaml.org,2002:python/tuple`, which serde_norway
//!   then silently drops. Parsing under `%TAG !! !stoa:` turns every `!!x` into a local tag the
//!   visitor sees, so only the YAML core tags are let through;
//! * verbatim tags (`!<tag:...>`) are never resolved through a handle: each candidate is checked
//!   by parsing again without it;
//! * 100 jumps per event still lets a 1 MiB document grow a hundredfold: the visitor counts the
//!   nodes it builds and stops at what a document of that size could hold without aliases.
//!
//! Duplicate keys are refused too, as the Hub's parser does.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Front matter above this size is refused rather than parsed (HF cards are a few KiB).
pub const MAX_FRONT_MATTER: usize = 1024 * 1024;

/// Puts the secondary tag handle under a prefix the visitor recognises (see the module doc).
const TAG_DIRECTIVE: &str = "%TAG !! !stoa:\n---\n";
/// Lines [`TAG_DIRECTIVE`] adds before the user's first line.
const DIRECTIVE_LINES: usize = 2;
const CORE_PREFIX: &str = "stoa:";
/// YAML core-schema tags; anything else (`!!python/*`, `!!binary`, `!custom`) is refused.
const CORE_TAGS: &[&str] = &["str", "int", "float", "bool", "null", "seq", "map"];
/// Candidate verbatim tags checked by re-parsing; more than this is refused outright.
const MAX_VERBATIM_CANDIDATES: usize = 8;

/// Why the front matter could not be read. Displayed as the Hub words it:
/// `Invalid YAML in README.md: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The reason, with its position when one is known.
    pub message: String,
    /// 1-based line inside the front matter (the line after the opening `---` is line 1).
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl YamlError {
    fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), line: None, column: None }
    }

    fn at(reason: &str, line: usize, column: usize) -> Self {
        Self { message: format!("{reason} at line {line} column {column}"), line: Some(line), column: Some(column) }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid YAML in README.md: {}", self.message)
    }
}

impl std::error::Error for YamlError {}

/// Splits `---\n<yaml>\n---` off the top of a card. `None` when there is no front matter.
#[must_use]
pub fn front_matter(readme: &str) -> Option<&str> {
    split_card(readme).0
}

/// A card's front matter (`None` when there is none) and the Markdown body after it.
#[must_use]
pub fn split_card(readme: &str) -> (Option<&str>, &str) {
    let text = readme.strip_prefix('\u{feff}').unwrap_or(readme);
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        // An empty block closes on its first line (`---\n---`).
        if line.trim_end() == "---" || (offset == 0 && line.starts_with("---")) {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// Parses the front matter into JSON. `Ok(None)` when the card has no metadata (no front
/// matter, an empty block, or only comments).
pub fn parse_card_data(readme: &str) -> Result<Option<Map<String, Value>>, YamlError> {
    match front_matter(readme) {
        Some(yaml) => parse_metadata(yaml),
        None => Ok(None),
    }
}

/// Parses one front-matter block, which must be a mapping.
pub fn parse_metadata(yaml: &str) -> Result<Option<Map<String, Value>>, YamlError> {
    if yaml.len() > MAX_FRONT_MATTER {
        return Err(YamlError::new("metadata is larger than 1 MiB"));
    }
    if yaml.trim().is_empty() {
        return Ok(None);
    }
    let value = match load(&format!("{TAG_DIRECTIVE}{yaml}"), yaml.len()) {
        Ok(value) => value,
        Err(rejected @ Failure::Rejected { .. }) => return Err(rejected.into_error(DIRECTIVE_LINES)),
        // The added directive shifts positions: the unprefixed text gives the user's own.
        Err(Failure::Syntax(_)) => {
            return Err(match load(yaml, yaml.len()) {
                Err(failure) => failure.into_error(0),
                Ok(_) => YamlError::new("a document marker inside the metadata is not supported"),
            });
        }
    };
    check_verbatim_tags(yaml, &value)?;
    match value {
        Value::Object(map) => Ok(Some(map)),
        Value::Null => Ok(None),
        _ => Err(YamlError::new("metadata must be a mapping")),
    }
}

enum Failure {
    /// Refused by our own rules (tags, size, duplicate keys), with the (line, column) in the
    /// parsed text when known.
    Rejected { reason: String, at: Option<(usize, usize)> },
    /// Refused by the parser.
    Syntax(YamlError),
}

impl Failure {
    /// The error, with positions moved up by the `skipped_lines` added before the user's text.
    fn into_error(self, skipped_lines: usize) -> YamlError {
        match self {
            Self::Rejected { reason, at: Some((line, column)) } => {
                YamlError::at(&reason, line.saturating_sub(skipped_lines), column)
            }
            Self::Rejected { reason, at: None } => YamlError::new(reason),
            Self::Syntax(error) => error,
        }
    }
}

/// What the visitor may still build, and why it stopped.
struct Budget {
    nodes_left: Cell<usize>,
    rejection: RefCell<Option<String>>,
}

impl Budget {
    fn reject<E: de::Error>(&self, reason: String) -> E {
        let error = E::custom(&reason);
        self.rejection.borrow_mut().get_or_insert(reason);
        error
    }

    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.nodes_left.get().checked_sub(1) {
            Some(left) => {
                self.nodes_left.set(left);
                Ok(())
            }
            None => Err(self.reject("too many nodes (aliases expand beyond the size of the document)".to_owned())),
        }
    }
}

fn load(text: &str, user_len: usize) -> Result<Value, Failure> {
    // Without aliases a node takes at least one byte (`{a,b}`): no legitimate document of
    // this size needs more, while alias bombs stop long before memory matters.
    let budget = Budget { nodes_left: Cell::new(user_len + 1024), rejection: RefCell::new(None) };
    let deserializer = serde_norway::Deserializer::from_str(text);
    match (Node { budget: &budget }).deserialize(deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let location = error.location();
            match budget.rejection.take() {
                Some(reason) => {
                    Err(Failure::Rejected { reason, at: location.map(|location| (location.line(), location.column())) })
                }
                None => Err(Failure::Syntax(YamlError {
                    message: error.to_string(),
                    line: location.as_ref().map(serde_norway::Location::line),
                    column: location.as_ref().map(serde_norway::Location::column),
                })),
            }
        }
    }
}

/// Builds a JSON value from YAML events, counting nodes and refusing non-core tags.
#[derive(Clone, Copy)]
struct Node<'b> {
    budget: &'b Budget,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        self.budget.take()?;
        // JSON has no NaN or infinity (`.nan`, `.inf`): they become null, as serde_json does.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.take()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(self)? {
            let key = match key {
                Value::String(text) => text,
                Value::Number(_) | Value::Bool(_) | Value::Null => key.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(self.budget.reject("a mapping key must be a scalar".to_owned()));
                }
            };
            let value = map.next_value_seed(self)?;
            if object.contains_key(&key) {
                return Err(self.budget.reject(format!("duplicated mapping key {key:?}")));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant): (String, _) = data.variant()?;
        let core = tag.strip_prefix(CORE_PREFIX).filter(|name| CORE_TAGS.contains(name));
        let Some(core) = core else {
            let shown = match tag.strip_prefix(CORE_PREFIX) {
                Some(name) => format!("!!{name}"),
                None => format!("!{tag}"),
            };
            return Err(self.budget.reject(format!("unknown tag {shown}")));
        };
        let value = variant.newtype_variant_seed(self)?;
        Ok(match (core, value) {
            ("str", Value::Number(number)) => Value::String(number.to_string()),
            ("str", Value::Bool(flag)) => Value::String(flag.to_string()),
            ("str", Value::Null) => Value::String(String::new()),
            (_, value) => value,
        })
    }
}

/// Refuses verbatim tags (`!<tag:yaml.org,2002:python/tuple>`), which no handle remaps. A
/// candidate is a tag when removing it leaves the parsed value unchanged (serde_norway drops
/// such tags); inside a string, removing it changes the string.
fn check_verbatim_tags(yaml: &str, parsed: &Value) -> Result<(), YamlError> {
    let candidates: Vec<(usize, usize)> = yaml
        .match_indices("!<")
        .filter_map(|(start, _)| yaml[start..].find('>').map(|end| (start, start + end + 1)))
        .filter(|(start, end)| !yaml[*start..*end].contains(char::is_whitespace))
        .collect();
    if candidates.len() > MAX_VERBATIM_CANDIDATES {
        return Err(YamlError::new("too many verbatim tags"));
    }
    for (start, end) in candidates {
        let blanked = format!("{}{}{}", &yaml[..start], " ".repeat(end - start), &yaml[end..]);
        if load(&format!("{TAG_DIRECTIVE}{blanked}"), yaml.len()).is_ok_and(|value| value == *parsed) {
            let line = yaml[..start].matches('\n').count() + 1;
            let column = yaml[..start].rsplit('\n').next().map_or(0, |text| text.chars().count()) + 1;
            return Err(YamlError::at(&format!("unknown tag {}", &yaml[start..end]), line, column));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn parse(yaml: &str) -> Result<Option<Map<String, Value>>, String> {
        parse_metadata(yaml).map_err(|error| error.to_string())
    }

    #[test]
    fn front_matter_is_split() {
        assert_eq!(front_matter("---\nlicense: mit\n---\n# Title"), Some("license: mit\n"));
        assert_eq!(front_matter("---\n---\nbody"), Some(""));
        assert_eq!(front_matter("# no metadata"), None);
        assert_eq!(front_matter("---\r\nlicense: mit\r\n---\r\n"), Some("license: mit\r\n"));
        assert_eq!(front_matter("\u{feff}---\na: 1\n---\n"), Some("a: 1\n"));
        assert_eq!(front_matter("---\na: 1\nno closing line"), None);
        assert_eq!(split_card("---\nlicense: mit\n---\n# Title\n").1, "# Title\n");
        assert_eq!(split_card("---\r\na: 1\r\n---\r\nbody").1, "body");
        assert_eq!(split_card("---\n---\nbody"), (Some(""), "body"));
        assert_eq!(split_card("\u{feff}# no metadata"), (None, "# no metadata"));
        assert_eq!(split_card("---\na: 1\nno closing line").1, "---\na: 1\nno closing line");
    }

    #[test]
    fn plain_metadata_parses() {
        let map = parse("license: mit\ntags: [a, b]\nn: 3\nx: 1.5\nflag: true\nempty:\n").unwrap().unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::json!({"license": "mit", "tags": ["a", "b"], "n": 3, "x": 1.5, "flag": true, "empty": null})
        );
        assert_eq!(parse("# only a comment\n"), Ok(None));
        assert_eq!(parse("  \n"), Ok(None));
    }

    #[test]
    fn python_tags_are_refused_with_their_position() {
        let error = parse_metadata("a: 1\nb: !!python/tuple [1, 2]\n").unwrap_err();
        assert_eq!(error.to_string(), "Invalid YAML in README.md: unknown tag !!python/tuple at line 2 column 4");
        assert_eq!((error.line, error.column), (Some(2), Some(4)));
        let error = parse("x: !!python/object:__main__.Foo {}\n").unwrap_err();
        assert!(error.contains("unknown tag !!python/object:__main__.Foo at line 1"), "{error}");
        assert!(parse("x:\n  - !!binary aGVsbG8=\n").unwrap_err().contains("unknown tag !!binary at line 2"));
    }

    #[test]
    fn custom_tags_are_refused() {
        assert_eq!(
            parse("a: !foo bar\n").unwrap_err(),
            "Invalid YAML in README.md: unknown tag !foo at line 1 column 4"
        );
        assert!(parse("a: !custom {x: 1}\n").unwrap_err().contains("unknown tag !custom"));
        let error = parse("a: !<tag:yaml.org,2002:python/tuple> [1, 2]\n").unwrap_err();
        assert!(error.contains("unknown tag !<tag:yaml.org,2002:python/tuple> at line 1 column 4"), "{error}");
    }

    #[test]
    fn core_tags_and_look_alike_text_are_accepted() {
        let map = parse("a: !!str 12\nb: !!int 3\nc: !!seq [1]\nd: \"x !<y> z\"\ne: Hello! world\n").unwrap().unwrap();
        assert_eq!(map["a"], "12");
        assert_eq!(map["b"], 3);
        assert_eq!(map["c"], serde_json::json!([1]));
        assert_eq!(map["d"], "x !<y> z");
        assert_eq!(map["e"], "Hello! world");
    }

    #[test]
    fn billion_laughs_fails_fast() {
        let mut yaml =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (parent, child) in ('a'..='i').zip('b'..='j') {
            let refs = vec![format!("*{parent}"); 9].join(",");
            yaml.push_str(&format!("{child}: &{child} [{refs}]\n"));
        }
        let started = Instant::now();
        let error = parse(&yaml).unwrap_err();
        assert!(error.contains("too many nodes"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn small_alias_use_still_works() {
        let map = parse("base: &b {lr: 0.1}\ncopy: *b\n").unwrap().unwrap();
        assert_eq!(map["copy"], serde_json::json!({"lr": 0.1}));
    }

    #[test]
    fn deep_nesting_fails_fast() {
        let started = Instant::now();
        let error = parse(&format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000))).unwrap_err();
        assert!(error.contains("recursion limit exceeded"), "{error}");
        let error = parse(&"- ".repeat(3000)).unwrap_err();
        assert!(error.starts_with("Invalid YAML in README.md:"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn other_refusals() {
        assert_eq!(parse("- a\n- b\n").unwrap_err(), "Invalid YAML in README.md: metadata must be a mapping");
        assert!(
            parse("license: mit\nlicense: apache-2.0\n").unwrap_err().contains("duplicated mapping key \"license\"")
        );
        let syntax = parse("a: [1\nb: 2\n").unwrap_err();
        assert!(syntax.contains("at line 2 column 2"), "positions are the user's own: {syntax}");
        let big = format!("a: \"{}\"\n", "x".repeat(MAX_FRONT_MATTER));
        assert_eq!(parse(&big).unwrap_err(), "Invalid YAML in README.md: metadata is larger than 1 MiB");
        assert!(parse("--- {a: !!python/tuple [1]}\n").is_err());
    }
}
