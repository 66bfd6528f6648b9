//! The scanner's unit tests: hand-built streams and the picklescan vectors of security.md §1.9.

use super::*;

/// `os.system("id")` in protocol 0.
const OS_SYSTEM_P0: &[u8] = b"cos\nsystem\n(S'id'\ntR.";
/// `collections.OrderedDict()` in protocol 2.
const ORDERED_DICT_P2: &[u8] = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.";

#[test]
fn a_call_of_os_system_is_dangerous_and_called() {
    let scan = scan_pickle(OS_SYSTEM_P0);
    assert_eq!(scan.verdict(), Safety::Dangerous);
    assert_eq!(scan.imports.len(), 1);
    assert_eq!((scan.imports[0].module.as_str(), scan.imports[0].name.as_str()), ("os", "system"));
    assert!(scan.imports[0].called);
    assert!(scan.unscannable.is_none());
}

#[test]
fn weights_only_imports_are_safe() {
    let scan = scan_pickle(ORDERED_DICT_P2);
    assert_eq!(scan.verdict(), Safety::Safe, "{scan:?}");
    assert!(scan.imports[0].called);
}

#[test]
fn stack_global_through_the_memo_is_resolved() {
    // protocol 4: "builtins" memoized, fetched back, then "eval" and STACK_GLOBAL.
    let stream =
        b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94h\x00\x8c\x04eval\x94\x93\x8c\x011\x85R.";
    let scan = scan_pickle(stream);
    let names: Vec<(&str, &str)> = scan.imports.iter().map(|i| (i.module.as_str(), i.name.as_str())).collect();
    assert_eq!(names, [("builtins", "eval")]);
    assert_eq!(scan.verdict(), Safety::Dangerous);
}

#[test]
fn stacked_pickles_are_all_scanned() {
    let mut stream = ORDERED_DICT_P2.to_vec();
    stream.extend_from_slice(OS_SYSTEM_P0);
    let scan = scan_pickle(&stream);
    assert_eq!(scan.pickles, 2);
    assert_eq!(scan.verdict(), Safety::Dangerous);
}

#[test]
fn what_cannot_be_followed_is_never_safe() {
    for stream in [&b""[..], b"\x80\x02ccollections\nOrderedDict\n", b"\xffgarbage", b"\x80\x02h\x07."] {
        let scan = scan_pickle(stream);
        assert!(scan.unscannable.is_some(), "{stream:?}");
        assert!(scan.verdict() >= Safety::Suspicious, "{stream:?}");
    }
    // A computed import name is assumed dangerous.
    let computed = b"\x80\x04\x8c\x02os\x8c\x01s\x8c\x01y\x86\x93.";
    assert_eq!(scan_pickle(computed).verdict(), Safety::Dangerous);
}

