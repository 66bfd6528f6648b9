//! The import tables (security.md §1.8): dangerous modules and names, the weights-only safe
//! list, and everything else suspicious.

use super::Safety;

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
    // Joblib's array container: its arrays are followed by the scanner (raw bytes skipped by
    // size, object arrays scanned as the nested pickle they are).
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
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
