//! GGUF headers (security.md §3.6): magic, version, key/value metadata and tensor infos, read
//! from a prefix of the file with every count and length bounded by the bytes actually there, so
//! a crafted count of 2^63 fails at once instead of looping or allocating. What the hub shows:
//! architecture, quantization (file type), context length, parameter count, and whether the chat
//! template reaches for Python internals (a known template-injection vector).

use std::collections::BTreeMap;

/// The most key/value pairs and tensors read.
const MAX_ENTRIES: u64 = 1 << 20;
const MAX_DIMS: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GgufError {
    #[error("not a GGUF file")]
    NotGguf,
    #[error("unsupported GGUF version {0}")]
    Version(u32),
    /// The header goes on past the bytes given: read a longer prefix (or the file is truncated).
    #[error("the header needs more than the {0} bytes read")]
    NeedMore(usize),
    #[error("invalid header: {0}")]
    Invalid(String),
}

/// A metadata value, arrays summarised by their length (they can hold a whole vocabulary).
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    Int(i128),
    Float(f64),
    Bool(bool),
    Text(String),
    Array { len: u64 },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GgufHeader {
    pub version: u32,
    pub metadata: BTreeMap<String, GgufValue>,
    pub tensor_count: u64,
    /// Sum over tensors of the product of their dimensions.
    pub parameters: u128,
}

