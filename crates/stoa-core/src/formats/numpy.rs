//! NumPy `.npy` (security.md §1.6): magic `\x93NUMPY`, a version, a header length (u16 for
//! v1, u32 for v2 and v3), then a Python-literal dict whose `descr` is the dtype. Only object
//! dtypes (`O`, also as a field of a structured dtype) store their data as a pickle: then the
//! data is scanned; other arrays are plain bytes and are not read.

use super::containers::{ArtifactScan, MAX_PICKLE_BYTES, Reader, Unscannable};
use super::pickle;

pub(super) const MAGIC: &[u8] = b"\x93NUMPY";
/// The largest header read (NumPy itself refuses headers over 10,000 bytes by default).
const MAX_HEADER: usize = 1 << 20;
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// Where the array data starts.
    pub(super) data_offset: usize,
    pub(super) has_object: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HeaderError {
    /// The header needs this many bytes from the start of the file.
    NeedMore(usize),
    Invalid(String),
}

/// Parses the header at the start of `bytes`.
pub(super) fn parse_header(bytes: &[u8]) -> Result<Header, HeaderError> {
    let invalid = |reason: &str| HeaderError::Invalid(format!("npy header: {reason}"));
    if bytes.len() < 12 {
        return Err(HeaderError::NeedMore(12));
    }
    if !bytes.starts_with(MAGIC) {
        return Err(invalid("bad magic"));
    }
    let (start, length) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 => (12, u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize),
        version => return Err(invalid(&format!("unknown version {version}"))),
    };
    if length > MAX_HEADER {
        return Err(invalid("header too large"));
    }
    let data_offset = start + length;
    let Some(text) = bytes.get(start..data_offset) else { return Err(HeaderError::NeedMore(data_offset)) };
    let dict = Parser { text, at: 0 }.literal(0).map_err(|reason| invalid(&reason))?;
    let Literal::Dict(entries) = dict else { return Err(invalid("not a dict")) };
    let descr = entries
        .iter()
        .find_map(|(key, value)| matches!(key, Literal::Str(key) if key == "descr").then_some(value))
        .ok_or_else(|| invalid("no descr"))?;
    let has_object = has_object(descr, 0).ok_or_else(|| invalid("unreadable descr"))?;
    Ok(Header { data_offset, has_object })
}

/// Whether a `descr` (a type string, or a list of `(name, descr[, shape])`) holds objects.
fn has_object(descr: &Literal, depth: usize) -> Option<bool> {
    if depth > MAX_DEPTH {
        return None;
    }
    match descr {
        Literal::Str(code) => Some(code.trim_start_matches(['<', '>', '|', '=']).starts_with('O')),
        Literal::List(fields) => {
            let mut any = false;
            for field in fields {
                let Literal::Tuple(parts) = field else { return None };
                any |= has_object(parts.get(1)?, depth + 1)?;
            }
            Some(any)
        }
        _ => None,
    }
}

/// A standalone `.npy`: the header, then (object dtype only) the pickled data.
pub(super) fn scan_npy(reader: &mut Reader<'_>, member: &str, scan: &mut ArtifactScan) {
    let mut prefix = Vec::new();
    let header = loop {
        match parse_header(&prefix) {
            Ok(header) => break header,
            Err(HeaderError::NeedMore(wanted)) if wanted > prefix.len() && (prefix.len() as u64) < reader.len => {
                match reader.read_up_to(prefix.len() as u64, wanted - prefix.len()) {
                    Ok(more) => prefix.extend_from_slice(&more),
                    Err(Unscannable(reason)) => return scan.unscannable_in(member, &reason),
                }
            }
            Err(HeaderError::NeedMore(_)) => return scan.unscannable_in(member, "npy header: truncated"),
            Err(HeaderError::Invalid(reason)) => return scan.unscannable_in(member, &reason),
        }
    };
    if !header.has_object {
        return;
    }
    match reader.read_up_to(header.data_offset as u64, MAX_PICKLE_BYTES) {
        Ok(data) => {
            scan.add_pickle(member, pickle::scan_pickle(&data));
            if (header.data_offset + data.len()) as u64 != reader.len {
                scan.unscannable_in(member, &format!("larger than the {MAX_PICKLE_BYTES}-byte scan limit"));
            }
        }
        Err(Unscannable(reason)) => scan.unscannable_in(member, &reason),
    }
}

