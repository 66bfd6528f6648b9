//! A non-executing pickle scanner (security.md §1.8): a symbolic stack machine that follows
//! every opcode's stack effect, resolves `STACK_GLOBAL` through strings and the memo, records
//! each imported global and whether it is called, goes on after `STOP` (stacked pickles), and
//! bounds everything by the input. Imports are classed safe, suspicious or dangerous; anything
//! it cannot follow makes the file unscannable, never safe.
//!
//! Small values (strings, ints, tuples, dicts and the objects built from globals) are kept so
//! that joblib's layout can be followed: joblib writes each array's raw bytes right after the
//! BUILD of its `NumpyArrayWrapper`, sized by the wrapper's shape and dtype (§1.7).

mod classify;
mod joblib;
mod machine;
mod text;

use std::collections::HashMap;
use std::rc::Rc;

pub use classify::classify;

/// Per pickle. Each opcode takes at least one byte, so inputs bound this too; the limit bounds time.
const MAX_OPCODES: usize = 200_000_000;
const MAX_STACK: usize = 10_000;
/// Real vocabularies and state dicts memoise millions of values; each entry is a small handle.
const MAX_MEMO: usize = 10_000_000;
/// Objects and dicts whose contents are kept; past this they are opaque (bounded memory).
const MAX_TRACKED: usize = 100_000;
/// Items kept per tuple or dict; larger ones are opaque (a wrapper's state has six).
const MAX_TRACKED_ITEMS: usize = 64;

/// Ordered: a file's verdict is its worst import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Safety {
    Safe,
    Suspicious,
    Dangerous,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub safety: Safety,
    /// Target of REDUCE, OBJ, NEWOBJ(_EX), INST or BUILD.
    pub called: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PickleScan {
    pub imports: Vec<Import>,
    /// Set when the stream could not be followed to its end: the file is unscannable.
    pub unscannable: Option<String>,
    /// Stacked pickles found.
    pub pickles: usize,
}

impl PickleScan {
    /// The verdict: the worst import; unscannable streams are at least suspicious.
    #[must_use]
    pub fn verdict(&self) -> Safety {
        let worst = self.imports.iter().map(|import| import.safety).max().unwrap_or(Safety::Safe);
        if self.unscannable.is_some() { worst.max(Safety::Suspicious) } else { worst }
    }

    /// Whether joblib's array wrapper is imported (the stream then interleaves raw arrays).
    #[must_use]
    pub fn has_joblib_arrays(&self) -> bool {
        self.imports.iter().any(|import| joblib::is_wrapper_class(&import.module, &import.name))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Follow joblib's layout: raw array bytes right after each `NumpyArrayWrapper` BUILD.
    pub joblib: bool,
    /// Stop after this many pickles instead of at the end of the input (legacy PyTorch files
    /// hold five pickles followed by raw storages).
    pub max_pickles: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamScan {
    pub scan: PickleScan,
    /// Where the complete pickles end (the next pickle, or raw data, starts there).
    pub consumed: usize,
    /// The input ended inside an opcode: a longer window of the same file may succeed.
    pub truncated: bool,
}

/// A value on the symbolic stack.
#[derive(Debug, Clone)]
enum Value {
    Str(Rc<str>),
    Int(i64),
    Bool,
    None,
    Global(usize),
    Tuple(Rc<[Value]>),
    /// Index into `Machine::dicts` (dicts are mutable and shared through the memo).
    Dict(usize),
    /// Index into `Machine::objects`: the result of calling a global.
    Object(usize),
    Mark,
    Other,
}

#[derive(Debug)]
struct Object {
    class: Value,
    args: Value,
    state: Option<Value>,
}

#[derive(Debug)]
struct Stop {
    reason: String,
    truncated: bool,
}

impl Stop {
    fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), truncated: false }
    }

    fn truncated() -> Self {
        Self { reason: "truncated".to_owned(), truncated: true }
    }
}

struct Machine<'a> {
    input: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: HashMap<u64, Value>,
    objects: Vec<Object>,
    dicts: Vec<Vec<(Value, Value)>>,
    joblib: bool,
    scan: PickleScan,
}

