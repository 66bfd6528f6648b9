//! Git LFS pointers and SHA-256 object ids.

use std::fmt;

/// A lower-case 64-hex SHA-256, the id of an LFS object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Oid(String);

impl Sha256Oid {
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self(text.to_owned()))
    }

    #[must_use]
    pub fn from_digest(digest: &[u8]) -> Self {
        Self(hex::encode(digest))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed pointer file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsPointer {
    pub oid: Sha256Oid,
    pub size: u64,
}

const VERSION_LINE: &str = "version https://git-lfs.github.com/spec/v1";

/// Pointer files are small; anything larger is content.
pub const MAX_POINTER_SIZE: u64 = 1024;

impl LfsPointer {
    /// The canonical pointer text git-lfs writes.
    #[must_use]
    pub fn encode(&self) -> String {
        format!("{VERSION_LINE}\noid sha256:{}\nsize {}\n", self.oid, self.size)
    }

    /// Parses a pointer file; `None` for anything that is not one.
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() as u64 > MAX_POINTER_SIZE {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.lines();
        if lines.next()? != VERSION_LINE {
            return None;
        }
        let mut oid = None;
        let mut size = None;
        for line in lines {
            if let Some(hex) = line.strip_prefix("oid sha256:") {
                oid = Sha256Oid::parse(hex);
            } else if let Some(number) = line.strip_prefix("size ") {
                size = number.parse().ok();
            }
        }
        Some(Self { oid: oid?, size: size? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_roundtrip() {
        let pointer = LfsPointer { oid: Sha256Oid::parse(&"ab".repeat(32)).expect("valid oid"), size: 42 };
        let text = pointer.encode();
        assert_eq!(LfsPointer::parse(text.as_bytes()), Some(pointer));
        assert_eq!(text.len(), 127);
        assert!(LfsPointer::parse(b"hello").is_none());
        assert!(Sha256Oid::parse(&"AB".repeat(32)).is_none());
    }
}
