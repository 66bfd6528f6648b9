//! The safetensors header: the first 8 bytes are the length prefix, the rest the header (and
//! data), and the object is as long as the input — the way the hub reads a file's head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::formats::safetensors::{header_length, parse_header};

fuzz_target!(|data: &[u8]| {
    let Some((prefix, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let object_size = data.len() as u64;
    let header = match header_length(prefix, object_size) {
        Ok(length) => {
            // header_length promises the declared bytes are within the object.
            let length = usize::try_from(length).expect("checked length fits");
            assert!(length <= rest.len(), "header_length accepted {length} bytes of {}", rest.len());
            &rest[..length]
        }
        // The prefix did not fit: still give the JSON parser the rest, so it is explored too.
        Err(_) => rest,
    };
    if let Ok(parsed) = parse_header(header, object_size) {
        // Accepted headers cover the data buffer exactly, in order.
        assert_eq!(parsed.data_start, 8 + header.len() as u64);
        let mut next = 0;
        for tensor in &parsed.tensors {
            assert_eq!(tensor.begin, next, "gap or overlap accepted");
            assert!(tensor.end >= tensor.begin);
            next = tensor.end;
        }
        assert_eq!(next, object_size - parsed.data_start, "coverage mismatch accepted");
        let _ = parsed.parameters();
    }
});
