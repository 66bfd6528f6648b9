//! A non-executing pickle scanner (security.md §1.8): a symbolic stack machine that follows
//! every opcode's stack effect, resolves `STACK_GLOBAL` through strings and the memo, records
//! each imported global and whether it is called, goes on after `STOP` (stacked pickles), and
//! bounds everything by the input. Imports are classed safe, suspicious or dangerous; anything
//! it cannot follow makes the file unscannable, never safe.

use std::collections::HashMap;

const MAX_OPCODES: usize = 1_000_000;
const MAX_STACK: usize = 10_000;
const MAX_MEMO: usize = 100_000;

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
}

/// Modules (and their submodules) whose import alone means code can run.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "socket",
    "shutil",
    "runpy",
    "pty",
    "webbrowser",
    "importlib",
    "pickle",
    "_pickle",
    "marshal",
    "ctypes",
    "code",
    "codeop",
    "pdb",
    "commands",
    "popen2",
    "platform",
    "multiprocessing",
    "asyncio",
    "requests",
    "urllib",
    "httplib",
    "http",
    "ftplib",
    "telnetlib",
    "smtplib",
    "aiohttp",
    "pip",
    "setuptools",
    "distutils",
    "tempfile",
    "glob",
    "pathlib",
    "io",
    "types",
    "operator",
    "functools",
    "inspect",
    "signal",
    "threading",
    "_thread",
    "bdb",
    "timeit",
    "cProfile",
    "profile",
    "trace",
    "dill",
    "torch.hub",
    "torch.jit",
    "torch.package",
    "numpy.testing",
    "pandas.io",
    "joblib",
];

/// Single names that run code.
const DANGEROUS_NAMES: &[(&str, &str)] = &[
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "open"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "delattr"),
    ("builtins", "__import__"),
    ("builtins", "globals"),
    ("builtins", "locals"),
    ("builtins", "vars"),
    ("builtins", "breakpoint"),
    ("builtins", "input"),
    ("builtins", "apply"),
    ("builtins", "execfile"),
    ("numpy", "load"),
    ("numpy.lib.npyio", "load"),
];

/// What a plain weights file needs (PyTorch's weights-only allowlist and common numpy pieces).
const SAFE: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_sparse_tensor"),
    ("torch", "Size"),
    ("torch", "device"),
    ("torch", "dtype"),
    ("torch", "float32"),
    ("torch", "float16"),
    ("torch", "bfloat16"),
    ("torch", "FloatStorage"),
    ("torch", "HalfStorage"),
    ("torch", "BFloat16Storage"),
    ("torch", "DoubleStorage"),
    ("torch", "LongStorage"),
    ("torch", "IntStorage"),
    ("torch", "ShortStorage"),
    ("torch", "CharStorage"),
    ("torch", "ByteStorage"),
    ("torch", "BoolStorage"),
    ("torch.storage", "UntypedStorage"),
    ("torch.storage", "TypedStorage"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("_codecs", "encode"),
];

fn normalise(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    }
}

/// Classes one import.
#[must_use]
pub fn classify(module: &str, name: &str) -> Safety {
    let module = normalise(module);
    if SAFE.iter().any(|(m, n)| *m == module && *n == name) {
        return Safety::Safe;
    }
    let under = |parent: &str| module == parent || module.starts_with(&format!("{parent}."));
    if DANGEROUS_MODULES.iter().any(|parent| under(parent))
        || DANGEROUS_NAMES.iter().any(|(m, n)| *m == module && *n == name)
    {
        return Safety::Dangerous;
    }
    Safety::Suspicious
}

/// A value on the symbolic stack.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Global(usize),
    Mark,
    Other,
}

struct Machine<'a> {
    input: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: HashMap<u64, Value>,
    scan: PickleScan,
}

#[derive(Debug)]
struct Stop(String);

