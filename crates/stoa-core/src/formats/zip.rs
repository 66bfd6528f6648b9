//! A lenient zip walker for PyTorch and NumPy archives (security.md §1.6, §7.3). PyTorch reads
//! zips with miniz built without CRC checks, ignores the "encrypted" flags, and finds members
//! by their central-directory name while the data starts after the *local* header; the `zip`
//! crate refuses such members, so this walker reads raw and decides the way PyTorch does, and
//! reports the oddities as suspicious. Only what is needed is read: the tail, the central
//! directory, each member's local header and first bytes, and whole members only when they
//! hold pickles (`*.pkl`, data starting with a pickle PROTO, `.npy` with an object dtype).

use super::containers::{ArtifactScan, Hint, MAX_PICKLE_BYTES, Reader, Unscannable, looks_like_pickle, read_capped};
use super::numpy::{self, HeaderError};
use super::pickle::{self, Safety};

const MAX_ENTRIES: u64 = 100_000;
const MAX_CENTRAL_DIRECTORY: u64 = 64 << 20;
/// The end record (22 bytes) plus the longest comment.
const TAIL: u64 = 22 + 0xffff;
/// §7.3: a member stops inflating past 100:1 once past 100 MiB.
const MAX_RATIO: u64 = 100;
const RATIO_FLOOR: u64 = 100 << 20;
/// Compressed bytes inflated to see how a member starts.
const SNIFF_INPUT: u64 = 1024;
/// General-purpose flags PyTorch ignores: encrypted, compressed patched data, strong encryption.
const IGNORED_FLAGS: u16 = 0x01 | 0x20 | 0x40;

#[derive(Debug)]
struct Entry {
    name: String,
    raw_name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    local_offset: u64,
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut value = [0u8; 8];
    value.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(value)
}

fn fail<T>(reason: impl Into<String>) -> Result<T, Unscannable> {
    Err(Unscannable(reason.into()))
}

/// The central directory: where the end record (or its zip64 form) says it is.
fn central_directory(reader: &mut Reader<'_>) -> Result<Vec<Entry>, Unscannable> {
    let tail_start = reader.len.saturating_sub(TAIL);
    let tail = reader.read_up_to(tail_start, TAIL as usize)?;
    let Some(end) = (0..tail.len().saturating_sub(21)).rev().find(|at| tail[*at..].starts_with(b"PK\x05\x06")) else {
        return fail("zip: no end of central directory");
    };
    let record = &tail[end..];
    let (mut count, mut size, mut offset) =
        (u64::from(u16_at(record, 10)), u64::from(u32_at(record, 12)), u64::from(u32_at(record, 16)));
    if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        let end_at = tail_start + end as u64;
        let locator = reader.read(end_at.checked_sub(20).ok_or(Unscannable("zip64: no locator".to_owned()))?, 20)?;
        if !locator.starts_with(b"PK\x06\x07") {
            return fail("zip64: no locator");
        }
        let record = reader.read_up_to(u64_at(&locator, 8), 56)?;
        if record.len() < 56 || !record.starts_with(b"PK\x06\x06") {
            return fail("zip64: no end of central directory");
        }
        (count, size, offset) = (u64_at(&record, 32), u64_at(&record, 40), u64_at(&record, 48));
    }
    if count > MAX_ENTRIES {
        return fail(format!("zip: {count} entries, more than {MAX_ENTRIES}"));
    }
    if size > MAX_CENTRAL_DIRECTORY || offset.checked_add(size).is_none_or(|end| end > reader.len) {
        return fail("zip: the central directory is out of bounds");
    }
    let directory = reader.read(offset, size as usize)?;
    let mut entries = Vec::new();
    let mut at = 0;
    for index in 0..count {
        if directory.len() < at + 46 || !directory[at..].starts_with(b"PK\x01\x02") {
            return fail(format!("zip: central directory entry {index} is damaged"));
        }
        let header = &directory[at..];
        let (name_len, extra_len, comment_len) =
            (usize::from(u16_at(header, 28)), usize::from(u16_at(header, 30)), usize::from(u16_at(header, 32)));
        let Some(raw_name) = header.get(46..46 + name_len) else { return fail("zip: truncated central directory") };
        let Some(extra) = header.get(46 + name_len..46 + name_len + extra_len) else {
            return fail("zip: truncated central directory");
        };
        let mut entry = Entry {
            name: String::from_utf8_lossy(raw_name).into_owned(),
            raw_name: raw_name.to_vec(),
            flags: u16_at(header, 8),
            method: u16_at(header, 10),
            crc: u32_at(header, 16),
            compressed: u64::from(u32_at(header, 20)),
            local_offset: u64::from(u32_at(header, 42)),
        };
        zip64_sizes(&mut entry, u32_at(header, 24), extra)?;
        entries.push(entry);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// The zip64 extra field holds, in order, the sizes and offset whose 32-bit fields are full.
fn zip64_sizes(entry: &mut Entry, uncompressed: u32, mut extra: &[u8]) -> Result<(), Unscannable> {
    let wide =
        [uncompressed == u32::MAX, entry.compressed == u64::from(u32::MAX), entry.local_offset == u64::from(u32::MAX)];
    if !wide.contains(&true) {
        return Ok(());
    }
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let Some(data) = extra.get(4..4 + len) else { break };
        if id == 1 {
            let mut values = data.chunks_exact(8).map(|chunk| u64_at(chunk, 0));
            let mut next = |needed: bool, current: u64| if needed { values.next() } else { Some(current) };
            next(wide[0], 0).ok_or(Unscannable("zip64: short extra field".to_owned()))?;
            entry.compressed =
                next(wide[1], entry.compressed).ok_or(Unscannable("zip64: short extra field".to_owned()))?;
            entry.local_offset =
                next(wide[2], entry.local_offset).ok_or(Unscannable("zip64: short extra field".to_owned()))?;
            return Ok(());
        }
        extra = &extra[4 + len..];
    }
    fail(format!("zip64: no extra field for {}", entry.name))
}

