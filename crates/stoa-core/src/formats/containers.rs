//! The artifacts that carry pickles (security.md §1.6, §1.7, §7.3): raw and stacked pickles,
//! legacy PyTorch files, PyTorch/NumPy zips, `.npy` with object dtypes, and joblib files, raw
//! or compressed. The file is chosen by extension *and* content (a `.txt` that is a torch zip
//! is scanned); reads go through a byte budget, only the members that can hold pickles are
//! read, and decompression has a hard output cap. A file that should hold pickles but cannot
//! be followed is unscannable, never safe.

use std::io::Read;

use super::pickle::{self, Import, PickleScan, Safety, ScanOptions};
use super::{compressed, numpy, zip};

/// The most bytes one pickle stream (a file, a zip member, a decompressed file) may have.
pub const MAX_PICKLE_BYTES: usize = 512 << 20;
/// The most bytes read from one artifact, all members together.
pub const MAX_TOTAL_READ: u64 = 1 << 30;
/// The first window read to find where a legacy PyTorch file's pickles end (it doubles).
const FIRST_WINDOW: usize = 64 << 10;
/// The literal magic number of legacy `torch.save` files (their first pickle).
const LEGACY_MAGIC: u128 = 0x1950a86a20f9469cfc6c;

/// A file the scanner reads by ranges (local file, object store, memory).
pub trait RandomAccess {
    fn len(&self) -> u64;
    /// Exactly `len` bytes at `offset` (an error if the range passes the end).
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn slice_at(bytes: &[u8], offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    usize::try_from(offset)
        .ok()
        .and_then(|start| bytes.get(start..start.checked_add(len)?))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
}

impl RandomAccess for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        slice_at(self, offset, len)
    }
}

impl RandomAccess for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        slice_at(self, offset, len)
    }
}

impl RandomAccess for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        slice_at(self, offset, len)
    }
}

#[cfg(unix)]
impl RandomAccess for std::fs::File {
    fn len(&self) -> u64 {
        self.metadata().map_or(0, |metadata| metadata.len())
    }
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buffer = vec![0; len];
        self.read_exact_at(&mut buffer, offset)?;
        Ok(buffer)
    }
}

/// An import found in one member of an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactImport {
    /// The member it was found in (`archive/data.pkl`); empty for a file that is one pickle.
    pub member: String,
    pub module: String,
    pub name: String,
    pub safety: Safety,
    pub called: bool,
}

/// Something about the container itself (zip flags, a computed torch magic number...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub member: String,
    pub safety: Safety,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArtifactScan {
    /// `pickle`, `pytorch-zip`, `pytorch-legacy`, `pytorch-tar`, `numpy`, `numpy-zip`, `zip`, `joblib`.
    pub format: &'static str,
    /// The compression around the pickle: `zlib`, `gzip`, `bz2`, `xz`, `lzma`, `lz4`, `zfile`.
    pub compression: Option<&'static str>,
    /// Deduplicated per member, module and name.
    pub imports: Vec<ArtifactImport>,
    pub findings: Vec<Finding>,
    /// TorchScript sources (`code/**/*.py`), run by the TorchScript runtime when loaded.
    pub code_files: Vec<String>,
    /// Why (part of) the artifact could not be followed.
    pub unscannable: Option<String>,
    /// Pickle streams scanned.
    pub members_scanned: usize,
}

impl ArtifactScan {
    /// The worst import or finding; an unscannable artifact is at least suspicious.
    #[must_use]
    pub fn verdict(&self) -> Safety {
        let worst = self
            .imports
            .iter()
            .map(|import| import.safety)
            .chain(self.findings.iter().map(|finding| finding.safety))
            .max()
            .unwrap_or(Safety::Safe);
        if self.unscannable.is_some() { worst.max(Safety::Suspicious) } else { worst }
    }