#[test]
fn classification_follows_modules_and_names() {
    assert_eq!(classify("subprocess", "Popen"), Safety::Dangerous);
    assert_eq!(classify("os.path", "join"), Safety::Dangerous, "submodules of dangerous modules");
    assert_eq!(classify("__builtin__", "eval"), Safety::Dangerous);
    assert_eq!(classify("torch._utils", "_rebuild_tensor_v2"), Safety::Safe);
    assert_eq!(classify("mylib.models", "Net"), Safety::Suspicious);
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

fn names(scan: &PickleScan) -> Vec<(&str, &str)> {
    scan.imports.iter().map(|import| (import.module.as_str(), import.name.as_str())).collect()
}

#[test]
fn the_security_md_vectors_scan_as_expected() {
    let benign = hex("80049511000000000000005d94288c0161948c0162948c016394652e");
    let scan = scan_pickle(&benign);
    assert!(scan.imports.is_empty() && scan.unscannable.is_none());
    assert_eq!(scan.verdict(), Safety::Safe);

    let dangerous: &[(&str, &[(&str, &str)])] = &[
        (
            "635f5f6275696c74696e5f5f0a6576616c0a70300a28567072696e74282734353627290a70310a7470320a5270330a2e",
            &[("__builtin__", "eval")],
        ),
        (
            "80049528000000000000008c086275696c74696e73948c046576616c9493948c0c7072696e742827343536272994859452942e",
            &[("builtins", "eval")],
        ),
        (
            "28532772616973652052756e74696d654572726f722822496e6a656374696f6e2072756e6e696e672229270a695f5f6275696c74696e5f5f0a657865630a2e",
            &[("__builtin__", "exec")],
        ),
        (
            "566f730a70320a305673797374656d0a70330a3056746f7263680a70300a30564c6f6e6753746f726167650a70310a3067320a67330a93285663617420666c61672e7478740a74522e",
            &[("os", "system")],
        ),
        ("53276f73270a532773797374656d270a9353276c73270a85522e", &[("os", "system")]),
        (
            "8004636f730a73797374656d0a566563686f202270776e6564206279206d656d6f206b65796572726f72220a8552308c026f739468036800934b422e",
            &[("os", "system")],
        ),
        (
            "8004636f730a73797374656d0a566563686f2022747970652d636f6e667573696f6e2d6578706c6f6974220a8552304a2a000000948c026f739468006801934b422e",
            &[("os", "system"), ("unknown", "unknown")],
        ),
        (
            "80049511000000000000005d94288c0161948c0162948c016394652e80049531000000000000008c0c72657175657374732e617069948c036765749493948c1268747470733a2f2f6769746875622e636f6d94859452942e",
            &[("requests.api", "get")],
        ),
        (
            "636275696c74696e730a5f5f696d706f72745f5f0a28566f730a745270300a30635f6f70657261746f720a6d6574686f6463616c6c65720a285673797374656d0a566563686f202270776e6564206279205f6f70657261746f722e6d6574686f6463616c6c6572220a74522867300a74522e",
            &[("builtins", "__import__"), ("_operator", "methodcaller")],
        ),
    ];
    for (vector, expected) in dangerous {
        let scan = scan_pickle(&hex(vector));
        assert_eq!(scan.verdict(), Safety::Dangerous, "{vector}: {scan:?}");
        assert_eq!(names(&scan), *expected, "{vector}");
    }
    // The memo-key vector: the GET of a missing key stops the scan (malformed), after os.system.
    let missing = scan_pickle(&hex(dangerous[5].0));
    assert!(missing.unscannable.as_deref().is_some_and(|reason| reason.contains("memo key 3 missing")));
}

#[test]
fn escaped_names_are_classed_by_what_they_spell() {
    let scan = scan_pickle(b"S'o\\x73'\nS'system'\n\x93S'id'\n\x85R.");
    assert_eq!(names(&scan), [("os", "system")]);
    let scan = scan_pickle(b"Vo\\u0073\nVsystem\n\x93Vid\n\x85R.");
    assert_eq!(names(&scan), [("os", "system")]);
    assert_eq!(scan.verdict(), Safety::Dangerous);
}

#[test]
fn stream_scans_report_where_pickles_end_and_truncation() {
    let mut stream = ORDERED_DICT_P2.to_vec();
    stream.extend_from_slice(b"raw storage bytes");
    let run = scan_pickle_stream(&stream, ScanOptions { joblib: false, max_pickles: Some(1) });
    assert_eq!(run.consumed, ORDERED_DICT_P2.len());
    assert!(run.scan.unscannable.is_none() && !run.truncated);

    let run = scan_pickle_stream(&OS_SYSTEM_P0[..8], ScanOptions::default());
    assert!(run.truncated && run.scan.unscannable.is_some());
    let run = scan_pickle_stream(b"\x80\x02\xff", ScanOptions::default());
    assert!(!run.truncated && run.scan.unscannable.is_some());
}

/// A joblib-like stream: `{"w": <wrapper of a (2, 3) int64 array>, "z": os.system("id")}`,
/// with the wrapper state joblib writes (protocol 2 shapes), the array bytes after its BUILD.
fn joblib_stream(alignment: bool, dtype: &[u8], array: &[u8]) -> Vec<u8> {
    let mut stream = b"\x80\x02}q\x00(X\x01\x00\x00\x00wq\x01cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x02)\x81q\x03}q\x04(X\x08\x00\x00\x00subclassq\x05cnumpy\nndarray\nq\x06X\x05\x00\x00\x00shapeq\x07K\x02K\x03\x86q\x08X\x05\x00\x00\x00orderq\x09X\x01\x00\x00\x00CX\x05\x00\x00\x00dtypeq\x0a".to_vec();
    stream.extend_from_slice(dtype);
    if alignment {
        stream.extend_from_slice(b"X\x1b\x00\x00\x00numpy_array_alignment_bytesK\x10");
    }
    stream.extend_from_slice(b"ub");
    stream.extend_from_slice(array);
    stream.extend_from_slice(b"X\x01\x00\x00\x00zcos\nsystem\nX\x02\x00\x00\x00id\x85Ru.");
    stream
}

/// `numpy.dtype('i8', False, True)` with its version-3 state (elsize -1: from the typestr).
const INT64_DTYPE: &[u8] = b"cnumpy\ndtype\nX\x02\x00\x00\x00i8\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb";
const OBJECT_DTYPE: &[u8] =
    b"cnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb";

#[test]
fn joblib_arrays_are_skipped_and_what_follows_is_scanned() {
    for alignment in [false, true] {
        let mut array = Vec::new();
        if alignment {
            array.extend_from_slice(&[3, 0xff, 0xff, 0xff]);
        }
        // 48 bytes that are not opcodes (0x00 is unknown): the plain reading stops here.
        array.extend_from_slice(&[0u8; 48]);
        let stream = joblib_stream(alignment, INT64_DTYPE, &array);
        assert!(scan_pickle(&stream).unscannable.is_some(), "plain pickle reading stops at the array");
        let (scan, joblib) = scan_pickle_joblib(&stream);
        assert!(joblib);
        assert!(scan.unscannable.is_none(), "{scan:?}");
        assert_eq!(scan.verdict(), Safety::Dangerous);
        assert!(names(&scan).contains(&("os", "system")));
    }
}

#[test]
fn joblib_object_arrays_are_scanned_as_nested_pickles() {
    let nested = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
    let mut stream = joblib_stream(false, OBJECT_DTYPE, nested);
    // Without the trailing os.system of the outer stream, only the nested one is dangerous.
    let tail = stream.len() - b"X\x01\x00\x00\x00zcos\nsystem\nX\x02\x00\x00\x00id\x85Ru.".len();
    stream.truncate(tail);
    stream.extend_from_slice(b"u.");
    let (scan, _) = scan_pickle_joblib(&stream);
    assert!(scan.unscannable.is_none(), "{scan:?}");
    assert!(names(&scan).contains(&("posix", "system")), "{scan:?}");
    assert_eq!(scan.verdict(), Safety::Dangerous);
}

#[test]
fn a_joblib_array_past_the_end_or_of_unknown_dtype_is_unscannable() {
    let stream = joblib_stream(false, INT64_DTYPE, &[0u8; 10]);
    let (scan, _) = scan_pickle_joblib(&stream);
    assert!(scan.unscannable.is_some());
    let weird = b"cnumpy\ndtype\nX\x02\x00\x00\x00zz\x89\x88\x87R";
    let (scan, _) = scan_pickle_joblib(&joblib_stream(false, weird, &[0u8; 48]));
    assert!(scan.unscannable.as_deref().is_some_and(|reason| reason.contains("dtype")), "{scan:?}");
    assert!(scan.verdict() >= Safety::Suspicious);
}

#[test]
fn payloads_for_plain_pickle_load_in_joblib_array_bytes_are_found() {
    // pickle.load runs these "array bytes" as opcodes; joblib.load skips them.
    let mut array = b"cposix\nsystem\n0".to_vec();
    array.resize(48, b'N');
    let stream = joblib_stream(false, INT64_DTYPE, &array);
    let (scan, _) = scan_pickle_joblib(&stream);
    assert!(names(&scan).contains(&("posix", "system")), "{scan:?}");
}
