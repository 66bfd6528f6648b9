//! joblib's inline arrays (security.md §1.7). `joblib.dump` pickles each NumPy array as a
//! `NumpyArrayWrapper` (state: `shape`, `dtype`, `order`, `allow_mmap`, and since joblib 1.2
//! `numpy_array_alignment_bytes`) and writes the array right after the wrapper's BUILD:
//! for object dtypes a complete protocol-2 pickle of the array, otherwise one byte of padding
//! length, that many padding bytes (only when the alignment key is set), then the raw
//! `prod(shape) * itemsize` bytes. The pickle stream resumes after them.

use super::{Machine, Stop, Value};

/// Nested dtypes followed (structured dtypes whose fields are structured).
const MAX_DTYPE_DEPTH: usize = 8;

pub(super) fn is_wrapper_class(module: &str, name: &str) -> bool {
    name == "NumpyArrayWrapper" && (module == "numpy_pickle" || module.ends_with(".numpy_pickle"))
}

enum Layout {
    /// The array is itself a pickle (object dtype).
    Pickled,
    Raw {
        bytes: u64,
        padded: bool,
    },
}

struct Dtype {
    itemsize: u64,
    has_object: bool,
}

fn unreadable(what: &str) -> Stop {
    Stop::new(format!("joblib array wrapper with {what}"))
}

impl Machine<'_> {
    pub(super) fn is_array_wrapper(&self, object: usize) -> bool {
        match self.objects[object].class {
            Value::Global(index) => {
                let import = &self.scan.imports[index];
                is_wrapper_class(&import.module, &import.name)
            }
            _ => false,
        }
    }

    /// Moves past the array written after the wrapper's BUILD.
    pub(super) fn skip_joblib_array(&mut self, wrapper: usize) -> Result<(), Stop> {
        match self.array_layout(wrapper)? {
            Layout::Raw { bytes, padded } => {
                if padded {
                    let padding = self.take(1)?[0];
                    self.take(usize::from(padding))?;
                }
                let bytes = usize::try_from(bytes).map_err(|_| Stop::truncated())?;
                self.take(bytes)?;
                Ok(())
            }
            Layout::Pickled => self.run_nested(),
        }
    }

    /// Runs the object array's own pickle (`pickle.load`, not joblib's: no further wrappers).
    fn run_nested(&mut self) -> Result<(), Stop> {
        let stack = std::mem::take(&mut self.stack);
        let memo = std::mem::take(&mut self.memo);
        let joblib = std::mem::replace(&mut self.joblib, false);
        let result = self.run_one();
        self.stack = stack;
        self.memo = memo;
        self.joblib = joblib;
        match result? {
            true => Ok(()),
            false => Err(Stop::truncated()),
        }
    }

    fn lookup(&self, dict: usize, key: &str) -> Option<&Value> {
        self.dicts[dict].iter().find(|(name, _)| matches!(name, Value::Str(name) if &**name == key)).map(|(_, v)| v)
    }

    fn array_layout(&self, wrapper: usize) -> Result<Layout, Stop> {
        let dict = match &self.objects[wrapper].state {
            Some(Value::Dict(dict)) => *dict,
            // `(None, dict)`: the state form of classes with slots.
            Some(Value::Tuple(items)) => match &items[..] {
                [_, Value::Dict(dict)] => *dict,
                _ => return Err(unreadable("a state that is not a dict")),
            },
            _ => return Err(unreadable("a state that is not a dict")),
        };
        let dtype = self.lookup(dict, "dtype").ok_or_else(|| unreadable("no dtype"))?;
        let dtype = self.dtype(dtype, 0)?;
        if dtype.has_object {
            return Ok(Layout::Pickled);
        }
        let count = match self.lookup(dict, "shape") {
            Some(Value::Tuple(dims)) => dims.iter().try_fold(1u64, |count, dim| match dim {
                Value::Int(dim) => u64::try_from(*dim).ok().and_then(|dim| count.checked_mul(dim)),
                _ => None,
            }),
            Some(Value::Int(dim)) => u64::try_from(*dim).ok(),
            _ => None,
        }
        .ok_or_else(|| unreadable("an unreadable shape"))?;
        let bytes = count.checked_mul(dtype.itemsize).ok_or_else(|| unreadable("an overflowing size"))?;
        let padded = matches!(self.lookup(dict, "numpy_array_alignment_bytes"), Some(Value::Int(_)));
        Ok(Layout::Raw { bytes, padded })
    }

    /// A `numpy.dtype(typestr, align, copy)` object and its BUILD state
    /// `(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])`.
    fn dtype(&self, value: &Value, depth: usize) -> Result<Dtype, Stop> {
        let unknown = || unreadable("an unknown dtype");
        if depth > MAX_DTYPE_DEPTH {
            return Err(unknown());
        }
        let Value::Object(index) = value else { return Err(unknown()) };
        let object = &self.objects[*index];
        let is_dtype = match object.class {
            Value::Global(class) => {
                let import = &self.scan.imports[class];
                import.name == "dtype" && (import.module == "numpy" || import.module.starts_with("numpy."))
            }
            _ => false,
        };
        let typestr = match &object.args {
            Value::Tuple(args) => match args.first() {
                Some(Value::Str(typestr)) => typestr.clone(),
                _ => return Err(unknown()),
            },
            _ => return Err(unknown()),
        };
        if !is_dtype {
            return Err(unknown());
        }
        let code = typestr.trim_start_matches(['<', '>', '|', '=']);
        let kind = code.chars().next().ok_or_else(unknown)?;
        let mut has_object = kind == 'O';
        let state: &[Value] = match &object.state {
            Some(Value::Tuple(state)) => state,
            _ => &[],
        };
        if let Some(Value::Tuple(subarray)) = state.get(2)
            && let Some(base) = subarray.first()
        {
            has_object |= self.dtype(base, depth + 1)?.has_object;
        }
        if let Some(Value::Dict(fields)) = state.get(4) {
            for (_, field) in &self.dicts[*fields] {
                let Value::Tuple(field) = field else { return Err(unknown()) };
                let field_dtype = field.first().ok_or_else(unknown)?;
                has_object |= self.dtype(field_dtype, depth + 1)?.has_object;
            }
        }
        let itemsize = match state.get(5) {
            Some(Value::Int(elsize)) if *elsize > 0 => u64::try_from(*elsize).map_err(|_| unknown())?,
            _ => {
                let digits: u64 = code[kind.len_utf8()..].parse().map_err(|_| unknown())?;
                if kind == 'U' { digits.checked_mul(4).ok_or_else(unknown)? } else { digits }
            }
        };
        Ok(Dtype { itemsize, has_object })
    }
}