impl GgufHeader {
    fn text(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key) {
            Some(GgufValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    #[must_use]
    pub fn architecture(&self) -> Option<&str> {
        self.text("general.architecture")
    }

    #[must_use]
    pub fn context_length(&self) -> Option<i128> {
        let key = format!("{}.context_length", self.architecture()?);
        match self.metadata.get(&key) {
            Some(GgufValue::Int(value)) => Some(*value),
            _ => None,
        }
    }

    /// The llama.cpp name of `general.file_type` (the quantization of most tensors).
    #[must_use]
    pub fn quantization(&self) -> Option<&'static str> {
        let Some(GgufValue::Int(kind)) = self.metadata.get("general.file_type") else { return None };
        Some(match kind {
            0 => "F32",
            1 => "F16",
            2 => "Q4_0",
            3 => "Q4_1",
            7 => "Q8_0",
            8 => "Q5_0",
            9 => "Q5_1",
            10 => "Q2_K",
            11 => "Q3_K_S",
            12 => "Q3_K_M",
            13 => "Q3_K_L",
            14 => "Q4_K_S",
            15 => "Q4_K_M",
            16 => "Q5_K_S",
            17 => "Q5_K_M",
            18 => "Q6_K",
            19 => "IQ2_XXS",
            20 => "IQ2_XS",
            24 => "IQ1_S",
            25 => "IQ4_NL",
            26 => "IQ3_S",
            28 => "IQ4_XS",
            32 => "BF16",
            _ => "unknown",
        })
    }

    /// Whether `tokenizer.chat_template` reaches for Python object internals.
    #[must_use]
    pub fn chat_template_is_suspicious(&self) -> bool {
        const PATTERNS: &[&str] = &[
            "__class__",
            "__globals__",
            "__subclasses__",
            "__import__",
            "__builtins__",
            "__mro__",
            "os.popen",
            "lipsum",
            "cycler",
            "joiner",
        ];
        self.text("tokenizer.chat_template")
            .is_some_and(|template| PATTERNS.iter().any(|pattern| template.contains(pattern)))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: u64) -> Result<&[u8], GgufError> {
        let n = usize::try_from(n).map_err(|_| GgufError::NeedMore(self.bytes.len()))?;
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(GgufError::NeedMore(self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let len = self.u64()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| GgufError::Invalid("a string is not UTF-8".to_owned()))
    }

    /// Bytes one element of a scalar type takes, or `None` for strings and arrays.
    fn scalar_size(kind: u32) -> Result<Option<u64>, GgufError> {
        Ok(match kind {
            0 | 1 | 7 => Some(1),
            2 | 3 => Some(2),
            4..=6 => Some(4),
            10..=12 => Some(8),
            8 | 9 => None,
            other => return Err(GgufError::Invalid(format!("unknown value type {other}"))),
        })
    }

    fn value(&mut self, kind: u32) -> Result<GgufValue, GgufError> {
        Ok(match kind {
            0 => GgufValue::Int(i128::from(self.take(1)?[0])),
            1 => GgufValue::Int(i128::from(self.take(1)?[0] as i8)),
            2 => GgufValue::Int(i128::from(u16::from_le_bytes(self.take(2)?.try_into().expect("2")))),
            3 => GgufValue::Int(i128::from(i16::from_le_bytes(self.take(2)?.try_into().expect("2")))),
            4 => GgufValue::Int(i128::from(self.u32()?)),
            5 => GgufValue::Int(i128::from(i32::from_le_bytes(self.take(4)?.try_into().expect("4")))),
            6 => GgufValue::Float(f64::from(f32::from_le_bytes(self.take(4)?.try_into().expect("4")))),
            7 => GgufValue::Bool(self.take(1)?[0] != 0),
            8 => GgufValue::Text(self.string()?),
            9 => {
                let element = self.u32()?;
                let len = self.u64()?;
                match Self::scalar_size(element)? {
                    // Skipped in one step: a length past the bytes given fails here, not in a loop.
                    Some(size) => {
                        let total =
                            len.checked_mul(size).ok_or_else(|| GgufError::Invalid("an array overflows".to_owned()))?;
                        self.take(total)?;
                    }
                    None if element == 8 => {
                        for _ in 0..len {
                            let text_len = self.u64()?;
                            self.take(text_len)?;
                        }
                    }
                    None => return Err(GgufError::Invalid("nested arrays are not supported".to_owned())),
                }
                GgufValue::Array { len }
            }
            10 => GgufValue::Int(i128::from(self.u64()?)),
            11 => GgufValue::Int(i128::from(i64::from_le_bytes(self.take(8)?.try_into().expect("8")))),
            12 => GgufValue::Float(f64::from_le_bytes(self.take(8)?.try_into().expect("8"))),
            other => return Err(GgufError::Invalid(format!("unknown value type {other}"))),
        })
    }
}

/// Reads the header from `prefix`, the first bytes of the file.
pub fn parse_gguf(prefix: &[u8]) -> Result<GgufHeader, GgufError> {
    let mut reader = Reader { bytes: prefix, at: 0 };
    if reader.take(4).map_err(|_| GgufError::NotGguf)? != b"GGUF" {
        return Err(GgufError::NotGguf);
    }
    let version = reader.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::Version(version));
    }
    let tensor_count = reader.u64()?;
    let kv_count = reader.u64()?;
    if tensor_count > MAX_ENTRIES || kv_count > MAX_ENTRIES {
        return Err(GgufError::Invalid(format!("{tensor_count} tensors and {kv_count} keys are more than accepted")));
    }
    let mut header = GgufHeader { version, tensor_count, ..GgufHeader::default() };
    for _ in 0..kv_count {
        let key = reader.string()?;
        if key.is_empty() {
            return Err(GgufError::Invalid("an empty key".to_owned()));
        }
        let kind = reader.u32()?;
        let value = reader.value(kind)?;
        header.metadata.insert(key, value);
    }
    for _ in 0..tensor_count {
        let _name = reader.string()?;
        let dims = reader.u32()?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(GgufError::Invalid(format!("a tensor with {dims} dimensions")));
        }
        let mut elements: u128 = 1;
        for _ in 0..dims {
            let dim = reader.u64()?;
            elements = elements
                .checked_mul(u128::from(dim))
                .ok_or_else(|| GgufError::Invalid("a tensor's size overflows".to_owned()))?;
        }
        let _ggml_type = reader.u32()?;
        let _offset = reader.u64()?;
        header.parameters = header.parameters.saturating_add(elements);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, text: &str) {
        out.extend_from_slice(&(text.len() as u64).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }

    fn sample(template: &str) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&3_u32.to_le_bytes());
        out.extend_from_slice(&2_u64.to_le_bytes()); // tensors
        out.extend_from_slice(&5_u64.to_le_bytes()); // keys
        string(&mut out, "general.architecture");
        out.extend_from_slice(&8_u32.to_le_bytes());
        string(&mut out, "llama");
        string(&mut out, "llama.context_length");
        out.extend_from_slice(&4_u32.to_le_bytes());
        out.extend_from_slice(&4096_u32.to_le_bytes());
        string(&mut out, "general.file_type");
        out.extend_from_slice(&4_u32.to_le_bytes());
        out.extend_from_slice(&15_u32.to_le_bytes());
        string(&mut out, "tokenizer.ggml.tokens");
        out.extend_from_slice(&9_u32.to_le_bytes());
        out.extend_from_slice(&8_u32.to_le_bytes());
        out.extend_from_slice(&2_u64.to_le_bytes());
        string(&mut out, "a");
        string(&mut out, "b");
        string(&mut out, "tokenizer.chat_template");
        out.extend_from_slice(&8_u32.to_le_bytes());
        string(&mut out, template);
        for (name, dims) in [("w", vec![4_u64, 8]), ("b", vec![8])] {
            string(&mut out, name);
            out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for dim in dims {
                out.extend_from_slice(&dim.to_le_bytes());
            }
            out.extend_from_slice(&12_u32.to_le_bytes());
            out.extend_from_slice(&0_u64.to_le_bytes());
        }
        out
    }

    #[test]
    fn the_header_tells_architecture_quantization_context_and_parameters() {
        let header = parse_gguf(&sample("{{ messages }}")).expect("valid");
        assert_eq!(header.architecture(), Some("llama"));
        assert_eq!(header.context_length(), Some(4096));
        assert_eq!(header.quantization(), Some("Q4_K_M"));
        assert_eq!(header.parameters, 40);
        assert_eq!(header.metadata["tokenizer.ggml.tokens"], GgufValue::Array { len: 2 });
        assert!(!header.chat_template_is_suspicious());
        assert!(
            parse_gguf(&sample("{{ cycler.__init__.__globals__.os.popen('id') }}"))
                .expect("valid")
                .chat_template_is_suspicious()
        );
    }

    #[test]
    fn crafted_counts_and_lengths_fail_fast() {
        let good = sample("x");
        for cut in [3, 10, 30, good.len() - 1] {
            assert!(parse_gguf(&good[..cut]).is_err(), "a prefix of {cut} bytes");
        }
        let mut huge_keys = good.clone();
        huge_keys[16..24].copy_from_slice(&(1_u64 << 63).to_le_bytes());
        assert!(matches!(parse_gguf(&huge_keys), Err(GgufError::Invalid(_))));
        let mut huge_string = good.clone();
        huge_string[24..32].copy_from_slice(&(1_u64 << 62).to_le_bytes());
        assert!(matches!(parse_gguf(&huge_string), Err(GgufError::NeedMore(_))));
        assert_eq!(parse_gguf(b"PK\x03\x04rest"), Err(GgufError::NotGguf));
        let mut version = good;
        version[4..8].copy_from_slice(&9_u32.to_le_bytes());
        assert_eq!(parse_gguf(&version), Err(GgufError::Version(9)));
    }
}
