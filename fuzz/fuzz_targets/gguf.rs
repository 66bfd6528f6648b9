//! GGUF headers: `parse_gguf` on any prefix, then the accessors the hub calls on a header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::formats::gguf::parse_gguf;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_gguf(data) {
        let _ = header.architecture();
        let _ = header.context_length();
        let _ = header.quantization();
        let _ = header.chat_template_is_suspicious();
    }
});