    pub(super) fn add_pickle(&mut self, member: &str, scan: PickleScan) {
        self.members_scanned += 1;
        for Import { module, name, safety, called } in scan.imports {
            match self
                .imports
                .iter_mut()
                .find(|seen| seen.member == member && seen.module == module && seen.name == name)
            {
                Some(seen) => seen.called |= called,
                None => self.imports.push(ArtifactImport { member: member.to_owned(), module, name, safety, called }),
            }
        }
        if let Some(reason) = scan.unscannable {
            self.unscannable_in(member, &reason);
        }
    }

    pub(super) fn unscannable_in(&mut self, member: &str, reason: &str) {
        if self.unscannable.is_none() {
            self.unscannable = Some(if member.is_empty() { reason.to_owned() } else { format!("{member}: {reason}") });
        }
    }

    pub(super) fn finding(&mut self, member: &str, safety: Safety, message: String) {
        self.findings.push(Finding { member: member.to_owned(), safety, message });
    }
}

/// Why reading stopped (an I/O error, the budget, a limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unscannable(pub(super) String);

/// Budgeted reads of the source.
pub(super) struct Reader<'a> {
    source: &'a dyn RandomAccess,
    pub(super) len: u64,
    budget: u64,
}

impl<'a> Reader<'a> {
    pub(super) fn new(source: &'a dyn RandomAccess) -> Self {
        Self { source, len: source.len(), budget: MAX_TOTAL_READ }
    }

    pub(super) fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, Unscannable> {
        let wanted = len as u64;
        if wanted > self.budget {
            return Err(Unscannable(format!("more than {MAX_TOTAL_READ} bytes to read")));
        }
        self.budget -= wanted;
        self.source.read_at(offset, len).map_err(|error| Unscannable(format!("read failed: {error}")))
    }

    /// Up to `len` bytes at `offset`, fewer at the end of the file.
    pub(super) fn read_up_to(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, Unscannable> {
        let available = usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX);
        self.read(offset, len.min(available))
    }

    /// A `Read` over `[start, end)` that pulls 64 KiB at a time (for decompressors).
    pub(super) fn stream(&mut self, start: u64, end: u64) -> Stream<'_, 'a> {
        Stream { end: end.min(self.len), reader: self, at: start }
    }
}

pub(super) struct Stream<'r, 'a> {
    reader: &'r mut Reader<'a>,
    at: u64,
    end: u64,
}

impl Read for Stream<'_, '_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let left = self.end.saturating_sub(self.at);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buffer.len()).min(64 << 10);
        if n == 0 {
            return Ok(0);
        }
        let bytes = self.reader.read(self.at, n).map_err(|Unscannable(reason)| std::io::Error::other(reason))?;
        buffer[..n].copy_from_slice(&bytes);
        self.at += n as u64;
        Ok(n)
    }
}

/// Reads `input` to its end or to `limit` bytes; `Ok((bytes, false))` when the limit cut it.
pub(super) fn read_capped(mut input: impl Read, limit: usize) -> Result<(Vec<u8>, bool), (Vec<u8>, String)> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let room = (limit + 1).saturating_sub(out.len()).min(chunk.len());
        let n = match input.read(&mut chunk[..room]) {
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err((out, error.to_string())),
        };
        if n == 0 {
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk[..n]);
        if out.len() > limit {
            out.truncate(limit);
            return Ok((out, false));
        }
    }
}

/// How a name's extension says the file is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hint {
    /// `.pkl`, `.pt`, `.joblib`, `.npy`...: loaded by an unpickler; unparseable means unscannable.
    Pickle {
        torch: bool,
    },
    /// `.bin`, `.dat`, `.data`: often pickles, often other binaries.
    Maybe {
        torch: bool,
    },
    /// `.gz`, `.xz`...: scanned when the content inside is a pickle.
    Compressed,
    Other,
}

impl Hint {
    pub(super) fn of(path: &str) -> Self {
        let file = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let extension = file.rsplit_once('.').map_or("", |(_, extension)| extension);
        match extension {
            "pt" | "pth" | "ckpt" | "pt2" => Self::Pickle { torch: true },
            "pkl" | "pickle" | "p" | "dill" | "joblib" | "npy" | "npz" | "sav" => Self::Pickle { torch: false },
            "bin" => Self::Maybe { torch: true },
            "dat" | "data" => Self::Maybe { torch: false },
            "z" | "gz" | "bz2" | "xz" | "lzma" | "lz4" => Self::Compressed,
            _ => Self::Other,
        }
    }

