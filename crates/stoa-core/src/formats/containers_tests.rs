//! Tests of the artifact dispatcher: raw and legacy PyTorch pickles, sniffing by content, and
//! real joblib/NumPy files written by joblib 1.6.0 and NumPy 2.4 (payloads run `echo pwned`).

use std::cell::Cell;

use super::*;

/// `posix.system("echo pwned")`, protocol 2.
const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.";
/// The literal legacy magic number, protocol 2.
const MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

fn has(scan: &ArtifactScan, module: &str, name: &str) -> bool {
    scan.imports.iter().any(|import| import.module == module && import.name == name)
}

/// A source that remembers the furthest byte read.
struct Watched {
    bytes: Vec<u8>,
    furthest: Cell<u64>,
}

impl RandomAccess for Watched {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        self.furthest.set(self.furthest.get().max(offset + len as u64));
        self.bytes.read_at(offset, len)
    }
}

/// A legacy `torch.save` file: magic, protocol version, sys info, `object`, storage keys, raw storage.
fn legacy(object: &[u8], storage: usize) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(b"\x80\x02M\xe9\x03.");
    bytes.extend_from_slice(
        b"\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03X\x0d\x00\x00\x00little_endianq\x02\x88u.",
    );
    bytes.extend_from_slice(object);
    bytes.extend_from_slice(b"\x80\x02]q\x00X\x01\x00\x00\x000q\x01a.");
    bytes.extend(std::iter::repeat_n(0xab, storage));
    bytes
}

#[test]
fn raw_pickles_are_scanned_by_extension_or_content() {
    for path in ["model.pkl", "model.dill", "x.pt", "x.bin", "notes.txt", "noext"] {
        let scan = scan_artifact(path, &EVIL.to_vec()).unwrap_or_else(|| panic!("{path}"));
        assert_eq!((scan.format, scan.verdict(), scan.members_scanned), ("pickle", Safety::Dangerous, 1), "{path}");
        assert!(has(&scan, "posix", "system"));
    }
    // Protocol 0 has no PROTO: only a pickle extension says it is one.
    let p0: &[u8] = b"cos\nsystem\n(S'id'\ntR.";
    assert_eq!(scan_artifact("a.pkl", &p0).map(|scan| scan.verdict()), Some(Safety::Dangerous));
    assert!(scan_artifact("a.txt", &p0).is_none());
}

#[test]
fn files_that_hold_no_pickle_are_not_artifacts() {
    let safetensors = b"\x0f\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":{}}".to_vec();
    assert!(scan_artifact("model.safetensors", &safetensors).is_none());
    assert!(scan_artifact("model.gguf", &b"GGUF\x03\x00\x00\x00".to_vec()).is_none());
    assert!(scan_artifact("config.json", &b"{\"a\": 1}".to_vec()).is_none());
    assert!(scan_artifact("image.png", &b"\x89PNG\r\n\x1a\n".to_vec()).is_none());
    assert!(scan_artifact("README.md", &Vec::new()).is_none());
    // `.bin` is often not a pickle (ggml, raw weights): nothing followed, nothing imported.
    assert!(scan_artifact("ggml-model.bin", &b"ggjt\x00\x00\x00\x03".to_vec()).is_none());
    // Content that starts like a pickle but is not one, under a neutral name.
    assert!(scan_artifact("blob", &b"\x80\x03\x00\x00".to_vec()).is_none());
}

#[test]
fn a_large_binary_that_is_not_a_pickle_is_not_read_to_the_end() {
    let mut bytes = b"\x80\x02\xff".to_vec();
    bytes.resize(4 << 20, 0);
    let source = Watched { bytes, furthest: Cell::new(0) };
    let scan = scan_artifact("weights.pt", &source).unwrap();
    assert!(scan.unscannable.is_some());
    assert!(source.furthest.get() <= 64 << 10, "read {} bytes", source.furthest.get());
}