/// The Python literals of an npy header.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Number,
    Constant,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.at).copied()
    }

    fn literal(&mut self, depth: usize) -> Result<Literal, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deep".to_owned());
        }
        match self.peek().ok_or("truncated")? {
            b'{' => {
                let items = self.sequence(b'}', depth, true)?;
                let mut entries = Vec::new();
                let mut items = items.into_iter();
                while let (Some(key), Some(value)) = (items.next(), items.next()) {
                    entries.push((key, value));
                }
                Ok(Literal::Dict(entries))
            }
            b'(' => Ok(Literal::Tuple(self.sequence(b')', depth, false)?)),
            b'[' => Ok(Literal::List(self.sequence(b']', depth, false)?)),
            quote @ (b'\'' | b'"') => self.string(quote),
            b'b' | b'u' if matches!(self.text.get(self.at + 1), Some(b'\'' | b'"')) => {
                self.at += 1;
                let quote = self.text[self.at];
                self.string(quote)
            }
            _ => {
                let start = self.at;
                while self.text.get(self.at).is_some_and(|byte| byte.is_ascii_alphanumeric() || b"+-._".contains(byte))
                {
                    self.at += 1;
                }
                match &self.text[start..self.at] {
                    b"" => Err(format!("unexpected byte at {start}")),
                    b"True" | b"False" | b"None" => Ok(Literal::Constant),
                    word if word[0].is_ascii_digit() || word[0] == b'-' || word[0] == b'+' => Ok(Literal::Number),
                    _ => Err(format!("unknown word at {start}")),
                }
            }
        }
    }

    fn string(&mut self, quote: u8) -> Result<Literal, String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match *self.text.get(self.at).ok_or("unterminated string")? {
                byte if byte == quote => {
                    self.at += 1;
                    return Ok(Literal::Str(String::from_utf8_lossy(&out).into_owned()));
                }
                b'\\' => {
                    out.push(*self.text.get(self.at + 1).ok_or("unterminated string")?);
                    self.at += 2;
                }
                byte => {
                    out.push(byte);
                    self.at += 1;
                }
            }
        }
    }

    /// Items up to `close`, separated by commas (and colons in a dict: keys and values alternate).
    fn sequence(&mut self, close: u8, depth: usize, dict: bool) -> Result<Vec<Literal>, String> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.at += 1;
                return Ok(items);
            }
            items.push(self.literal(depth + 1)?);
            if dict {
                if self.peek() != Some(b':') {
                    return Err("expected ':'".to_owned());
                }
                self.at += 1;
                items.push(self.literal(depth + 1)?);
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(byte) if byte == close => {}
                _ => return Err(format!("expected ',' or '{}'", char::from(close))),
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::containers::scan_artifact;
    use super::super::pickle::Safety;
    use super::*;

    pub(in super::super) fn npy(descr: &str, data: &[u8]) -> Vec<u8> {
        let mut header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    const EVIL: &[u8] = b"\x80\x03cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";

    #[test]
    fn an_object_npy_is_scanned_as_a_pickle() {
        let scan = scan_artifact("x.npy", &npy("'|O'", EVIL)).unwrap();
        assert_eq!((scan.format, scan.members_scanned), ("numpy", 1));
        assert_eq!(scan.verdict(), Safety::Dangerous, "{scan:?}");
        // By content too, whatever the name.
        assert!(scan_artifact("x.txt", &npy("'|O'", EVIL)).is_some_and(|scan| scan.verdict() == Safety::Dangerous));
    }

    #[test]
    fn structured_dtypes_with_an_object_field_are_scanned() {
        let scan = scan_artifact("x.npy", &npy("[('a', '<i4'), ('b', [('c', '|O')], (2,))]", EVIL)).unwrap();
        assert_eq!(scan.verdict(), Safety::Dangerous, "{scan:?}");
        // A field *named* O is not an object field.
        let plain = npy("[('O', '<i4')]", &[0x80, 0, 0, 0]);
        let scan = scan_artifact("x.npy", &plain).unwrap();
        assert_eq!((scan.verdict(), scan.members_scanned), (Safety::Safe, 0));
    }

    #[test]
    fn an_int_npy_is_clean_and_its_data_not_read() {
        let scan = scan_artifact("int.npy", &npy("'<i8'", &[0x80; 8])).unwrap();
        assert_eq!((scan.format, scan.members_scanned, scan.verdict()), ("numpy", 0, Safety::Safe));
    }

    #[test]
    fn bad_headers_are_unscannable() {
        let mut truncated = npy("'|O'", EVIL);
        truncated.truncate(40);
        for bytes in [truncated, npy("'|O' oops", EVIL), b"\x93NUMPY\x09\x00\x00\x00".to_vec()] {
            let scan = scan_artifact("x.npy", &bytes).unwrap();
            assert!(scan.unscannable.is_some(), "{scan:?}");
            assert_eq!(scan.verdict(), Safety::Suspicious);
        }
        assert_eq!(
            parse_header(b"\x93NUMPY\x02\x00\xff\xff\xff\x7f"),
            Err(HeaderError::Invalid("npy header: header too large".to_owned()))
        );
    }
}
