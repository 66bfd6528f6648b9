//! safetensors headers, read stricter than the reference crate (security.md §3.3): the declared
//! length is bounded before anything is allocated, the header must start with `{` and may only
//! be padded with spaces, duplicate names and unknown fields are refused, and the tensors must
//! cover the data buffer exactly (no gaps, no overlaps, nothing after). Parameter counts follow
//! huggingface_hub's rule (elements per dtype, a scalar counts one).

use std::collections::BTreeMap;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The largest header accepted (huggingface_hub's and huggingface.js's cap).
pub const MAX_HEADER_BYTES: u64 = 25_000_000;
/// The most tensors one header may declare.
pub const MAX_TENSORS: usize = 1_000_000;
const MAX_NAME_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetensorsError {
    #[error("the file is shorter than the 8-byte header length")]
    TooSmall,
    #[error("the header declares {0} bytes, more than the {MAX_HEADER_BYTES} accepted")]
    HeaderTooLarge(u64),
    #[error("the header declares {declared} bytes but the file has {available} after the length")]
    HeaderPastEnd { declared: u64, available: u64 },
    #[error("the header is not valid: {0}")]
    InvalidHeader(String),
    #[error("tensor '{0}': {1}")]
    InvalidTensor(String, String),
    #[error("the tensors do not cover the data exactly: {0}")]
    Coverage(String),
}

/// The element types of safetensors 0.8, with their size in bits.
const DTYPES: &[(&str, u64)] = &[
    ("BOOL", 8),
    ("F4", 4),
    ("F6_E2M3", 6),
    ("F6_E3M2", 6),
    ("U8", 8),
    ("I8", 8),
    ("F8_E5M2", 8),
    ("F8_E4M3", 8),
    ("F8_E8M0", 8),
    ("F8_E4M3FNUZ", 8),
    ("F8_E5M2FNUZ", 8),
    ("I16", 16),
    ("U16", 16),
    ("F16", 16),
    ("BF16", 16),
    ("I32", 32),
    ("U32", 32),
    ("F32", 32),
    ("C64", 64),
    ("F64", 64),
    ("I64", 64),
    ("U64", 64),
];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTensor {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: (u64, u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub begin: u64,
    pub end: u64,
}

/// A checked header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafetensorsHeader {
    /// In order of their offsets.
    pub tensors: Vec<TensorInfo>,
    pub metadata: BTreeMap<String, String>,
    /// Bytes from the start of the file to the data buffer (8 + header length).
    pub data_start: u64,
}

impl SafetensorsHeader {
    /// Elements per dtype, as the Hub's `safetensors.parameters`.
    #[must_use]
    pub fn parameters(&self) -> BTreeMap<String, u128> {
        let mut counts = BTreeMap::new();
        for tensor in &self.tensors {
            let elements: u128 = tensor.shape.iter().map(|&dim| u128::from(dim)).product();
            *counts.entry(tensor.dtype.clone()).or_insert(0) += elements;
        }
        counts
    }
}

/// The header length, from the first 8 bytes, checked against the object size.
pub fn header_length(prefix: &[u8; 8], object_size: u64) -> Result<u64, SafetensorsError> {
    let declared = u64::from_le_bytes(*prefix);
    if declared > MAX_HEADER_BYTES {
        return Err(SafetensorsError::HeaderTooLarge(declared));
    }
    let available = object_size.saturating_sub(8);
    if declared > available {
        return Err(SafetensorsError::HeaderPastEnd { declared, available });
    }
    Ok(declared)
}

/// A JSON object read entry by entry, refusing a name given twice.
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate name '{key}'")));
                    }
                    if entries.len() > MAX_TENSORS {
                        return Err(serde::de::Error::custom(format!("more than {MAX_TENSORS} entries")));
                    }
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

fn bits_of(dtype: &str) -> Option<u64> {
    DTYPES.iter().find(|(name, _)| *name == dtype).map(|(_, bits)| *bits)
}