/// Mutated and truncated vectors never panic (a cheap stand-in for fuzzing).
#[test]
fn damaged_inputs_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let vectors = [hex(JL_PLAIN_JOBLIB), hex(JL_XZ_JOBLIB), hex(NP_OBJ_NPZ), hex(NP_OBJ_NPY), legacy(EVIL, 16)];
    for vector in &vectors {
        for round in 0..300 {
            let mut bytes = vector.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if round % 3 == 0 {
                bytes.truncate((next() % bytes.len() as u64) as usize);
            }
            for path in ["x.joblib", "x.npz", "x.pt", "x.txt"] {
                let _ = scan_artifact(path, &bytes);
            }
        }
    }
}

#[test]
fn unparseable_files_named_as_pickles_are_unscannable() {
    for bytes in [b"\xff\xfe garbage".to_vec(), EVIL[..20].to_vec(), Vec::new()] {
        let scan = scan_artifact("model.pkl", &bytes).unwrap();
        assert!(scan.unscannable.is_some(), "{bytes:?}");
        assert!(scan.verdict() >= Safety::Suspicious);
    }
    // PNG bytes named .pt (picklescan's bad_pytorch.pt).
    let scan = scan_artifact("bad_pytorch.pt", &b"\x89PNG\r\n\x1a\n".to_vec()).unwrap();
    assert_eq!(scan.verdict(), Safety::Suspicious);
}

#[test]
fn legacy_torch_files_scan_five_pickles_and_not_the_storages() {
    let benign = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.";
    let source = Watched { bytes: legacy(benign, 8 << 20), furthest: Cell::new(0) };
    let scan = scan_artifact("pytorch_model.bin", &source).unwrap();
    assert_eq!((scan.format, scan.verdict(), scan.members_scanned), ("pytorch-legacy", Safety::Safe, 1));
    assert!(scan.unscannable.is_none(), "{scan:?}");
    assert!(source.furthest.get() <= 128 << 10, "read {} bytes of an 8 MiB storage", source.furthest.get());

    let scan = scan_artifact("pytorch_model.bin", &legacy(EVIL, 64)).unwrap();
    assert_eq!((scan.format, scan.verdict()), ("pytorch-legacy", Safety::Dangerous));

    // A first pickle of 3 MiB: the window grows until the pickles are complete.
    let mut big = b"\x80\x02B\x00\x00\x30\x00".to_vec();
    big.resize(big.len() + (3 << 20), b'x');
    big.extend_from_slice(b"0cposix\nsystem\nX\x02\x00\x00\x00id\x85R.");
    let scan = scan_artifact("old.pt", &legacy(&big, 1 << 20)).unwrap();
    assert!(scan.unscannable.is_none(), "{scan:?}");
    assert!(has(&scan, "posix", "system"));

    let mut truncated = legacy(benign, 0);
    truncated.truncate(truncated.len() - 12);
    let scan = scan_artifact("old.pt", &truncated).unwrap();
    assert!(scan.unscannable.is_some());
}

#[test]
fn a_computed_magic_number_is_dangerous() {
    // eval("0x1950a86a20f9469cfc6c") as the first pickle (picklescan's pytorch_magic_bypass.pt).
    let mut bytes = b"\x80\x02cbuiltins\neval\nX\x16\x00\x00\x000x1950a86a20f9469cfc6c\x85R.".to_vec();
    bytes.extend_from_slice(&legacy(b"\x80\x02N.", 0)[MAGIC.len()..]);
    let scan = scan_artifact("pytorch_magic_bypass.pt", &bytes).unwrap();
    assert_eq!((scan.format, scan.verdict()), ("pickle", Safety::Dangerous));
    // int("...", 16) is only suspicious as an import, but computing the magic is dangerous.
    let mut bytes = b"\x80\x02cbuiltins\nint\nX\x14\x00\x00\x001950a86a20f9469cfc6cK\x10\x86R.".to_vec();
    bytes.extend_from_slice(&legacy(b"\x80\x02N.", 0)[MAGIC.len()..]);
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert_eq!(scan.verdict(), Safety::Dangerous, "{scan:?}");
    assert!(!scan.findings.is_empty());
}

