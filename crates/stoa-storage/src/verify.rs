//! The check every store makes before an object becomes visible.

use stoa_core::lfs::Sha256Oid;
use stoa_core::ports::StorageError;

/// Size first (cheap, and the clearer message), then the SHA-256.
pub(crate) fn check_digest(oid: &Sha256Oid, expected_size: u64, size: u64, digest: &[u8]) -> Result<(), StorageError> {
    if size != expected_size {
        return Err(StorageError::Rejected(format!("size mismatch: received {size} bytes, expected {expected_size}")));
    }
    let actual = hex::encode(digest);
    if actual != oid.as_str() {
        return Err(StorageError::Rejected(format!("sha256 mismatch: received {actual}, expected {oid}")));
    }
    Ok(())
}

/// The parts a client names on completion, checked: numbered 1, 2, 3, ... in order, each with a
/// hex ETag (quotes dropped), as this store's parts answered them.
pub(crate) fn checked_parts(parts: &[(u32, String)]) -> Result<Vec<(u32, &str)>, StorageError> {
    parts
        .iter()
        .enumerate()
        .map(|(index, (number, etag))| {
            if *number as usize != index + 1 {
                return Err(StorageError::Rejected("parts must be numbered 1, 2, 3, ... in order".to_owned()));
            }
            let etag = etag.trim_matches('"');
            if etag.is_empty() || !etag.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(StorageError::Rejected(format!("part {number}: invalid etag")));
            }
            Ok((*number, etag))
        })
        .collect()
}