impl Machine<'_> {
    /// Runs one pickle to its STOP. `Ok(false)` at the end of the input before any opcode.
    fn run_one(&mut self) -> Result<bool, Stop> {
        if self.at >= self.input.len() {
            return Ok(false);
        }
        self.stack.clear();
        self.memo.clear();
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > MAX_OPCODES {
                return Err(Stop::new("too many opcodes"));
            }
            let opcode = self.take(1)?[0];
            match opcode {
                b'.' => return Ok(true),
                0x80 => {
                    self.take(1)?;
                }
                0x95 => {
                    self.take(8)?;
                }
                b'(' => self.push(Value::Mark)?,
                b'1' => {
                    self.pop_mark()?;
                }
                b'0' => {
                    self.pop()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.push(top)?;
                }
                b'N' => self.push(Value::None)?,
                0x88 | 0x89 => self.push(Value::Bool)?,
                b')' => self.tuple(Vec::new())?,
                b'}' => self.new_dict(Vec::new())?,
                // Lists and sets: their contents do not import anything.
                b']' | 0x8f => self.push(Value::Other)?,
                b'I' | b'L' => {
                    let value = Self::text_int(self.line()?);
                    self.push(value)?;
                }
                b'F' => {
                    self.line()?;
                    self.push(Value::Other)?;
                }
                b'J' => {
                    let value = Self::signed(self.take(4)?);
                    self.push(value)?;
                }
                b'G' => {
                    self.take(8)?;
                    self.push(Value::Other)?;
                }
                b'K' | b'M' => {
                    let bytes = self.take(if opcode == b'K' { 1 } else { 2 })?;
                    let value = bytes.iter().rev().fold(0i64, |acc, byte| (acc << 8) | i64::from(*byte));
                    self.push(Value::Int(value))?;
                }
                0x8a | 0x8b => {
                    let n = self.length(if opcode == 0x8a { 1 } else { 4 })?;
                    let value = Self::signed(self.take(n)?);
                    self.push(value)?;
                }
                b'S' => {
                    let raw = self.line()?;
                    let decoded = text::unquote_string(raw);
                    self.push(Value::Str(decoded.into()))?;
                }
                b'V' => {
                    let raw = self.line()?;
                    self.push(Value::Str(text::raw_unicode_escape(raw).into()))?;
                }
                b'T' | b'U' | 0x8c | b'X' | 0x8d => {
                    let width = match opcode {
                        b'U' | 0x8c => 1,
                        0x8d => 8,
                        _ => 4,
                    };
                    let n = self.length(width)?;
                    let bytes = self.take(n)?;
                    self.push(Value::Str(Self::text(bytes)))?;
                }
                b'B' | b'C' | 0x8e | 0x96 => {
                    let width = match opcode {
                        b'C' => 1,
                        b'B' => 4,
                        _ => 8,
                    };
                    let n = self.length(width)?;
                    self.take(n)?;
                    self.push(Value::Other)?;
                }
                0x97 | 0x98 => self.push(Value::Other)?,
                b'a' => {
                    self.pop()?;
                }
                b'e' | 0x90 => {
                    self.pop_mark()?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let target = self.top()?;
                    self.set_items(&target, vec![key, value]);
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?;
                    self.set_items(&target, items);
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    self.new_dict(items)?;
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.tuple(items)?;
                }
                b'l' | 0x91 => {
                    self.pop_mark()?;
                    self.push(Value::Other)?;
                }
                0x85..=0x87 => {
                    let count = usize::from(opcode - 0x84);
                    if self.stack.len() < count {
                        return Err(Stop::new("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - count);
                    if items.iter().any(|item| matches!(item, Value::Mark)) {
                        return Err(Stop::new("mark in a tuple"));
                    }
                    self.tuple(items)?;
                }
                b'p' => {
                    let key = Self::number(self.line()?)?;
                    self.memo_put(key)?;
                }
                b'q' => {
                    let key = u64::from(self.take(1)?[0]);
                    self.memo_put(key)?;
                }
                b'r' => {
                    let key = self.length(4)? as u64;
                    self.memo_put(key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    self.memo_put(key)?;
                }
                b'g' => {
                    let key = Self::number(self.line()?)?;
                    self.memo_get(key)?;
                }
                b'h' => {
                    let key = u64::from(self.take(1)?[0]);
                    self.memo_get(key)?;
                }
                b'j' => {
                    let key = self.length(4)? as u64;
                    self.memo_get(key)?;
                }
                b'c' => {
                    let module = Self::text(self.line()?).to_string();
                    let name = Self::text(self.line()?).to_string();
                    self.global(module, name)?;
                }
                b'i' => {
                    let module = Self::text(self.line()?).to_string();
                    let name = Self::text(self.line()?).to_string();
                    let args = self.pop_mark()?;
                    self.global(module, name)?;
                    let class = self.pop()?;
                    self.call(class, Value::Tuple(args.into()))?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => self.global(module.to_string(), name.to_string())?,
                        // An import whose name the stream computes: assume the worst.
                        _ => self.unknown_global("unknown", Safety::Dangerous)?,
                    }
                }
                0x82..=0x84 => {
                    self.take(1 << (opcode - 0x82))?;
                    // Imports through the copyreg extension registry: hidden names.
                    self.unknown_global("copyreg.extension", Safety::Suspicious)?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    self.call(callable, args)?;
                }
                b'b' => self.build()?,
                b'o' => {
                    let mut items = self.pop_mark()?;
                    if items.is_empty() {
                        return Err(Stop::new("OBJ without a class"));
                    }
                    let class = items.remove(0);
                    self.call(class, Value::Tuple(items.into()))?;
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    self.call(class, args)?;
                }
                0x92 => {
                    self.pop()?;
                    let args = self.pop()?;
                    let class = self.pop()?;
                    self.call(class, args)?;
                }
                b'P' => {
                    self.line()?;
                    self.push(Value::Other)?;
                }
                b'Q' => {
                    self.pop()?;
                    self.push(Value::Other)?;
                }
                other => return Err(Stop::new(format!("unknown opcode 0x{other:02x}"))),
            }
        }
    }

    fn build(&mut self) -> Result<(), Stop> {
        let state = self.pop()?;
        let target = self.stack.last().cloned().ok_or_else(|| Stop::new("build on an empty stack"))?;
        self.called(&target);
        if let Value::Object(index) = target {
            self.objects[index].state = Some(state);
            if self.joblib && self.is_array_wrapper(index) {
                self.skip_joblib_array(index)?;
                // joblib's unpickler swaps the wrapper for the array it read.
                if let Some(top) = self.stack.last_mut() {
                    *top = Value::Other;
                }
            }
        }
        Ok(())
    }

    fn run(&mut self, max_pickles: Option<usize>) -> StreamScan {
        let mut consumed = 0;
        let mut truncated = false;
        while max_pickles.is_none_or(|max| self.scan.pickles < max) {
            self.objects.clear();
            self.dicts.clear();
            match self.run_one() {
                Ok(true) => {
                    self.scan.pickles += 1;
                    consumed = self.at;
                }
                Ok(false) => break,
                Err(stop) => {
                    truncated = stop.truncated;
                    self.scan.unscannable = Some(format!("{} at byte {}", stop.reason, self.at));
                    break;
                }
            }
        }
        if self.scan.pickles == 0 && self.scan.unscannable.is_none() {
            self.scan.unscannable = Some("no pickle in the input".to_owned());
        }
        StreamScan { scan: std::mem::take(&mut self.scan), consumed, truncated }
    }
}

/// Scans a pickle stream with options; see [`StreamScan`].
#[must_use]
pub fn scan_pickle_stream(input: &[u8], options: ScanOptions) -> StreamScan {
    let mut machine = Machine {
        input,
        at: 0,
        stack: Vec::new(),
        memo: HashMap::new(),
        objects: Vec::new(),
        dicts: Vec::new(),
        joblib: options.joblib,
        scan: PickleScan::default(),
    };
    machine.run(options.max_pickles)
}

/// Scans a pickle stream (all stacked pickles to the end of the input).
#[must_use]
pub fn scan_pickle(input: &[u8]) -> PickleScan {
    scan_pickle_stream(input, ScanOptions::default()).scan
}

/// Scans a stream that may be joblib's: when it imports `NumpyArrayWrapper`, it is followed
/// again with joblib's layout (what `joblib.load` runs), and the imports that the plain reading
/// (what `pickle.load` runs) found in the bytes joblib skips are added, so a file crafted for
/// either loader is caught. Returns whether the joblib layout was used.
#[must_use]
pub fn scan_pickle_joblib(input: &[u8]) -> (PickleScan, bool) {
    let plain = scan_pickle(input);
    if !plain.has_joblib_arrays() {
        return (plain, false);
    }
    let mut scan = scan_pickle_stream(input, ScanOptions { joblib: true, max_pickles: None }).scan;
    for import in plain.imports {
        // Raw array bytes read as opcodes can spell any garbage "import"; only names Python
        // could import are kept from the plain reading.
        let known = scan.imports.iter().any(|seen| seen.module == import.module && seen.name == import.name);
        if !known && text::is_python_name(&import.module) && text::is_python_name(&import.name) {
            scan.imports.push(import);
        }
    }
    (scan, true)
}

#[cfg(test)]
mod tests;