#[test]
fn the_literal_magic_number_is_recognised_in_its_encodings() {
    assert!(is_literal_magic(MAGIC));
    assert!(is_literal_magic(
        b"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
    ));
    assert!(is_literal_magic(b"L119547037146038801333356L\n."));
    assert!(!is_literal_magic(b"L119547037146038801333357L\n."));
    assert!(!is_literal_magic(b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x94."));
}

#[test]
fn real_joblib_files_are_followed_past_their_arrays() {
    // {"w": arange(5), "f": ones((2,2), f32), "s": ["ab","c"], "st": zeros(2, [(a,i4),(b,f8)]), "z": Evil()}
    let scan = scan_artifact("model.joblib", &hex(JL_PLAIN_JOBLIB)).unwrap();
    assert_eq!(scan.format, "joblib");
    assert!(scan.unscannable.is_none(), "{scan:?}");
    assert!(has(&scan, "posix", "system"), "{scan:?}");
    // {"o": array([Evil(), 1], dtype=object), "w": arange(3)}
    let scan = scan_artifact("model.pkl", &hex(JL_OBJ_JOBLIB)).unwrap();
    assert!(scan.unscannable.is_none(), "{scan:?}");
    assert!(has(&scan, "posix", "system"), "{scan:?}");
    for (vector, compression) in [(JL_XZ_JOBLIB, "xz"), (JL_LZMA_JOBLIB, "lzma"), (JL_LZ4_JOBLIB, "lz4")] {
        let scan = scan_artifact("model.joblib", &hex(vector)).unwrap();
        assert_eq!((scan.format, scan.compression), ("joblib", Some(compression)));
        assert!(scan.unscannable.is_none(), "{compression}: {scan:?}");
        assert!(has(&scan, "posix", "system"), "{compression}");
    }
}

#[test]
fn a_benign_joblib_file_is_not_flagged() {
    // The same file with the payload's REDUCE target renamed to a harmless numpy global would
    // still import sklearn-style classes; here: only the arrays, i.e. the prefix up to "z".
    let scan = scan_artifact("model.joblib", &hex(JL_PLAIN_JOBLIB)).unwrap();
    let others: Vec<_> =
        scan.imports.iter().filter(|import| import.module != "posix").map(|import| import.safety).collect();
    assert!(others.iter().all(|safety| *safety == Safety::Safe), "{scan:?}");
}

#[test]
fn real_numpy_files_are_scanned() {
    let scan = scan_artifact("x.npy", &hex(NP_OBJ_NPY)).unwrap();
    assert_eq!((scan.format, scan.verdict()), ("numpy", Safety::Dangerous));
    let scan = scan_artifact("x.npz", &hex(NP_OBJ_NPZ)).unwrap();
    assert_eq!((scan.format, scan.verdict(), scan.members_scanned), ("numpy-zip", Safety::Dangerous, 1));
    assert!(scan.imports.iter().any(|import| import.member == "a.npy"));
    let scan = scan_artifact("x.npz", &hex(NP_INT_NPZ)).unwrap();
    assert_eq!((scan.format, scan.verdict(), scan.members_scanned), ("numpy-zip", Safety::Safe, 0));
}

/// jl_plain.joblib, 747 bytes.
const JL_PLAIN_JOBLIB: &str = "\
    800495d8000000000000007d94288c0177948c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261\
    707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368617065944b0585\
    948c056f72646572948c0143948c0564747970659468088c0564747970659493948c02693894898887945294284b038c013c944e4e4e4a\
    ffffffff4affffffff4b007494628c0a616c6c6f775f6d6d617094888c1b6e756d70795f61727261795f616c69676e6d656e745f627974\
    6573944b1075620cffffffffffffffffffffffff0000000000000000010000000000000002000000000000000300000000000000040000\
    0000000000954b000000000000008c01669468042981947d94286807680a680b4b024b028694680d680e680f68118c0266349489888794\
    5294284b0368154e4e4e4affffffff4affffffff4b0074946268178868184b10756203ffffff0000803f0000803f0000803f0000803f95\
    43000000000000008c01739468042981947d94286807680a680b4b028594680d680e680f68118c02553294898887945294284b0368154e\
    4e4e4b084b044b0874946268178868184b10756203ffffff6100000062000000630000000000000095a7000000000000008c0273749468\
    042981947d94286807680a680b4b028594680d680e680f68118c0356313294898887945294284b038c017c944e8c0161948c0162948694\
    7d9428683168118c02693494898887945294284b0368154e4e4e4affffffff4affffffff4b007494624b008694683268118c0266389489\
    8887945294284b0368154e4e4e4affffffff4affffffff4b007494624b048694754b0c4b014b1074946268178868184b1075620fffffff\
    ffffffffffffffffffffffff000000000000000000000000000000000000000000000000952a000000000000008c017a948c05706f7369\
    78948c0673797374656d9493948c0a6563686f2070776e65649485945294752e";

/// jl_obj.joblib, 538 bytes.
const JL_OBJ_JOBLIB: &str = "\
    800495d8000000000000007d94288c016f948c136a6f626c69622e6e756d70795f7069636b6c65948c114e756d70794172726179577261\
    707065729493942981947d94288c08737562636c617373948c056e756d7079948c076e6461727261799493948c057368617065944b0285\
    948c056f72646572948c0143948c0564747970659468088c0564747970659493948c024f3894898887945294284b038c017c944e4e4e4a\
    ffffffff4affffffff4b3f7494628c0a616c6c6f775f6d6d617094898c1b6e756d70795f61727261795f616c69676e6d656e745f627974\
    6573944b107562800595b0000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e73747275\
    63749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468038c0564747970659493\
    948c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f749462895d94288c05706f736978948c0673797374\
    656d9493948c0a6563686f2070776e656494859452944b01657494622e954b000000000000008c01779468042981947d94286807680a68\
    0b4b038594680d680e680f68118c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b0074946268178868184b\
    1075620dffffffffffffffffffffffffff000000000000000001000000000000000200000000000000752e";

/// jl_xz.joblib, 312 bytes.
const JL_XZ_JOBLIB: &str = "\
    fd377a585a000004e6d6b4460200210114000000ffe7ec09e0014a00f75d0040010e7b77f9159b3a3af34a7cb69bfa4e864c0a77befa16\
    e805a45e993fbb646086f2356deb3f5d6c6c209d66b08c67b455862bfc3960614f788faff0a8cb9dc1774f28a3d670eadedf9651cba30f\
    adfc2a90ede7eb1063ed21c083002ef42ba3d8a4d83babfd60169c6539ab001c6a402c4b0be88a4bc86261dfb7c8b4a5f1034c18439a54\
    0baa468920ed01c28b0b60ac4f6325eb8887934e296652728423c561b6d3e5d1af1be48485a66b50e722e7c9f95b5ed7d1dc6f1db563cb\
    4df1c78a215110b7dc4b2347888e38ae8b1aeaac3e5647e8ecadbf9ed6f860365e42666b1e47f7020377abfcf331930b8718e20905f023\
    8f209700005295631d790900f100019302cb020000395eaf80b1c467fb020000000004595a";

/// jl_lzma.joblib, 267 bytes.
const JL_LZMA_JOBLIB: &str = "\
    5d00004000ffffffffffffffff0040010e7b77f9159b3a3af34a7cb69bfa4e864c0a77befa16e805a45e993fbb646086f2356deb3f5d6c\
    6c209d66b08c67b455862bfc3960614f788faff0a8cb9dc1774f28a3d670eadedf9651cba30fadfc2a90ede7eb1063ed21c083002ef42b\
    a3d8a4d83babfd60169c6539ab001c6a402c4b0be88a4bc86261dfb7c8b4a5f1034c18439a540baa468920ed01c28b0b60ac4f6325eb88\
    87934e296652728423c561b6d3e5d1af1be48485a66b50e722e7c9f95b5ed7d1dc6f1db563cb4df1c78a215110b7dc4b2347888e38ae8b\
    1aeaac3e5647e8ecadbf9ed6f860365e42666b1e47f7020377abfcf331930b8718e20905f0245c9abd93ff97789aa0";

/// jl_lz4.joblib, 302 bytes.
const JL_LZ4_JOBLIB: &str = "\
    04224d184040c01f01000052800495d8000100f0117d94288c0177948c136a6f626c69622e6e756d70795f7069636b6c65948c114e0f00\
    f0034172726179577261707065729493942981943600c108737562636c617373948c05360060948c076e64612c00f4169493948c057368\
    617065944b0585948c056f72646572948c0143948c0564747970659468080a00f10d93948c02693894898887945294284b038c013c944e\
    4e4e4affffffff0500f2064b007494628c0a616c6c6f775f6d6d617094888c1ba800016e00f7085f616c69676e6d656e745f6279746573\
    944b1075620cff010003ec00230001080013020800130308001304080023952a0900f0058c017a948c05706f736978948c067379737465\
    6da900f0030a6563686f2070776e65649485945294752e00000000";

/// np_obj.npz, 534 bytes.
const NP_OBJ_NPZ: &str = "\
    504b03042d00000008000000210074cddd35ffffffffffffffff05001400612e6e7079010010003801000000000000e000000000000000\
    a58cc14ac43010861bd755583c7bce2d2b948237f1e241f060b12b82070f52b2c94817b6494852b5b88297a20bb9757c0c9f51d3ed23f8\
    1f06e69fef9bbeb8bfb97d20c973f2c6243861d939659b054b297bd2d65bae4a6d250cf5155f3b88bdabb881b8cf4fd39394bed3ff64f6\
    b1fffd938c09c7aaa94d9b95425bc8ea66ed57dc5ade62382a2d08ad9cb78df0d86398ee480c874a8e488f79d2e12559e227dee13c2739\
    e9b09a84a9f4ad8141d95b9ce1f66bbc4e02d9605114d7bf31bb915f785c6e1fe367a3ddea15c3816b9d877a3067202a4dcd8b02895df4\
    7944b33f504b03042d000000080000002100f74012eaffffffffffffffff05001400622e6e70790100100098000000000000004c000000\
    000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9369a1aea3a09e965f54529498179f5f94920a12774bcc294e058a1767\
    2416a402f91ac63a9a3a0ab50a14002e06286084d24c501a00504b01022d032d00000008000000210074cddd35e0000000380100000500\
    00000000000000000000800100000000612e6e7079504b01022d032d000000080000002100f74012ea4c00000098000000050000000000\
    000000000000800117010000622e6e7079504b05060000000002000200660000009a0100000000";

/// np_int.npz, 530 bytes.
const NP_INT_NPZ: &str = "\
    504b03042d000000000000002100f74012eaffffffffffffffff05001400612e6e70790100100098000000000000009800000000000000\
    934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c2027736861\
    7065273a2028332c292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020\
    20202020202020202020202020202020200a000000000000000001000000000000000200000000000000504b03042d0000000000000021\
    0074d6ac6bffffffffffffffff05001400622e6e70790100100090000000000000009000000000000000934e554d5059010076007b2764\
    65736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d20\
    20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020\
    202020200a000000000000f03f000000000000f03f504b01022d032d000000000000002100f74012ea9800000098000000050000000000\
    000000000000800100000000612e6e7079504b01022d032d00000000000000210074d6ac6b900000009000000005000000000000000000\
    00008001cf000000622e6e7079504b0506000000000200020066000000960100000000";

/// np_obj.npy, 312 bytes.
const NP_OBJ_NPY: &str = "\
    934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046616c73652c202773686170\
    65273a2028312c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020\
    20202020202020202020202020202020200a800495ad000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c\
    0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b018594\
    68038c0564747970659493948c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f749462895d948c05706f\
    736978948c0673797374656d9493948c0a6563686f2070776e65649485945294617494622e";
