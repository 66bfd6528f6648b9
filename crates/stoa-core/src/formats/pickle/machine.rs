//! The symbolic machine's primitives: bounded reads of opcode arguments, the stack and its
//! marks, the memo, and the small values kept for joblib (tuples, dicts, called globals).

use std::rc::Rc;

use super::{
    Import, MAX_MEMO, MAX_STACK, MAX_TRACKED, MAX_TRACKED_ITEMS, Machine, Object, Safety, Stop, Value, classify,
};

impl<'a> Machine<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.input.len()).ok_or_else(Stop::truncated)?;
        let slice = &self.input[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub(super) fn line(&mut self) -> Result<&'a [u8], Stop> {
        let rest = &self.input[self.at..];
        let end = rest.iter().position(|byte| *byte == b'\n').ok_or_else(Stop::truncated)?;
        self.at += end + 1;
        Ok(&rest[..end])
    }

    pub(super) fn length(&mut self, width: usize) -> Result<usize, Stop> {
        let bytes = self.take(width)?;
        let mut value: u64 = 0;
        for (shift, byte) in bytes.iter().enumerate() {
            value |= u64::from(*byte) << (8 * shift);
        }
        usize::try_from(value).map_err(|_| Stop::new("length overflows"))
    }

    pub(super) fn push(&mut self, value: Value) -> Result<(), Stop> {
        if self.stack.len() >= MAX_STACK {
            return Err(Stop::new("stack too deep"));
        }
        self.stack.push(value);
        Ok(())
    }

    pub(super) fn pop(&mut self) -> Result<Value, Stop> {
        self.stack.pop().ok_or_else(|| Stop::new("stack underflow"))
    }

    pub(super) fn top(&self) -> Result<Value, Stop> {
        self.stack.last().cloned().ok_or_else(|| Stop::new("stack underflow"))
    }

    /// Pops to the last mark, returning what was above it.
    pub(super) fn pop_mark(&mut self) -> Result<Vec<Value>, Stop> {
        let mark =
            self.stack.iter().rposition(|value| matches!(value, Value::Mark)).ok_or_else(|| Stop::new("no mark"))?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    pub(super) fn global(&mut self, module: String, name: String) -> Result<(), Stop> {
        let safety = classify(&module, &name);
        self.scan.imports.push(Import { module, name, safety, called: false });
        self.push(Value::Global(self.scan.imports.len() - 1))
    }

    pub(super) fn unknown_global(&mut self, module: &str, safety: Safety) -> Result<(), Stop> {
        let (module, name) = module.split_once('.').unwrap_or((module, "unknown"));
        self.scan.imports.push(Import { module: module.to_owned(), name: name.to_owned(), safety, called: false });
        self.push(Value::Global(self.scan.imports.len() - 1))
    }

    pub(super) fn called(&mut self, value: &Value) {
        if let Value::Global(index) = value {
            self.scan.imports[*index].called = true;
        }
    }

    /// The value a call produces: an object remembered when a global was called.
    pub(super) fn call(&mut self, class: Value, args: Value) -> Result<(), Stop> {
        self.called(&class);
        let value = if matches!(class, Value::Global(_)) && self.objects.len() < MAX_TRACKED {
            self.objects.push(Object { class, args, state: None });
            Value::Object(self.objects.len() - 1)
        } else {
            Value::Other
        };
        self.push(value)
    }

    pub(super) fn new_dict(&mut self, items: Vec<Value>) -> Result<(), Stop> {
        if self.dicts.len() >= MAX_TRACKED {
            return self.push(Value::Other);
        }
        self.dicts.push(Vec::new());
        let index = self.dicts.len() - 1;
        self.set_items(&Value::Dict(index), items);
        self.push(Value::Dict(index))
    }

    pub(super) fn set_items(&mut self, target: &Value, items: Vec<Value>) {
        let Value::Dict(index) = target else { return };
        let Some(entries) = self.dicts.get_mut(*index) else { return };
        let mut items = items.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            let Value::Str(name) = &key else { continue };
            // A later key wins, as in Python.
            entries.retain(|(existing, _)| !matches!(existing, Value::Str(other) if other == name));
            if entries.len() < MAX_TRACKED_ITEMS {
                entries.push((key, value));
            }
        }
    }

    pub(super) fn tuple(&mut self, items: Vec<Value>) -> Result<(), Stop> {
        let value = if items.len() <= MAX_TRACKED_ITEMS { Value::Tuple(items.into()) } else { Value::Other };
        self.push(value)
    }

    pub(super) fn memo_put(&mut self, key: u64) -> Result<(), Stop> {
        let top = self.stack.last().cloned().ok_or_else(|| Stop::new("memo of an empty stack"))?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return Err(Stop::new("memo too large"));
        }
        self.memo.insert(key, top);
        Ok(())
    }

    pub(super) fn memo_get(&mut self, key: u64) -> Result<(), Stop> {
        let value = self.memo.get(&key).cloned().ok_or_else(|| Stop::new(format!("memo key {key} missing")))?;
        self.push(value)
    }

    pub(super) fn text(bytes: &[u8]) -> Rc<str> {
        String::from_utf8_lossy(bytes).into()
    }

    pub(super) fn number(bytes: &[u8]) -> Result<u64, Stop> {
        std::str::from_utf8(bytes).ok().and_then(|text| text.trim().parse().ok()).ok_or_else(|| Stop::new("bad number"))
    }

    /// A protocol-0 `INT`/`LONG` argument (`I01`/`I00` are True/False).
    pub(super) fn text_int(bytes: &[u8]) -> Value {
        let text = String::from_utf8_lossy(bytes);
        match text.trim_end_matches('L') {
            "01" | "00" => Value::Bool,
            digits => digits.parse().map_or(Value::Other, Value::Int),
        }
    }

    /// A little-endian two's-complement integer (`LONG1`, `LONG4`, `BININT`).
    pub(super) fn signed(bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            return Value::Int(0);
        }
        if bytes.len() > 8 {
            return Value::Other;
        }
        let negative = bytes[bytes.len() - 1] & 0x80 != 0;
        let mut buffer = if negative { [0xff; 8] } else { [0; 8] };
        buffer[..bytes.len()].copy_from_slice(bytes);
        Value::Int(i64::from_le_bytes(buffer))
    }
}
