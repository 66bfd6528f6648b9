//! Compressed pickles (security.md §1.7): `joblib.dump(compress=...)` writes the whole pickle
//! stream (arrays inline) through zlib, gzip, bz2, xz, raw LZMA ("alone") or an LZ4 frame, and
//! joblib before 0.9.3 wrote "ZF" files (a hex length, then zlib). Scanners that only look for
//! a pickle opcode at byte 0 miss all of them. Decompression is streaming with a hard output
//! cap, so a bomb costs at most the cap.

use std::io::Read;

use super::containers::{
    ArtifactScan, Hint, MAX_PICKLE_BYTES, Reader, Stream, Unscannable, looks_like_pickle, read_capped,
};
use super::pickle;

/// Dictionary memory allowed to the LZMA decoders (xz -9 needs 64 MiB).
const LZMA_MEMORY_KIB: u32 = 256 << 10;
/// What is decompressed to decide whether the content is a pickle at all.
const PEEK: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codec {
    Zlib,
    Gzip,
    Bzip2,
    Xz,
    Lzma,
    Lz4,
    /// joblib < 0.9.3: `ZF`, the length in hex padded to 19 characters, zlib data.
    Zfile,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Self::Zlib => "zlib",
            Self::Gzip => "gzip",
            Self::Bzip2 => "bz2",
            Self::Xz => "xz",
            Self::Lzma => "lzma",
            Self::Lz4 => "lz4",
            Self::Zfile => "zfile",
        }
    }
}

/// The codec joblib would detect from the first bytes (its `_detect_compressor` prefixes).
pub(super) fn sniff(head: &[u8]) -> Option<Codec> {
    match head {
        [b'Z', b'F', b'0', b'x', ..] => Some(Codec::Zfile),
        // The zlib header check (RFC 1950): CMF/FLG as a big-endian u16 is a multiple of 31.
        [0x78, flags, ..] if (0x7800 | u16::from(*flags)) % 31 == 0 => Some(Codec::Zlib),
        [0x1f, 0x8b, ..] => Some(Codec::Gzip),
        [b'B', b'Z', b'h', ..] => Some(Codec::Bzip2),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Codec::Xz),
        [0x5d, 0x00, ..] => Some(Codec::Lzma),
        [0x04, 0x22, 0x4d, 0x18, ..] => Some(Codec::Lz4),
        _ => None,
    }
}

/// How a decompression ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ending {
    Complete,
    /// The output cap was reached.
    Capped,
    Failed(String),
}

fn decoder<'s, 'a: 's>(codec: Codec, stream: Stream<'s, 'a>) -> Result<Box<dyn Read + 's>, String> {
    Ok(match codec {
        Codec::Zlib | Codec::Zfile => Box::new(flate2::read::ZlibDecoder::new(stream)),
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(stream)),
        Codec::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(stream, true, LZMA_MEMORY_KIB)),
        Codec::Lzma => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(stream, LZMA_MEMORY_KIB, None).map_err(|error| error.to_string())?,
        ),
        Codec::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(stream)),
    })
}

/// Decompresses the whole file, at most `limit` bytes of output.
pub(super) fn decompress(
    reader: &mut Reader<'_>,
    codec: Codec,
    limit: usize,
) -> Result<(Vec<u8>, Ending), Unscannable> {
    let mut start = 0;
    if codec == Codec::Zfile {
        // Python 2 joblib <= 0.8.4 wrote one more padding space.
        start = 21;
        if reader.read_up_to(21, 1)? == b" " {
            start = 22;
        }
    }
    let end = reader.len;
    let input = match decoder(codec, reader.stream(start, end)) {
        Ok(input) => input,
        Err(reason) => return Ok((Vec::new(), Ending::Failed(reason))),
    };
    Ok(match read_capped(input, limit) {
        Ok((bytes, true)) => (bytes, Ending::Complete),
        Ok((bytes, false)) => (bytes, Ending::Capped),
        Err((bytes, reason)) => (bytes, Ending::Failed(reason)),
    })
}

/// A compressed file: scanned when what it holds is a pickle (or its name says it is one).
pub(super) fn scan_compressed(reader: &mut Reader<'_>, codec: Codec, hint: Hint) -> Option<ArtifactScan> {
    let mut scan = ArtifactScan { format: "pickle", compression: Some(codec.name()), ..ArtifactScan::default() };
    let (peek, _) = match decompress(reader, codec, PEEK) {
        Ok(peek) => peek,
        Err(Unscannable(reason)) => {
            scan.unscannable = Some(reason);
            return Some(scan);
        }
    };
    if !looks_like_pickle(&peek) && !matches!(hint, Hint::Pickle { .. }) {
        return None;
    }
    let (bytes, ending) = match decompress(reader, codec, MAX_PICKLE_BYTES) {
        Ok(full) => full,
        Err(Unscannable(reason)) => {
            scan.unscannable = Some(reason);
            return Some(scan);
        }
    };
    let (pickles, joblib) = pickle::scan_pickle_joblib(&bytes);
    if joblib || hint == (Hint::Pickle { torch: false }) {
        scan.format = "joblib";
    }
    scan.add_pickle("", pickles);
    match ending {
        Ending::Complete => {}
        Ending::Capped => {
            scan.unscannable =
                Some(format!("decompresses to more than the {MAX_PICKLE_BYTES}-byte scan limit (not followed)"));
        }
        Ending::Failed(reason) => scan.unscannable = Some(format!("{} decompression failed: {reason}", codec.name())),
    }
    Some(scan)
}