    fn torch(self) -> bool {
        matches!(self, Self::Pickle { torch: true } | Self::Maybe { torch: true })
    }
}

/// Whether bytes start like a protocol 2+ pickle.
pub(super) fn looks_like_pickle(head: &[u8]) -> bool {
    matches!(head, [0x80, 2..=5, ..])
}

/// Scans one file of a repo for pickles; `None` when it is not a pickle-bearing format.
#[must_use]
pub fn scan_artifact(path: &str, source: &dyn RandomAccess) -> Option<ArtifactScan> {
    let mut reader = Reader::new(source);
    let hint = Hint::of(path);
    let head = match reader.read_up_to(0, 512) {
        Ok(head) => head,
        Err(Unscannable(reason)) => {
            return (hint != Hint::Other).then(|| ArtifactScan {
                format: "pickle",
                unscannable: Some(reason),
                ..ArtifactScan::default()
            });
        }
    };
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return zip::scan_zip(&mut reader, hint);
    }
    if head.starts_with(numpy::MAGIC) {
        let mut scan = ArtifactScan { format: "numpy", ..ArtifactScan::default() };
        numpy::scan_npy(&mut reader, "", &mut scan);
        return Some(scan);
    }
    if hint.torch() && head.get(257..262) == Some(b"ustar") {
        return Some(ArtifactScan {
            format: "pytorch-tar",
            unscannable: Some("legacy PyTorch tar archives (torch < 0.4) are not walked".to_owned()),
            ..ArtifactScan::default()
        });
    }
    if !looks_like_pickle(&head)
        && let Some(codec) = compressed::sniff(&head)
    {
        return match hint {
            Hint::Other => None,
            _ => compressed::scan_compressed(&mut reader, codec, hint),
        };
    }
    if looks_like_pickle(&head) || !matches!(hint, Hint::Other | Hint::Compressed) {
        return scan_raw(&mut reader, hint);
    }
    None
}

/// A file that is a pickle stream: a legacy PyTorch file when its first pickle is the magic
/// number, otherwise stacked pickles (joblib's layout followed) to the end.
fn scan_raw(reader: &mut Reader<'_>, hint: Hint) -> Option<ArtifactScan> {
    let mut scan = ArtifactScan { format: "pickle", ..ArtifactScan::default() };
    let mut window = Vec::new();
    let first = match grow_until_complete(reader, 0, &mut window, ScanOptions { joblib: false, max_pickles: Some(1) }) {
        Ok(first) => first,
        Err(Unscannable(reason)) => {
            scan.unscannable = Some(reason);
            return Some(scan);
        }
    };
    if first.scan.unscannable.is_none() && is_literal_magic(&window[..first.consumed]) {
        scan.format = "pytorch-legacy";
        scan_legacy_rest(reader, first.consumed, &window, &mut scan);
        return Some(scan);
    }
    if hint.torch() && first.scan.imports.iter().any(|import| import.called && import.safety != Safety::Safe) {
        // torch.load unpickles the first pickle as the magic number: computing it runs code
        // before any check (picklescan's `pytorch_magic_bypass.pt`).
        scan.finding("", Safety::Dangerous, "the first pickle of a PyTorch file is computed by a call".to_owned());
    }
    // A first pickle that stopped inside the window stops any longer reading at the same place
    // (unless joblib's layout, seen before that place, moves on): the rest is not read.
    let stopped = first.scan.unscannable.is_some() && !first.truncated && !first.scan.has_joblib_arrays();
    if !stopped {
        let limit = usize::try_from(reader.len).unwrap_or(usize::MAX).min(MAX_PICKLE_BYTES);
        match reader.read_up_to(window.len() as u64, limit.saturating_sub(window.len())) {
            Ok(rest) => window.extend_from_slice(&rest),
            Err(Unscannable(reason)) => scan.unscannable_in("", &reason),
        }
    }
    let (pickles, joblib) = if stopped { (first.scan, false) } else { pickle::scan_pickle_joblib(&window) };
    if joblib {
        scan.format = "joblib";
    }
    // Not a pickle after all (nothing followed, nothing imported): a binary with a `.bin`-like
    // extension, or content that only started like a pickle. An unpickler would stop where
    // this did, before importing anything.
    let nothing = pickles.pickles == 0 && pickles.imports.is_empty() && scan.findings.is_empty();
    let weak = match hint {
        Hint::Maybe { .. } => !looks_like_pickle(&window),
        Hint::Other | Hint::Compressed => true,
        Hint::Pickle { .. } => false,
    };
    if nothing && weak {
        return None;
    }
    scan.add_pickle("", pickles);
    if !stopped && (window.len() as u64) < reader.len {
        scan.unscannable_in("", &format!("larger than the {MAX_PICKLE_BYTES}-byte scan limit"));
    }
    Some(scan)
}