fn check_name(name: &str) -> Result<(), SafetensorsError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(SafetensorsError::InvalidTensor(
            name.to_owned(),
            "the name is empty, too long or has control characters".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a header (the bytes after the 8-byte length) against a file of `object_size` bytes.
pub fn parse_header(header: &[u8], object_size: u64) -> Result<SafetensorsHeader, SafetensorsError> {
    let invalid = |message: String| SafetensorsError::InvalidHeader(message);
    if header.first() != Some(&b'{') {
        return Err(invalid("it must start with '{'".to_owned()));
    }
    let end = header.iter().rposition(|byte| *byte != b' ').map_or(0, |last| last + 1);
    let text = std::str::from_utf8(&header[..end]).map_err(|error| invalid(format!("not UTF-8: {error}")))?;
    let Entries(entries) = serde_json::from_str(text).map_err(|error| invalid(error.to_string()))?;
    let data_start = 8 + header.len() as u64;
    let mut parsed = SafetensorsHeader { data_start, ..SafetensorsHeader::default() };
    for (name, value) in entries {
        if name == "__metadata__" {
            parsed.metadata = serde_json::from_value(value)
                .map_err(|_| invalid("__metadata__ must map strings to strings".to_owned()))?;
            continue;
        }
        check_name(&name)?;
        let raw: RawTensor = serde_json::from_value(value)
            .map_err(|error| SafetensorsError::InvalidTensor(name.clone(), error.to_string()))?;
        let bits = bits_of(&raw.dtype)
            .ok_or_else(|| SafetensorsError::InvalidTensor(name.clone(), format!("unknown dtype '{}'", raw.dtype)))?;
        let (begin, end) = raw.data_offsets;
        if end < begin {
            return Err(SafetensorsError::InvalidTensor(name, "its end is before its start".to_owned()));
        }
        let elements = raw.shape.iter().try_fold(1_u64, |product, &dim| product.checked_mul(dim));
        let total_bits = elements.and_then(|elements| elements.checked_mul(bits));
        let Some(total_bits) = total_bits else {
            return Err(SafetensorsError::InvalidTensor(name, "its shape overflows".to_owned()));
        };
        if total_bits % 8 != 0 {
            return Err(SafetensorsError::InvalidTensor(name, "its bits do not fill whole bytes".to_owned()));
        }
        if total_bits / 8 != end - begin {
            return Err(SafetensorsError::InvalidTensor(
                name,
                format!("{} bytes declared for {} bytes of data", end - begin, total_bits / 8),
            ));
        }
        parsed.tensors.push(TensorInfo { name, dtype: raw.dtype, shape: raw.shape, begin, end });
    }
    parsed.tensors.sort_by_key(|tensor| (tensor.begin, tensor.end));
    let mut next = 0;
    for tensor in &parsed.tensors {
        if tensor.begin != next {
            let what = if tensor.begin < next { "overlaps the previous one" } else { "leaves a gap before it" };
            return Err(SafetensorsError::Coverage(format!("'{}' {what}", tensor.name)));
        }
        next = tensor.end;
    }
    let data_bytes =
        object_size.checked_sub(data_start).ok_or_else(|| invalid("the header runs past the file".to_owned()))?;
    if next != data_bytes {
        return Err(SafetensorsError::Coverage(format!("the tensors cover {next} bytes of {data_bytes}")));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole file: length, header, data.
    fn file(header: &str, data_len: usize) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend(std::iter::repeat_n(0_u8, data_len));
        bytes
    }

    fn check(bytes: &[u8]) -> Result<SafetensorsHeader, SafetensorsError> {
        let prefix: [u8; 8] = bytes.get(..8).ok_or(SafetensorsError::TooSmall)?.try_into().expect("8 bytes");
        let length = header_length(&prefix, bytes.len() as u64)?;
        let length = usize::try_from(length).expect("small");
        parse_header(&bytes[8..8 + length], bytes.len() as u64)
    }

    const TWO: &str = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1,3],"data_offsets":[8,14]}}"#;

    #[test]
    fn a_good_file_is_read_and_counted() {
        let parsed = check(&file(TWO, 14)).expect("valid");
        assert_eq!(parsed.tensors.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(parsed.parameters(), BTreeMap::from([("BF16".to_owned(), 3), ("F32".to_owned(), 2)]));
        let padded = format!("{TWO}   ");
        assert!(check(&file(&padded, 14)).is_ok(), "space padding is allowed");
        assert!(check(&file("{}", 0)).expect("empty").tensors.is_empty());
        let scalar = r#"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]}}"#;
        assert_eq!(check(&file(scalar, 4)).expect("scalar and empty").parameters()["F32"], 1);
        let meta = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#;
        assert_eq!(check(&file(meta, 1)).expect("metadata").metadata["format"], "pt");
    }

    #[test]
    fn bad_files_are_refused_before_allocating() {
        assert_eq!(check(&[1, 2, 3]), Err(SafetensorsError::TooSmall));
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(matches!(check(&huge), Err(SafetensorsError::HeaderTooLarge(_))));
        let mut past = 100_u64.to_le_bytes().to_vec();
        past.extend_from_slice(b"{}");
        assert!(matches!(check(&past), Err(SafetensorsError::HeaderPastEnd { .. })));
    }

    #[test]
    fn every_deviation_from_the_format_is_refused() {
        let cases: &[(&str, usize)] = &[
            (r#"  {"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1),
            ("[]", 0),
            (
                r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
                1,
            ),
            (
                r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
                2,
            ),
            (
                r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#,
                3,
            ),
            (r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 2),
            (r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,1]}}"#, 1),
            (r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, 1),
            (r#"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, 16),
            (r#"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, 4),
            (r#"{"a":{"dtype":"U8","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,0]}}"#, 0),
            (r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"evil":1}}"#, 1),
            (r#"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, 1),
            (r#"{"__metadata__":{"n":1},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1),
            (r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#, 1),
            (r#"{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1),
        ];
        for (header, data) in cases {
            assert!(check(&file(header, *data)).is_err(), "accepted: {header}");
        }
        let header = b"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}\0\0";
        let mut nul_padded = (header.len() as u64).to_le_bytes().to_vec();
        nul_padded.extend_from_slice(header);
        nul_padded.push(0);
        assert!(check(&nul_padded).is_err(), "NUL padding is not the format's");
    }
}