#[cfg(test)]
mod tests {
    use super::super::containers::{Reader, scan_artifact};
    use super::super::pickle::Safety;
    use super::{Codec, Ending, decompress};
    use std::io::Write;

    /// `posix.system("echo pwned")`, protocol 2.
    const EVIL: &[u8] = b"\x80\x02cposix\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
    }

    fn assert_dangerous(path: &str, bytes: &[u8], compression: &str) {
        let scan = scan_artifact(path, &bytes).unwrap_or_else(|| panic!("{path}: not scanned"));
        assert_eq!(scan.compression, Some(compression), "{path}");
        assert_eq!(scan.verdict(), Safety::Dangerous, "{path}: {scan:?}");
        assert!(scan.unscannable.is_none(), "{path}: {scan:?}");
        assert!(scan.imports.iter().any(|import| import.module == "posix" && import.name == "system"));
    }

    #[test]
    fn zlib_gzip_bz2_and_lz4_pickles_are_decompressed_and_scanned() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
        zlib.write_all(EVIL).unwrap();
        assert_dangerous("model.joblib", &zlib.finish().unwrap(), "zlib");

        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
        gzip.write_all(EVIL).unwrap();
        // The content decides for a compression extension: a pickle inside is scanned.
        assert_dangerous("model.pkl.gz", &gzip.finish().unwrap(), "gzip");

        let mut bz2 = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(3));
        bz2.write_all(EVIL).unwrap();
        assert_dangerous("model.pkl", &bz2.finish().unwrap(), "bz2");

        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz4.write_all(EVIL).unwrap();
        assert_dangerous("model.joblib", &lz4.finish().unwrap(), "lz4");
    }

    #[test]
    fn xz_and_lzma_alone_pickles_from_python_are_scanned() {
        // Python's `lzma.compress(EVIL)` and `lzma.compress(EVIL, format=lzma.FORMAT_ALONE)`.
        let xz = hex(XZ_EVIL);
        assert_dangerous("model.joblib", &xz, "xz");
        let alone = hex(LZMA_EVIL);
        assert_dangerous("model.joblib", &alone, "lzma");
    }

    #[test]
    fn a_compressed_file_that_is_not_a_pickle_is_not_scanned() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
        gzip.write_all(b"a,b,c\n1,2,3\n").unwrap();
        let bytes = gzip.finish().unwrap();
        assert!(scan_artifact("data.csv.gz", &bytes).is_none());
        assert!(scan_artifact("data.txt", &bytes).is_none(), "compressed content is sniffed by name only");
    }

    #[test]
    fn a_zlib_bomb_is_capped() {
        // 64 MiB of zeros in ~64 KiB: decompression stops at the cap, having read little.
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(9));
        zlib.write_all(b"\x80\x04\x8e\x00\x00\x00\x00\x00\x01\x00\x00").unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            zlib.write_all(&zeros).unwrap();
        }
        let bytes = zlib.finish().unwrap();
        assert!(bytes.len() < 1 << 17);
        let mut reader = Reader::new(&bytes);
        let (out, ending) = decompress(&mut reader, Codec::Zlib, 1 << 20).unwrap();
        assert_eq!((out.len(), ending), (1 << 20, Ending::Capped));
    }

    #[test]
    fn a_truncated_compressed_pickle_is_unscannable() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
        zlib.write_all(EVIL).unwrap();
        let mut bytes = zlib.finish().unwrap();
        bytes.truncate(bytes.len() - 8);
        let scan = scan_artifact("model.joblib", &bytes).unwrap();
        assert!(scan.unscannable.is_some(), "{scan:?}");
        assert!(scan.verdict() >= Safety::Suspicious);
    }

    const XZ_EVIL: &str = "fd377a585a000004e6d6b4460200210116000000742fe5a3010021800263706f7369780a73797374656d0a580a0000006563686f2070776e656485522e000000b42e22563186f3ed00013a22b62a4fd01fb6f37d010000000004595a";
    const LZMA_EVIL: &str = "5d00008000ffffffffffffffff0040008803cb87e60e3fc6dba6623ad0e017a413cde1a6ce54e589265682fefa70c7a22148f86bffffd3e60000";
}
