//! Decoding of the text arguments of protocol-0 string opcodes, as CPython's unpickler does,
//! so that an escaped module name (`S'o\x73'`, `Vo\u0073`) is classed by what it spells.

/// A `STRING` argument: quotes stripped, then Python's bytes escapes (`codecs.escape_decode`).
pub(super) fn unquote_string(raw: &[u8]) -> String {
    let inner = match raw {
        [first, middle @ .., last] if first == last && (*first == b'\'' || *first == b'"') => middle,
        other => other,
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut at = 0;
    while at < inner.len() {
        let byte = inner[at];
        at += 1;
        if byte != b'\\' || at == inner.len() {
            out.push(byte);
            continue;
        }
        let escape = inner[at];
        at += 1;
        match escape {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(escape),
            b'a' => out.push(0x07),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(escape - b'0');
                for _ in 0..2 {
                    match inner.get(at) {
                        Some(digit @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(digit - b'0');
                            at += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            b'x' => {
                match inner.get(at..at + 2).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
                {
                    Some(value) => {
                        out.push(value);
                        at += 2;
                    }
                    None => out.extend_from_slice(b"\\x"),
                }
            }
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `UNICODE` argument: Latin-1 bytes with `\uXXXX` / `\UXXXXXXXX` escapes
/// (`raw-unicode-escape`); an escape counts only after an odd run of backslashes.
pub(super) fn raw_unicode_escape(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        if raw[at] != b'\\' {
            out.push(char::from(raw[at]));
            at += 1;
            continue;
        }
        let run = raw[at..].iter().take_while(|byte| **byte == b'\\').count();
        at += run;
        let digits = match raw.get(at) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            _ => 0,
        };
        let decoded = (run % 2 == 1 && digits > 0)
            .then(|| raw.get(at + 1..at + 1 + digits))
            .flatten()
            .and_then(|hex| u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(ch) => {
                out.extend(std::iter::repeat_n('\\', run - 1));
                out.push(ch);
                at += 1 + digits;
            }
            None => out.extend(std::iter::repeat_n('\\', run)),
        }
    }
    out
}

/// A dotted Python identifier (what `find_class` could import).
pub(super) fn is_python_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
                && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_escapes_are_decoded() {
        assert_eq!(unquote_string(br"'o\x73'"), "os");
        assert_eq!(unquote_string(br#""sy\163tem""#), "system");
        assert_eq!(unquote_string(br"'a\'b'"), "a'b");
        assert_eq!(unquote_string(br"'\q'"), "\\q");
    }

    #[test]
    fn raw_unicode_escapes_are_decoded() {
        assert_eq!(raw_unicode_escape(br"o\u0073"), "os");
        assert_eq!(raw_unicode_escape(br"\U00000073ys"), "sys");
        assert_eq!(raw_unicode_escape(br"a\\u0073"), "a\\\\u0073", "an even run is literal");
        assert_eq!(raw_unicode_escape(b"caf\xe9"), "caf\u{e9}", "Latin-1");
        assert_eq!(raw_unicode_escape(br"\u00"), "\\u00");
    }

    #[test]
    fn python_names() {
        assert!(is_python_name("os.path"));
        assert!(is_python_name("_operator"));
        assert!(!is_python_name("o\u{1}s"));
        assert!(!is_python_name("os..path"));
        assert!(!is_python_name("1os"));
    }
}