impl<'a> Machine<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| Stop("truncated".to_owned()))?;
        let slice = &self.input[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn line(&mut self) -> Result<&'a [u8], Stop> {
        let rest = &self.input[self.at..];
        let end = rest.iter().position(|byte| *byte == b'\n').ok_or_else(|| Stop("unterminated line".to_owned()))?;
        self.at += end + 1;
        Ok(&rest[..end])
    }

    fn length(&mut self, width: usize) -> Result<usize, Stop> {
        let bytes = self.take(width)?;
        let mut value: u64 = 0;
        for (shift, byte) in bytes.iter().enumerate() {
            value |= u64::from(*byte) << (8 * shift);
        }
        usize::try_from(value).map_err(|_| Stop("length overflows".to_owned()))
    }

    fn push(&mut self, value: Value) -> Result<(), Stop> {
        if self.stack.len() >= MAX_STACK {
            return Err(Stop("stack too deep".to_owned()));
        }
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self) -> Result<Value, Stop> {
        self.stack.pop().ok_or_else(|| Stop("stack underflow".to_owned()))
    }

    /// Pops to the last mark, returning what was above it.
    fn pop_mark(&mut self) -> Result<Vec<Value>, Stop> {
        let mark =
            self.stack.iter().rposition(|value| *value == Value::Mark).ok_or_else(|| Stop("no mark".to_owned()))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    fn global(&mut self, module: String, name: String) -> Result<(), Stop> {
        let safety = classify(&module, &name);
        self.scan.imports.push(Import { module, name, safety, called: false });
        self.push(Value::Global(self.scan.imports.len() - 1))
    }

    fn called(&mut self, value: &Value) {
        if let Value::Global(index) = value {
            self.scan.imports[*index].called = true;
        }
    }

    fn memo_put(&mut self, key: u64) -> Result<(), Stop> {
        let top = self.stack.last().cloned().ok_or_else(|| Stop("memo of an empty stack".to_owned()))?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return Err(Stop("memo too large".to_owned()));
        }
        self.memo.insert(key, top);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<(), Stop> {
        let value = self.memo.get(&key).cloned().ok_or_else(|| Stop(format!("memo key {key} missing")))?;
        self.push(value)
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn number(bytes: &[u8]) -> Result<u64, Stop> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| Stop("bad number".to_owned()))
    }

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
                return Err(Stop("too many opcodes".to_owned()));
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
                    let top = self.stack.last().cloned().ok_or_else(|| Stop("dup of an empty stack".to_owned()))?;
                    self.push(top)?;
                }
                // Scalars and containers: their contents do not import anything.
                b'N' | 0x88 | 0x89 | b']' | b')' | b'}' | 0x8f => self.push(Value::Other)?,
                b'I' | b'L' | b'F' => {
                    self.line()?;
                    self.push(Value::Other)?;
                }
                b'J' | b'G' => {
                    self.take(if opcode == b'J' { 4 } else { 8 })?;
                    self.push(Value::Other)?;
                }
                b'K' => {
                    self.take(1)?;
                    self.push(Value::Other)?;
                }
                b'M' => {
                    self.take(2)?;
                    self.push(Value::Other)?;
                }
                0x8a | 0x8b => {
                    let n = self.length(if opcode == 0x8a { 1 } else { 4 })?;
                    self.take(n)?;
                    self.push(Value::Other)?;
                }
                b'S' => {
                    let raw = self.line()?;
                    let text = Self::text(raw).trim_matches(|c| c == '\'' || c == '"').to_owned();
                    self.push(Value::Str(text))?;
                }
                b'V' => {
                    let raw = self.line()?;
                    self.push(Value::Str(Self::text(raw)))?;
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
                b'e' | b'u' | 0x90 => {
                    self.pop_mark()?;
                }
                b's' => {
                    self.pop()?;
                    self.pop()?;
                }
                b'l' | b't' | b'd' | 0x91 => {
                    self.pop_mark()?;
                    self.push(Value::Other)?;
                }
                0x85 => {
                    self.pop()?;
                    self.push(Value::Other)?;
                }
                0x86 | 0x87 => {
                    for _ in 0..(opcode - 0x84) {
                        self.pop()?;
                    }
                    self.push(Value::Other)?;
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
                    let module = Self::text(self.line()?);
                    let name = Self::text(self.line()?);
                    self.global(module, name)?;
                }
                b'i' => {
                    let module = Self::text(self.line()?);
                    let name = Self::text(self.line()?);
                    self.pop_mark()?;
                    self.global(module, name)?;
                    let value = self.pop()?;
                    self.called(&value);
                    self.push(Value::Other)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (Value::Str(module), Value::Str(name)) => self.global(module, name)?,
                        // An import whose name the stream computes: assume the worst.
                        _ => {
                            self.scan.imports.push(Import {
                                module: "unknown".to_owned(),
                                name: "unknown".to_owned(),
                                safety: Safety::Dangerous,
                                called: false,
                            });
                            self.push(Value::Global(self.scan.imports.len() - 1))?;
                        }
                    }
                }
                0x82..=0x84 => {
                    self.take(1 << (opcode - 0x82))?;
                    // Imports through the copyreg extension registry: hidden names.
                    self.scan.imports.push(Import {
                        module: "copyreg".to_owned(),
                        name: "extension".to_owned(),
                        safety: Safety::Suspicious,
                        called: false,
                    });
                    self.push(Value::Global(self.scan.imports.len() - 1))?;
                }
                b'R' => {
                    self.pop()?;
                    let callable = self.pop()?;
                    self.called(&callable);
                    self.push(Value::Other)?;
                }
                b'b' => {
                    self.pop()?;
                    let target =
                        self.stack.last().cloned().ok_or_else(|| Stop("build on an empty stack".to_owned()))?;
                    self.called(&target);
                }
                b'o' => {
                    let items = self.pop_mark()?;
                    if let Some(callable) = items.first() {
                        self.called(callable);
                    }
                    self.push(Value::Other)?;
                }
                0x81 => {
                    self.pop()?;
                    let class = self.pop()?;
                    self.called(&class);
                    self.push(Value::Other)?;
                }
                0x92 => {
                    self.pop()?;
                    self.pop()?;
                    let class = self.pop()?;
                    self.called(&class);
                    self.push(Value::Other)?;
                }
                b'P' => {
                    self.line()?;
                    self.push(Value::Other)?;
                }
                b'Q' => {
                    self.pop()?;
                    self.push(Value::Other)?;
                }
                other => return Err(Stop(format!("unknown opcode 0x{other:02x}"))),
            }
        }
    }
}

/// Scans a pickle stream (all stacked pickles to the end of the input).
#[must_use]
pub fn scan_pickle(input: &[u8]) -> PickleScan {
    let mut machine = Machine { input, at: 0, stack: Vec::new(), memo: HashMap::new(), scan: PickleScan::default() };
    loop {
        match machine.run_one() {
            Ok(true) => machine.scan.pickles += 1,
            Ok(false) => break,
            Err(Stop(reason)) => {
                machine.scan.unscannable = Some(reason);
                break;
            }
        }
    }
    if machine.scan.pickles == 0 && machine.scan.unscannable.is_none() {
        machine.scan.unscannable = Some("no pickle in the input".to_owned());
    }
    machine.scan
}

#[cfg(test)]
mod tests {
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
}