/// The data offset (after the local header's own name and extra field) and the local name.
fn locate(reader: &mut Reader<'_>, entry: &Entry) -> Result<(u64, Vec<u8>), Unscannable> {
    let head = reader.read_up_to(entry.local_offset, 30 + entry.raw_name.len() + 128)?;
    if head.len() < 30 || !head.starts_with(b"PK\x03\x04") {
        return fail("no local header");
    }
    let (name_len, extra_len) = (usize::from(u16_at(&head, 26)), usize::from(u16_at(&head, 28)));
    let name = match head.get(30..30 + name_len) {
        Some(name) => name.to_vec(),
        None => reader.read_up_to(entry.local_offset + 30, name_len)?,
    };
    Ok((entry.local_offset + 30 + (name_len + extra_len) as u64, name))
}

/// Up to `limit` bytes of a member's content, reading at most `input` compressed bytes.
/// The second value says why the content may be incomplete.
fn content(
    reader: &mut Reader<'_>,
    entry: &Entry,
    data: u64,
    input: u64,
    limit: usize,
) -> Result<(Vec<u8>, Option<String>), Unscannable> {
    let input = input.min(entry.compressed);
    match entry.method {
        0 => {
            let wanted = usize::try_from(input).unwrap_or(usize::MAX).min(limit);
            let bytes = reader.read_up_to(data, wanted)?;
            let short = (bytes.len() < wanted).then(|| "member data past the end of the file".to_owned());
            Ok((bytes, short))
        }
        8 => {
            let ratio_limit = entry.compressed.saturating_mul(MAX_RATIO).max(RATIO_FLOOR);
            let cap = usize::try_from(ratio_limit).unwrap_or(usize::MAX).min(limit);
            let inflater = flate2::read::DeflateDecoder::new(reader.stream(data, data.saturating_add(input)));
            Ok(match read_capped(inflater, cap) {
                Ok((bytes, true)) => (bytes, None),
                Ok((bytes, false)) if cap < limit => (bytes, Some("compression ratio over 100:1".to_owned())),
                Ok((bytes, false)) => (bytes, Some(format!("larger than the {limit}-byte scan limit"))),
                Err((bytes, reason)) => (bytes, Some(format!("inflate failed: {reason}"))),
            })
        }
        method => Ok((Vec::new(), Some(format!("compression method {method} is not read")))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pickle { named: bool },
    Npy,
}

pub(super) fn scan_zip(reader: &mut Reader<'_>, hint: Hint) -> Option<ArtifactScan> {
    let mut scan = ArtifactScan { format: "zip", ..ArtifactScan::default() };
    let entries = match central_directory(reader) {
        Ok(entries) => entries,
        Err(Unscannable(reason)) => {
            scan.unscannable = Some(reason);
            return matches!(hint, Hint::Pickle { .. } | Hint::Maybe { .. }).then_some(scan);
        }
    };
    let (mut pickles, mut arrays, mut torch) = (0, 0, false);
    let mut ranges = Vec::new();
    for entry in &entries {
        let file = entry.name.rsplit('/').next().unwrap_or(&entry.name);
        torch |= file == "data.pkl" || entry.name.ends_with(".data/version") || file == "constants.pkl";
        if entry.name.ends_with(".py") && entry.name.split('/').any(|part| part == "code") {
            scan.code_files.push(entry.name.clone());
        }
        if entry.name.ends_with('/') {
            continue;
        }
        let named = if file.ends_with(".pkl") {
            Some(Kind::Pickle { named: true })
        } else {
            file.ends_with(".npy").then_some(Kind::Npy)
        };
        let (data, local_name) = match locate(reader, entry) {
            Ok(located) => located,
            Err(Unscannable(reason)) => {
                if named.is_some() {
                    scan.unscannable_in(&entry.name, &reason);
                }
                continue;
            }
        };
        ranges.push((data, data.saturating_add(entry.compressed), entry.name.as_str()));
        let kind = match named {
            Some(kind) => kind,
            None => match content(reader, entry, data, SNIFF_INPUT, 8) {
                Ok((head, _)) if head.starts_with(numpy::MAGIC) => Kind::Npy,
                Ok((head, _)) if looks_like_pickle(&head) => Kind::Pickle { named: false },
                Ok(_) => continue,
                Err(Unscannable(reason)) => {
                    scan.unscannable_in(&entry.name, &reason);
                    continue;
                }
            },
        };
        if entry.flags & IGNORED_FLAGS != 0 {
            let message = format!("flags 0x{:04x} (encryption/patch) ignored, read as PyTorch does", entry.flags);
            scan.finding(&entry.name, Safety::Suspicious, message);
        }
        if local_name != entry.raw_name {
            let message = format!("the local header names it {:?}", String::from_utf8_lossy(&local_name));
            scan.finding(&entry.name, Safety::Suspicious, message);
        }
        match kind {
            Kind::Pickle { named } => {
                pickles += 1;
                scan_pickle_member(reader, entry, data, named, &mut scan);
            }
            Kind::Npy => {
                arrays += 1;
                scan_npy_member(reader, entry, data, &mut scan);
            }
        }
    }
    ranges.sort_unstable();
    if let Some(pair) = ranges.windows(2).find(|pair| pair[1].0 < pair[0].1) {
        let message = format!("overlaps {} (a zip bomb or a parser-confusion trick)", pair[0].2);
        scan.finding(pair[1].2, Safety::Suspicious, message);
    }
    scan.format = if torch {
        "pytorch-zip"
    } else if arrays > 0 && pickles == 0 {
        "numpy-zip"
    } else {
        "zip"
    };
    let found = pickles + arrays > 0 || !scan.code_files.is_empty() || scan.unscannable.is_some();
    found.then_some(scan)
}

fn check_crc(entry: &Entry, bytes: &[u8], scan: &mut ArtifactScan) {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    if crc.sum() != entry.crc {
        let message =
            format!("CRC 0x{:08x} does not match the data (0x{:08x}), ignored as PyTorch does", entry.crc, crc.sum());
        scan.finding(&entry.name, Safety::Suspicious, message);
    }
}

fn scan_pickle_member(reader: &mut Reader<'_>, entry: &Entry, data: u64, named: bool, scan: &mut ArtifactScan) {
    let (bytes, problem) = match content(reader, entry, data, u64::MAX, MAX_PICKLE_BYTES) {
        Ok(content) => content,
        Err(Unscannable(reason)) => return scan.unscannable_in(&entry.name, &reason),
    };
    let result = pickle::scan_pickle(&bytes);
    // A member that only starts like a pickle, with nothing followed and nothing imported, is
    // tensor data: an unpickler would stop where this did.
    if !named && result.pickles == 0 && result.imports.is_empty() {
        return;
    }
    match problem {
        // Reported before the pickle's own stop, which the cut causes.
        Some(problem) => scan.unscannable_in(&entry.name, &problem),
        None => check_crc(entry, &bytes, scan),
    }
    scan.add_pickle(&entry.name, result);
}

fn scan_npy_member(reader: &mut Reader<'_>, entry: &Entry, data: u64, scan: &mut ArtifactScan) {
    let mut limit = 4096;
    let header = loop {
        let (prefix, problem) = match content(reader, entry, data, u64::MAX, limit) {
            Ok(content) => content,
            Err(Unscannable(reason)) => return scan.unscannable_in(&entry.name, &reason),
        };
        match numpy::parse_header(&prefix) {
            Ok(header) => break header,
            Err(HeaderError::NeedMore(wanted)) if wanted > limit && prefix.len() == limit => limit = wanted,
            Err(HeaderError::NeedMore(_)) => {
                let reason = problem.unwrap_or_else(|| "npy header: truncated".to_owned());
                return scan.unscannable_in(&entry.name, &reason);
            }
            Err(HeaderError::Invalid(reason)) => return scan.unscannable_in(&entry.name, &reason),
        }
    };
    if !header.has_object {
        return;
    }
    let limit = MAX_PICKLE_BYTES.saturating_add(header.data_offset);
    let (bytes, problem) = match content(reader, entry, data, u64::MAX, limit) {
        Ok(content) => content,
        Err(Unscannable(reason)) => return scan.unscannable_in(&entry.name, &reason),
    };
    match problem {
        Some(problem) => scan.unscannable_in(&entry.name, &problem),
        None => check_crc(entry, &bytes, scan),
    }
    scan.add_pickle(&entry.name, pickle::scan_pickle(bytes.get(header.data_offset..).unwrap_or_default()));
}

#[cfg(test)]
#[path = "zip_tests.rs"]
mod tests;
