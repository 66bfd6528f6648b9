//! Git LFS pointer files: `LfsPointer::parse` on any bytes, and every accepted pointer must
//! survive `encode` → `parse` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::lfs::{LfsPointer, Sha256Oid};

fuzz_target!(|data: &[u8]| {
    if let Some(pointer) = LfsPointer::parse(data) {
        let text = pointer.encode();
        assert_eq!(LfsPointer::parse(text.as_bytes()).as_ref(), Some(&pointer), "round trip of {text:?}");
        assert!(Sha256Oid::parse(pointer.oid.as_str()).is_some());
    }
});
