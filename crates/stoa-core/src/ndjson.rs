//! Streaming reader for commit bodies (`application/x-ndjson`). A commit can carry hundreds of
//! MB of base64 inline (hub-api.md §6, item 21), so long JSON strings are never held in memory:
//! past [`SPILL_THRESHOLD`] bytes a string is unescaped into a temp file (a *spool*) while it
//! streams in, and the line keeps only a random marker in its place.

use std::io::{self, Write};
use std::path::Path;

use futures_util::StreamExt;
use serde_json::Value;
use tempfile::NamedTempFile;

use crate::ports::ByteStream;

/// Strings longer than this go to disk.
pub const SPILL_THRESHOLD: usize = 64 * 1024;
/// A line's JSON without its spooled strings may not exceed this.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum NdjsonError {
    #[error("malformed commit body: {0}")]
    Malformed(String),
    #[error("commit body: {0}")]
    Io(#[from] io::Error),
}

/// A string value that was written to disk, unescaped.
#[derive(Debug)]
pub struct Spool {
    pub file: NamedTempFile,
    pub len: u64,
}

/// One parsed line: spooled strings are `null` in `value` and listed in `spools` by JSON pointer.
#[derive(Debug)]
pub struct SpooledLine {
    pub value: Value,
    pub spools: Vec<(String, Spool)>,
}

impl SpooledLine {
    /// Removes and returns the spool at `pointer` (e.g. `/value/content`).
    pub fn take_spool(&mut self, pointer: &str) -> Option<Spool> {
        let index = self.spools.iter().position(|(at, _)| at == pointer)?;
        Some(self.spools.swap_remove(index).1)
    }
}

/// Reads a whole body into parsed lines; the byte-level work runs on a blocking thread.
pub async fn read_ndjson(mut body: ByteStream, scratch: &Path) -> Result<Vec<SpooledLine>, NdjsonError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<io::Result<bytes::Bytes>>(8);
    let scratch = scratch.to_owned();
    let parser = tokio::task::spawn_blocking(move || {
        let mut splitter = LineSplitter::new(&scratch);
        while let Some(chunk) = receiver.blocking_recv() {
            splitter.feed(&chunk?)?;
        }
        splitter.finish()
    });
    while let Some(chunk) = body.next().await {
        let failed = chunk.is_err();
        if sender.send(chunk).await.is_err() || failed {
            break;
        }
    }
    drop(sender);
    parser.await.map_err(|error| NdjsonError::Io(io::Error::other(error.to_string())))?
}

#[derive(Debug)]
enum Escape {
    None,
    Backslash,
    Unicode(String),
}

/// Byte-level state machine splitting lines and spilling long strings.
#[derive(Debug)]
struct LineSplitter {
    scratch: std::path::PathBuf,
    nonce: String,
    line: Vec<u8>,
    in_string: bool,
    escaped: bool,
    string_start: usize,
    spilling: Option<SpillWriter>,
    spools: Vec<Spool>,
    lines: Vec<SpooledLine>,
}

#[derive(Debug)]
struct SpillWriter {
    file: NamedTempFile,
    buffer: Vec<u8>,
    escape: Escape,
    pending_high_surrogate: Option<u16>,
    len: u64,
}