/// Scans from `start`, reading a window that doubles (from 64 KiB up to the pickle limit)
/// until the pickles asked for are complete or the file ends. `window` holds what was read.
fn grow_until_complete(
    reader: &mut Reader<'_>,
    start: u64,
    window: &mut Vec<u8>,
    options: ScanOptions,
) -> Result<pickle::StreamScan, Unscannable> {
    let available = usize::try_from(reader.len.saturating_sub(start)).unwrap_or(usize::MAX);
    let mut size = FIRST_WINDOW.min(available).max(window.len());
    loop {
        let more = reader.read(start + window.len() as u64, size - window.len())?;
        window.extend_from_slice(&more);
        let run = pickle::scan_pickle_stream(window, options);
        if !run.truncated || size >= available {
            return Ok(run);
        }
        if size >= MAX_PICKLE_BYTES {
            return Err(Unscannable(format!("a pickle larger than the {MAX_PICKLE_BYTES}-byte scan limit")));
        }
        size = size.saturating_mul(2).min(available).min(MAX_PICKLE_BYTES);
    }
}

/// After the magic number: protocol version, system info, the object, the storage keys; raw
/// storages follow and are not read.
fn scan_legacy_rest(reader: &mut Reader<'_>, start: usize, window: &[u8], scan: &mut ArtifactScan) {
    let mut rest = window[start..].to_vec();
    let options = ScanOptions { joblib: false, max_pickles: Some(4) };
    match grow_until_complete(reader, start as u64, &mut rest, options) {
        Ok(run) => {
            let complete = run.scan.pickles == 4;
            scan.add_pickle("", run.scan);
            if !complete {
                scan.unscannable_in("", "fewer than the five pickles of a legacy PyTorch file");
            }
        }
        Err(Unscannable(reason)) => scan.unscannable_in("", &reason),
    }
}

/// Whether a pickle is exactly the legacy magic number: PROTO, FRAME, then `LONG1` or a
/// protocol-0 `LONG`, then STOP. Anything else computes it.
pub(super) fn is_literal_magic(pickle: &[u8]) -> bool {
    let mut rest = pickle;
    if let [0x80, _, tail @ ..] = rest {
        rest = tail;
    }
    if let [0x95, tail @ ..] = rest {
        let Some(tail) = tail.get(8..) else { return false };
        rest = tail;
    }
    let value = match rest {
        [0x8a, 10, tail @ ..] if tail.len() == 11 => {
            let mut bytes = [0u8; 16];
            bytes[..10].copy_from_slice(&tail[..10]);
            Some((u128::from_le_bytes(bytes), &tail[10..]))
        }
        [b'L', tail @ ..] => tail.iter().position(|byte| *byte == b'\n').and_then(|end| {
            let digits = std::str::from_utf8(&tail[..end]).ok()?.trim_end_matches('L');
            Some((digits.parse::<u128>().ok()?, &tail[end + 1..]))
        }),
        _ => None,
    };
    matches!(value, Some((LEGACY_MAGIC, b".")))
}

#[cfg(test)]
#[path = "containers_tests.rs"]
mod tests;
