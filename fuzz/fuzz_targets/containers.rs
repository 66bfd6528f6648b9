//! Pickle-bearing artifacts: `scan_artifact` over an in-memory file. The first byte picks the
//! file name (the extension steers the scanner: torch, pickle, numpy, joblib, compressed, other),
//! the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stoa_core::formats::containers::scan_artifact;
use stoa_core::formats::pickle::Safety;

const NAMES: &[&str] = &[
    "pytorch_model.bin",
    "model.pt",
    "model.pth",
    "model.ckpt",
    "model.pkl",
    "model.joblib",
    "array.npy",
    "arrays.npz",
    "data.dat",
    "model.pkl.gz",
    "model.joblib.xz",
    "model.pkl.bz2",
    "model.pkl.lzma",
    "model.pkl.lz4",
    "model.joblib.z",
    "README.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let path = NAMES[usize::from(selector) % NAMES.len()];
    if let Some(scan) = scan_artifact(path, &file) {
        if scan.unscannable.is_some() {
            assert!(scan.verdict() >= Safety::Suspicious, "unscannable artifact judged {:?}", scan.verdict());
        }
    }
});