impl SpillWriter {
    fn push(&mut self, byte: u8) -> Result<(), NdjsonError> {
        match &mut self.escape {
            Escape::None if byte == b'\\' => self.escape = Escape::Backslash,
            Escape::None => self.buffer.push(byte),
            Escape::Backslash => {
                self.escape = Escape::None;
                let plain = match byte {
                    b'"' | b'\\' | b'/' => byte,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        self.escape = Escape::Unicode(String::new());
                        return Ok(());
                    }
                    _ => {
                        return Err(NdjsonError::Malformed("invalid escape in string".to_owned()));
                    }
                };
                self.buffer.push(plain);
            }
            Escape::Unicode(digits) => {
                digits.push(char::from(byte));
                if digits.len() == 4 {
                    let unit = u16::from_str_radix(digits, 16)
                        .map_err(|_| NdjsonError::Malformed("invalid \\u escape".to_owned()))?;
                    self.escape = Escape::None;
                    self.push_utf16(unit)?;
                }
            }
        }
        if self.buffer.len() >= SPILL_THRESHOLD {
            self.flush()?;
        }
        Ok(())
    }

    fn push_utf16(&mut self, unit: u16) -> Result<(), NdjsonError> {
        let text = if let Some(high) = self.pending_high_surrogate.take() {
            String::from_utf16(&[high, unit])
        } else if (0xD800..0xDC00).contains(&unit) {
            self.pending_high_surrogate = Some(unit);
            return Ok(());
        } else {
            String::from_utf16(&[unit])
        };
        let text = text.map_err(|_| NdjsonError::Malformed("invalid surrogate pair".to_owned()))?;
        self.buffer.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NdjsonError> {
        self.file.write_all(&self.buffer)?;
        self.len += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<Spool, NdjsonError> {
        if !matches!(self.escape, Escape::None) || self.pending_high_surrogate.is_some() {
            return Err(NdjsonError::Malformed("unterminated escape in string".to_owned()));
        }
        self.flush()?;
        Ok(Spool { file: self.file, len: self.len })
    }
}

impl LineSplitter {
    fn new(scratch: &Path) -> Self {
        Self {
            scratch: scratch.to_owned(),
            nonce: crate::tokens::new_object_id(),
            line: Vec::new(),
            in_string: false,
            escaped: false,
            string_start: 0,
            spilling: None,
            spools: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// The marker as JSON source text: an escaped control character no client string starts
    /// with, plus a per-body random nonce.
    fn marker(&self, index: usize) -> String {
        format!("\\u0001stoa-spool:{}:{index}", self.nonce)
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), NdjsonError> {
        for &byte in chunk {
            self.push(byte)?;
        }
        Ok(())
    }

    fn push(&mut self, byte: u8) -> Result<(), NdjsonError> {
        if !self.in_string {
            if byte == b'\n' {
                return self.end_line();
            }
            if byte == b'"' {
                self.in_string = true;
                self.string_start = self.line.len() + 1;
            }
            self.line.push(byte);
            return self.check_line_size();
        }
        let closes = byte == b'"' && !self.escaped;
        self.escaped = byte == b'\\' && !self.escaped;
        if closes {
            self.in_string = false;
            if let Some(writer) = self.spilling.take() {
                let marker = self.marker(self.spools.len());
                self.spools.push(writer.finish()?);
                self.line.extend_from_slice(marker.as_bytes());
            }
            self.line.push(byte);
            return Ok(());
        }
        if let Some(writer) = &mut self.spilling {
            return writer.push(byte);
        }
        self.line.push(byte);
        if self.line.len() - self.string_start > SPILL_THRESHOLD {
            self.start_spill()?;
        }
        Ok(())
    }

    fn start_spill(&mut self) -> Result<(), NdjsonError> {
        let file = NamedTempFile::new_in(&self.scratch)?;
        let mut writer = SpillWriter {
            file,
            buffer: Vec::with_capacity(SPILL_THRESHOLD * 2),
            escape: Escape::None,
            pending_high_surrogate: None,
            len: 0,
        };
        let pending: Vec<u8> = self.line.split_off(self.string_start);
        // `escaped` reflects the last byte; replaying the bytes rebuilds the same escape state.
        for byte in pending {
            writer.push(byte)?;
        }
        self.spilling = Some(writer);
        Ok(())
    }

    fn check_line_size(&self) -> Result<(), NdjsonError> {
        if self.line.len() > MAX_LINE_BYTES {
            return Err(NdjsonError::Malformed("a line is longer than 8 MiB outside of file contents".to_owned()));
        }
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), NdjsonError> {
        let line = std::mem::take(&mut self.line);
        let spools = std::mem::take(&mut self.spools);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let mut value: Value = serde_json::from_slice(&line)
            .map_err(|error| NdjsonError::Malformed(format!("line {}: {error}", self.lines.len() + 1)))?;
        let mut spools: Vec<Option<Spool>> = spools.into_iter().map(Some).collect();
        let mut found = Vec::new();
        let prefix = format!("\u{1}stoa-spool:{}:", self.nonce);
        collect_markers(&mut value, String::new(), &prefix, &mut spools, &mut found);
        self.lines.push(SpooledLine { value, spools: found });
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<SpooledLine>, NdjsonError> {
        if self.in_string {
            return Err(NdjsonError::Malformed("the body ends inside a string".to_owned()));
        }
        self.end_line()?;
        Ok(self.lines)
    }
}

fn collect_markers(
    value: &mut Value,
    pointer: String,
    prefix: &str,
    spools: &mut [Option<Spool>],
    found: &mut Vec<(String, Spool)>,
) {
    match value {
        Value::String(text) => {
            let index = text.strip_prefix(prefix).and_then(|rest| rest.parse::<usize>().ok());
            if let Some(spool) = index.and_then(|index| spools.get_mut(index)).and_then(Option::take) {
                found.push((pointer, spool));
                *value = Value::Null;
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                collect_markers(item, format!("{pointer}/{index}"), prefix, spools, found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                collect_markers(item, format!("{pointer}/{key}"), prefix, spools, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &[u8], chunk: usize) -> Result<Vec<SpooledLine>, NdjsonError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut splitter = LineSplitter::new(dir.path());
        for piece in body.chunks(chunk) {
            splitter.feed(piece)?;
        }
        let lines = splitter.finish()?;
        // Keep spools readable after the directory guard drops by reading them now.
        std::mem::forget(dir);
        Ok(lines)
    }

    #[test]
    fn small_lines_parse_in_memory() {
        let body = b"{\"key\":\"header\",\"value\":{\"summary\":\"hi\"}}\n{\"key\":\"file\",\"value\":{\"content\":\"aGk=\",\"path\":\"a\"}}\n";
        let lines = parse(body, 7).expect("parses");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].value["value"]["content"], "aGk=");
        assert!(lines[1].spools.is_empty());
    }

    #[test]
    fn long_strings_are_spooled_and_unescaped() {
        let content = format!("{}\\\"x\\u00e9\\ud83d\\ude00{}", "A".repeat(SPILL_THRESHOLD), "B".repeat(10));
        let body = format!("{{\"key\":\"file\",\"value\":{{\"content\":\"{content}\",\"path\":\"big\"}}}}");
        for chunk in [1, 1000, body.len()] {
            let mut lines = parse(body.as_bytes(), chunk).expect("parses");
            let spool = lines[0].take_spool("/value/content").expect("spooled");
            let text = std::fs::read_to_string(spool.file.path()).expect("readable");
            assert_eq!(text, format!("{}\"xé😀{}", "A".repeat(SPILL_THRESHOLD), "B".repeat(10)));
            assert_eq!(spool.len, text.len() as u64);
            assert!(lines[0].value["value"]["content"].is_null());
            assert_eq!(lines[0].value["value"]["path"], "big");
        }
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert!(parse(b"{\"key\": oops}\n", 4).is_err());
        assert!(parse(b"{\"key\": \"unterminated", 4).is_err());
        let forged = "{\"key\":\"\\u0001stoa-spool:0000:0\"}\n";
        let lines = parse(forged.as_bytes(), 3).expect("parses");
        assert!(lines[0].spools.is_empty());
    }
}
