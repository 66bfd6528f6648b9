//! Xet hashes (chunk, xorb and file ids) in the form URLs and headers carry: four little-endian
//! 64-bit words, each printed as 16 hex digits (not the plain byte order).

use std::fmt;

use xet_core_structures::merklehash::MerkleHash;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct XetHash(MerkleHash);

impl XetHash {
    /// Parses the 64-hex Xet form; `None` for anything else.
    #[must_use]
    pub fn parse_hex(text: &str) -> Option<Self> {
        let valid = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return None;
        }
        MerkleHash::from_hex(text).ok().map(Self)
    }

    #[must_use]
    pub fn hex(&self) -> String {
        self.0.hex()
    }

    /// The keyed BLAKE3 hash of one chunk's bytes.
    #[must_use]
    pub fn of_chunk(data: &[u8]) -> Self {
        Self(xet_core_structures::merklehash::compute_data_hash(data))
    }

    /// The file hash of a sequence of (chunk hash, chunk length).
    #[must_use]
    pub fn of_file(chunks: &[(Self, u64)]) -> Self {
        let list: Vec<(MerkleHash, u64)> = chunks.iter().map(|(hash, len)| (hash.0, *len)).collect();
        Self(xet_core_structures::merklehash::file_hash(&list))
    }

    pub(crate) fn from_merkle(hash: MerkleHash) -> Self {
        Self(hash)
    }

    pub(crate) fn merkle(self) -> MerkleHash {
        self.0
    }
}

impl fmt::Display for XetHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for XetHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XetHash({})", self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_vectors_pin_the_hash_functions() {
        // Verified against the real hf_xet 1.8.0 client (docs/design/xet-plan.md §3.7).
        assert_eq!(
            XetHash::of_chunk(b"hello").hex(),
            "9076ba12d998050b9c95c8bf770f943e6cad55c7490a82b76cf1582a2a05c2c2"
        );
        assert_eq!(XetHash::of_file(&[]), XetHash::default(), "an empty file hashes to zero");
        let hash = XetHash::of_chunk(b"x");
        assert_eq!(XetHash::parse_hex(&hash.hex()), Some(hash));
        assert_eq!(XetHash::parse_hex("zz"), None);
        assert_eq!(XetHash::parse_hex(&"g".repeat(64)), None);
    }
}
