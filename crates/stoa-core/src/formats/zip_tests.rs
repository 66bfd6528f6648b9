//! The zip walker's tests: hand-built archives with the tricks of picklescan's test data.

use super::super::containers::scan_artifact;
use super::super::pickle::Safety;
use std::io::Write;

/// `posix.system("echo pwned")`, protocol 2.
const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.";
/// An OrderedDict with one tensor-like persistent id, protocol 2.
const BENIGN: &[u8] = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02(X\x07\x00\x00\x00storageq\x03X\x01\x00\x00\x000tQs.";

#[derive(Clone, Default)]
struct Member<'a> {
    name: &'a str,
    data: &'a [u8],
    deflate: bool,
    flags: u16,
    bad_crc: bool,
    local_name: Option<&'a str>,
}

fn member<'a>(name: &'a str, data: &'a [u8]) -> Member<'a> {
    Member { name, data, ..Member::default() }
}

fn crc(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// A zip of `members`; with `zip64`, the end record and offsets take their zip64 forms.
fn build(members: &[Member<'_>], zip64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for member in members {
        let offset = out.len() as u32;
        let stored = if member.deflate {
            let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
            encoder.write_all(member.data).unwrap();
            encoder.finish().unwrap()
        } else {
            member.data.to_vec()
        };
        let crc = crc(member.data) ^ u32::from(member.bad_crc);
        let method: u16 = if member.deflate { 8 } else { 0 };
        let local_name = member.local_name.unwrap_or(member.name);
        let fields = |out: &mut Vec<u8>, name: &str| {
            out.extend_from_slice(&member.flags.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
            out.extend_from_slice(&(member.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04\x14\x00");
        fields(&mut out, local_name);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(local_name.as_bytes());
        out.extend_from_slice(&stored);

        central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        fields(&mut central, member.name);
        central.extend_from_slice(&(if zip64 { 12u16 } else { 0 }).to_le_bytes());
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&(if zip64 { u32::MAX } else { offset }).to_le_bytes());
        central.extend_from_slice(member.name.as_bytes());
        if zip64 {
            central.extend_from_slice(&1u16.to_le_bytes());
            central.extend_from_slice(&8u16.to_le_bytes());
            central.extend_from_slice(&u64::from(offset).to_le_bytes());
        }
    }
    let (cd_offset, cd_size) = (out.len() as u64, central.len() as u64);
    out.extend_from_slice(&central);
    let count = members.len() as u16;
    if zip64 {
        let record = out.len() as u64;
        out.extend_from_slice(b"PK\x06\x06");
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&u64::from(count).to_le_bytes());
        out.extend_from_slice(&u64::from(count).to_le_bytes());
        out.extend_from_slice(&cd_size.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(b"PK\x06\x07\x00\x00\x00\x00");
        out.extend_from_slice(&record.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
    if zip64 {
        out.extend_from_slice(&[0xff; 12]);
    } else {
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(cd_size as u32).to_le_bytes());
        out.extend_from_slice(&(cd_offset as u32).to_le_bytes());
    }
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Storage bytes that start like a protocol-3 pickle but are not one.
const STORAGE: &[u8] = &[0x80, 0x03, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40];

fn torch_zip(data_pkl: Member<'_>) -> Vec<u8> {
    build(
        &[
            data_pkl,
            member("archive/data/0", STORAGE),
            member("archive/version", b"3\n"),
            member("archive/code/__torch__/model.py", b"def forward(self):\n  pass\n"),
        ],
        false,
    )
}

fn has_evil(scan: &super::super::containers::ArtifactScan, member: &str) -> bool {
    scan.imports.iter().any(|import| import.member == member && import.module == "posix" && import.name == "system")
}

#[test]
fn a_benign_torch_zip_is_safe_and_lists_its_code() {
    let scan = scan_artifact("pytorch_model.bin", &torch_zip(member("archive/data.pkl", BENIGN))).unwrap();
    assert_eq!(scan.format, "pytorch-zip");
    assert_eq!(scan.verdict(), Safety::Safe, "{scan:?}");
    assert_eq!(scan.members_scanned, 1, "the storage that starts like a pickle is data");
    assert_eq!(scan.code_files, ["archive/code/__torch__/model.py"]);
    assert!(scan.findings.is_empty() && scan.unscannable.is_none());
}

#[test]
fn a_torch_zip_is_found_by_content_whatever_its_name() {
    let scan = scan_artifact("notes.txt", &torch_zip(member("archive/data.pkl", EVIL))).unwrap();
    assert_eq!(scan.verdict(), Safety::Dangerous);
    assert!(has_evil(&scan, "archive/data.pkl"));
}

#[test]
fn encrypted_flags_are_ignored_as_pytorch_does_and_reported() {
    for flags in [0x01, 0x20, 0x40] {
        let bytes = torch_zip(Member { flags, ..member("archive/data.pkl", EVIL) });
        let scan = scan_artifact("model.pt", &bytes).unwrap();
        assert_eq!(scan.verdict(), Safety::Dangerous);
        assert!(has_evil(&scan, "archive/data.pkl"));
        assert!(scan.findings.iter().any(|finding| finding.message.contains("flags")), "{scan:?}");
    }
}

#[test]
fn bad_crcs_are_ignored_and_reported() {
    let bytes = torch_zip(Member { bad_crc: true, ..member("archive/data.pkl", EVIL) });
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(has_evil(&scan, "archive/data.pkl"));
    assert!(scan.findings.iter().any(|finding| finding.message.contains("CRC")), "{scan:?}");
}

#[test]
fn deflated_members_are_inflated() {
    let bytes = torch_zip(Member { deflate: true, ..member("archive/data.pkl", EVIL) });
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(has_evil(&scan, "archive/data.pkl"), "{scan:?}");
    assert!(scan.findings.is_empty(), "{scan:?}");
}

#[test]
fn local_and_central_names_that_differ_are_reported_and_scanned() {
    let bytes = torch_zip(Member { local_name: Some("archive/data.bin"), ..member("archive/data.pkl", EVIL) });
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(has_evil(&scan, "archive/data.pkl"));
    assert!(scan.findings.iter().any(|finding| finding.message.contains("local header")), "{scan:?}");
}

#[test]
fn pickles_under_other_names_are_found_by_their_first_bytes() {
    let bytes = build(&[Member { deflate: true, ..member("data.txt", EVIL) }, member("readme.md", b"hi")], false);
    let scan = scan_artifact("malicious1_wrong_ext.zip", &bytes).unwrap();
    assert_eq!(scan.format, "zip");
    assert!(has_evil(&scan, "data.txt"));
}

#[test]
fn zip64_archives_are_read() {
    let bytes = build(&[member("archive/data.pkl", EVIL), member("archive/data/0", STORAGE)], true);
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(has_evil(&scan, "archive/data.pkl"), "{scan:?}");
}

#[test]
fn zips_without_pickles_are_not_artifacts() {
    let bytes = build(&[member("a.txt", b"hello"), Member { deflate: true, ..member("b.json", b"{}") }], false);
    assert!(scan_artifact("data.zip", &bytes).is_none());
    assert!(scan_artifact("model.pt", &bytes).is_none());
}

#[test]
fn damaged_zips_are_unscannable_when_named_as_pickles() {
    let mut bytes = torch_zip(member("archive/data.pkl", EVIL));
    bytes.truncate(bytes.len() - 30);
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(scan.unscannable.is_some());
    assert_eq!(scan.verdict(), Safety::Suspicious);
    assert!(scan_artifact("notes.txt", &bytes).is_none());

    // A member whose data runs past the end of the file.
    let mut bytes = build(&[member("archive/data.pkl", EVIL)], false);
    let cd = bytes.windows(4).position(|window| window == b"PK\x01\x02").unwrap();
    bytes[cd + 20..cd + 24].copy_from_slice(&10_000u32.to_le_bytes());
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(scan.unscannable.is_some(), "{scan:?}");
    assert_eq!(scan.verdict(), Safety::Dangerous, "what was read is still reported");
}

#[test]
fn overlapping_entries_are_reported() {
    let mut bytes = build(&[member("archive/data.pkl", EVIL), member("archive/other.pkl", BENIGN)], false);
    // Point the second central entry at the first local header.
    let second = bytes.windows(4).enumerate().filter(|(_, window)| *window == b"PK\x01\x02").nth(1).unwrap().0;
    bytes[second + 42..second + 46].copy_from_slice(&0u32.to_le_bytes());
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(scan.findings.iter().any(|finding| finding.message.contains("overlaps")), "{scan:?}");
}

#[test]
fn an_inflation_bomb_member_stops_at_the_ratio_cap() {
    let mut data = b"\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x40".to_vec();
    data.resize(101 << 20, 0);
    let bytes = build(&[Member { deflate: true, ..member("archive/data.pkl", &data) }], false);
    assert!(bytes.len() < 1 << 20);
    let scan = scan_artifact("model.pt", &bytes).unwrap();
    assert!(scan.unscannable.as_deref().is_some_and(|reason| reason.contains("ratio")), "{:?}", scan.unscannable);
}

#[test]
fn npz_members_are_scanned_when_their_dtype_is_object() {
    let object = super::super::numpy::tests::npy("'|O'", EVIL);
    let ints = super::super::numpy::tests::npy("'<i8'", &[0x80, 0x02, 0, 0, 0, 0, 0, 0]);
    let bytes = build(&[Member { deflate: true, ..member("a.npy", &object) }, member("b.npy", &ints)], false);
    let scan = scan_artifact("arrays.npz", &bytes).unwrap();
    assert_eq!((scan.format, scan.members_scanned), ("numpy-zip", 1));
    assert!(has_evil(&scan, "a.npy"));

    let bytes = build(&[member("b.npy", &ints)], false);
    let scan = scan_artifact("arrays.npz", &bytes).unwrap();
    assert_eq!((scan.format, scan.members_scanned, scan.verdict()), ("numpy-zip", 0, Safety::Safe));
}
