//! The non-executing pickle scanner on arbitrary bytes: it must neither panic, hang nor run out
//! of memory, whatever the opcode stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::formats::pickle::{Safety, scan_pickle};

fuzz_target!(|data: &[u8]| {
    let scan = scan_pickle(data);
    let verdict = scan.verdict();
    // An unscannable stream is never reported safe.
    if scan.unscannable.is_some() {
        assert!(verdict >= Safety::Suspicious, "unscannable stream judged {verdict:?}");
    }
});
