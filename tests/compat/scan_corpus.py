"""The scanner test corpus (security.md §1.6–1.9), generated at run time, and the helpers the scan,
card and lineage tests share (waiting for a scan, reading Stoa's scan report, tiny safetensors and
GGUF files).

Nothing here is a committed binary: every sample is built from Python when the tests run.

Safety rules for the malicious samples:
* every payload is HARMLESS if ever executed: `os.system("true")`, `eval("0")`, `exec("pass")`,
  `subprocess.Popen(["true"])`, ...;
* nothing here ever unpickles a sample (pickling an object only calls its `__reduce__`, which
  returns the callable without calling it); the self-check walks opcodes with `pickletools.genops`.

torch is not installable in this environment (and the suite must not depend on it), so the
PyTorch-shaped samples are written by hand: the zip layout with `zipfile` (`archive/data.pkl`,
`archive/version`, `archive/byteorder`, `archive/data/0`), and `data.pkl` with the small opcode
writer `_TorchPickleWriter`, which emits exactly what `torch.save` does for a state dict
(protocol 2, `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `BINPERSID` of
`('storage', torch.FloatStorage, '0', 'cpu', n)`).

This module must not import huggingface_hub at import time (see conftest.py).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import struct
import subprocess
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from compat_helpers import curl

# -------------------------------------------------------------------------------------------------
# Evil objects (harmless payloads) and samples
# -------------------------------------------------------------------------------------------------


class EvilSystem:
    """`os.system("true")` — pickles as `posix.system` on Linux."""

    def __reduce__(self):
        return (os.system, ("true",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("0",))


class EvilExec:
    def __reduce__(self):
        return (exec, ("pass",))


class EvilPopen:
    def __reduce__(self):
        return (subprocess.Popen, (["true"],))


class EvilRun:
    def __reduce__(self):
        return (subprocess.run, (["true"],))


@dataclass
class Sample:
    path: str
    data: bytes
    # Statuses accepted in `securityFileStatus.status` (and the scan report).
    accept: tuple[str, ...]
    # A dangerous import the scanner must report for this file: ((module candidates), name).
    dangerous_import: tuple[tuple[str, ...], str] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


UNSAFE = ("unsafe",)
NOT_UNSAFE = ("safe", "suspicious", "unscannable")
SAFE = ("safe",)

# status -> the `level` expected in securityRepoStatus.filesWithIssues (None: not listed)
LEVEL_OF_STATUS = {"unsafe": "dangerous", "unscannable": "unscannable", "suspicious": "suspicious", "safe": None}

# -------------------------------------------------------------------------------------------------
# Hand-assembled pickles
# -------------------------------------------------------------------------------------------------

# GLOBAL os.system, called (protocol 0 text opcodes).
OS_SYSTEM_P0 = b"cos\nsystem\n(Vtrue\ntR."
# INST: import and call in one opcode.
OS_SYSTEM_INST = b"(Vtrue\nios\nsystem\n."
# getattr(__import__('os'), 'system')('true')
GETATTR_CHAIN = (
    b"cbuiltins\ngetattr\n"
    b"(cbuiltins\n__import__\n(Vos\ntR"
    b"Vsystem\ntR"
    b"(Vtrue\ntR."
)
# Memo shuffle (picklescan's malicious11 idea): os, system, torch, LongStorage are stored in the
# memo; STACK_GLOBAL is fed by GETs of the first two, so a scanner that looks back at the last two
# strings sees `torch.LongStorage` (innocuous) instead of `os.system`.
MEMO_SHUFFLE_TEXT = (
    b"Vos\np0\n0Vsystem\np1\n0Vtorch\np2\n0VLongStorage\np3\n0"
    b"g0\ng1\n\x93(Vtrue\ntR."
)


def _binunicode(s: str) -> bytes:
    raw = s.encode()
    assert len(raw) < 256
    return b"\x8c" + bytes([len(raw)]) + raw


# The same with protocol 4 opcodes: MEMOIZE, BINGET and LONG_BINGET.
MEMO_SHUFFLE_P4 = (
    b"\x80\x04"
    + _binunicode("os") + b"\x94"            # memo 0
    + _binunicode("system") + b"\x94"        # memo 1
    + b"00"                                   # pop both
    + _binunicode("torch") + b"\x94"         # memo 2
    + _binunicode("LongStorage") + b"\x94"   # memo 3
    + b"00"
    + b"h\x00" + b"j" + struct.pack("<I", 1)  # BINGET 0, LONG_BINGET 1
    + b"\x93"                                 # STACK_GLOBAL -> os.system
    + _binunicode("true") + b"\x85R."
)
# STACK_GLOBAL fed by STRING opcodes (GHSA-9gvj-pp9x-gcfr).
STRING_STACK_GLOBAL = b"S'os'\nS'system'\n\x93S'true'\n\x85R."
# A pickle cut right after the REDUCE (no STOP): the import is still there.
TRUNCATED_EVIL = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00true\x85R"
# Not a parseable pickle at all: PROTO, a FRAME, then bytes that are no opcodes.
GARBAGE_PICKLE = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00" + bytes([0xFF, 0xFE, 0xFD, 0x00]) * 8

# -------------------------------------------------------------------------------------------------
# torch-shaped pickles without torch
# -------------------------------------------------------------------------------------------------


class _TorchPickleWriter:
    """Writes protocol-2 pickles the way `torch.save` lays out a state dict, without torch."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")

    def op(self, raw: bytes):
        self.out += raw

    def glob(self, module: str, name: str):
        self.op(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def text(self, s: str):
        raw = s.encode()
        self.op(b"X" + struct.pack("<I", len(raw)) + raw)

    def int(self, n: int):
        if 0 <= n < 256:
            self.op(b"K" + bytes([n]))
        else:
            self.op(b"J" + struct.pack("<i", n))

    def tuple_of_ints(self, values):
        self.op(b"(")
        for v in values:
            self.int(v)
        self.op(b"t")

    def tensor(self, key: str, numel: int, shape: tuple[int, ...]):
        """`torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())`."""
        stride, acc = [], 1
        for dim in reversed(shape):
            stride.insert(0, acc)
            acc *= dim
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.op(b"(")  # args
        self.op(b"(")  # persistent id tuple
        self.text("storage")
        self.glob("torch", "FloatStorage")
        self.text(key)
        self.text("cpu")
        self.int(numel)
        self.op(b"tQ")  # TUPLE, BINPERSID
        self.int(0)
        self.tuple_of_ints(shape)
        self.tuple_of_ints(stride)
        self.op(b"\x89")  # False
        self.glob("collections", "OrderedDict")
        self.op(b")R")
        self.op(b"tR")

    def state_dict(self, tensors: list[tuple[str, str, tuple[int, ...]]], evil: bool = False) -> bytes:
        self.glob("collections", "OrderedDict")
        self.op(b")R(")
        for name, storage_key, shape in tensors:
            numel = 1
            for d in shape:
                numel *= d
            self.text(name)
            self.tensor(storage_key, numel, shape)
        if evil:
            self.text("_metadata_hook")
            self.glob("posix", "system")
            self.text("true")
            self.op(b"\x85R")
        self.op(b"u.")
        return bytes(self.out)


STATE_DICT_TENSORS = [("linear.weight", "0", (2, 3)), ("linear.bias", "1", (2,))]


def torch_state_dict_pickle(evil: bool = False) -> bytes:
    return _TorchPickleWriter().state_dict(STATE_DICT_TENSORS, evil=evil)


def _storages() -> dict[str, bytes]:
    return {"0": struct.pack("<6f", *range(6)), "1": struct.pack("<2f", 0.5, -0.5)}


def torch_zip(data_pkl: bytes, *, compression=zipfile.ZIP_STORED, pkl_name: str = "data.pkl") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr(f"archive/{pkl_name}", data_pkl)
        z.writestr("archive/byteorder", b"little")
        for key, raw in _storages().items():
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", b"3\n")
        z.writestr("archive/.data/serialization_id", b"1234567890123456789012345678901234567890")
    return buf.getvalue()


def _patch_zip_member(data: bytes, member: str, *, flag_or: int = 0, crc_xor: int = 0) -> bytes:
    """Sets general-purpose flag bits and/or corrupts the CRC of one member, in both its local
    header and its central-directory entry (the data itself stays as it was)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    local = info.header_offset
    assert out[local:local + 4] == b"PK\x03\x04"
    flags, = struct.unpack_from("<H", out, local + 6)
    struct.pack_into("<H", out, local + 6, flags | flag_or)
    crc, = struct.unpack_from("<I", out, local + 14)
    struct.pack_into("<I", out, local + 14, crc ^ crc_xor)
    name = member.encode()
    pos = 0
    while True:
        pos = out.find(b"PK\x01\x02", pos)
        assert pos >= 0, f"central directory entry of {member} not found"
        name_len, = struct.unpack_from("<H", out, pos + 28)
        if bytes(out[pos + 46:pos + 46 + name_len]) == name:
            break
        pos += 4
    flags, = struct.unpack_from("<H", out, pos + 8)
    struct.pack_into("<H", out, pos + 8, flags | flag_or)
    crc, = struct.unpack_from("<I", out, pos + 16)
    struct.pack_into("<I", out, pos + 16, crc ^ crc_xor)
    return bytes(out)


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}


def legacy_torch(evil: bool) -> bytes:
    """Pre-1.6 `torch.save`: magic, protocol version, sys_info, the data pickle, the storage keys
    pickle, then each storage's raw bytes (u64 count + data)."""
    out = bytearray()
    out += pickle.dumps(LEGACY_MAGIC, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps(LEGACY_SYS_INFO, protocol=2)
    out += torch_state_dict_pickle(evil=evil)
    storages = _storages()
    out += pickle.dumps(sorted(storages), protocol=2)
    for key in sorted(storages):
        raw = storages[key]
        out += struct.pack("<Q", len(raw) // 4) + raw
    return bytes(out)


def legacy_torch_magic_via_eval() -> bytes:
    """The legacy magic number produced by `eval` (picklescan's pytorch_magic_bypass)."""
    magic = b"\x80\x02c__builtin__\neval\nX\x16\x00\x00\x000x1950A86A20F9469CFC6C\x85R."
    return magic + pickle.dumps(1001, protocol=2) + pickle.dumps(LEGACY_SYS_INFO, protocol=2) + \
        torch_state_dict_pickle(evil=False)


# -------------------------------------------------------------------------------------------------
# joblib and numpy
# -------------------------------------------------------------------------------------------------


def joblib_bytes(obj, compress=0) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(obj, buf, compress=compress)  # to a file object, the compressor is the one named
    return buf.getvalue()


def npy_bytes(arr, allow_pickle: bool = False) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def evil_object_array():
    import numpy as np

    arr = np.empty(2, dtype=object)
    arr[0] = "harmless"
    arr[1] = EvilSystem()
    return arr


# -------------------------------------------------------------------------------------------------
# safetensors and GGUF
# -------------------------------------------------------------------------------------------------


def safetensors_bytes(tensors: dict) -> bytes:
    from safetensors.numpy import save

    return save(tensors)


def tiny_safetensors() -> tuple[bytes, dict[str, int]]:
    """A valid safetensors file and its parameter count per dtype."""
    import numpy as np

    tensors = {
        "embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
        "norm.weight": np.ones(5, dtype=np.float16),
        "position_ids": np.arange(4, dtype=np.int64).reshape(2, 2),
    }
    return safetensors_bytes(tensors), {"F32": 12, "F16": 5, "I64": 4}


def sharded_safetensors() -> tuple[dict[str, bytes], dict[str, int]]:
    """`model-0000{1,2}-of-00002.safetensors` + `model.safetensors.index.json`; counts per dtype."""
    import numpy as np

    shard1 = {"layers.0.weight": np.zeros((4, 8), dtype=np.float32), "layers.0.bias": np.zeros(8, dtype=np.float32)}
    shard2 = {"layers.1.weight": np.zeros((8, 2), dtype=np.float32), "lm_head.weight": np.zeros((2, 3), dtype=np.float16)}
    files = {
        "model-00001-of-00002.safetensors": safetensors_bytes(shard1),
        "model-00002-of-00002.safetensors": safetensors_bytes(shard2),
    }
    weight_map = {name: "model-00001-of-00002.safetensors" for name in shard1}
    weight_map.update({name: "model-00002-of-00002.safetensors" for name in shard2})
    total_size = sum(a.nbytes for a in (*shard1.values(), *shard2.values()))
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {"total_size": total_size}, "weight_map": weight_map}, indent=2
    ).encode()
    return files, {"F32": 32 + 8 + 16, "F16": 6}


GGUF_TYPE_UINT32 = 4
GGUF_TYPE_STRING = 8
GGML_TYPE_F32 = 0
GGML_TYPE_F16 = 1


def _gguf_str(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("<Q", len(raw)) + raw


def tiny_gguf(architecture: str = "llama", context_length: int = 4096, file_type: int = 15) -> tuple[bytes, int]:
    """A small valid GGUF v3 file (3 tensors, alignment 32); returns (bytes, parameter count).

    `general.file_type` 15 is MOSTLY_Q4_K_M (the tensors themselves are F32/F16 to keep it tiny)."""
    tensors = [  # name, dims (ne[0] first), ggml type
        ("token_embd.weight", (8, 4), GGML_TYPE_F32),
        ("blk.0.attn_q.weight", (8, 8), GGML_TYPE_F16),
        ("output_norm.weight", (8,), GGML_TYPE_F32),
    ]
    kv = [
        ("general.architecture", GGUF_TYPE_STRING, _gguf_str(architecture)),
        ("general.name", GGUF_TYPE_STRING, _gguf_str("stoa tiny test model")),
        (f"{architecture}.context_length", GGUF_TYPE_UINT32, struct.pack("<I", context_length)),
        ("general.file_type", GGUF_TYPE_UINT32, struct.pack("<I", file_type)),
    ]
    alignment = 32
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)))
    for key, vtype, value in kv:
        out += _gguf_str(key) + struct.pack("<I", vtype) + value
    offset = 0
    blobs = []
    params = 0
    for name, dims, ggml_type in tensors:
        numel = 1
        for d in dims:
            numel *= d
        params += numel
        size = numel * (4 if ggml_type == GGML_TYPE_F32 else 2)
        out += _gguf_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
        blobs.append((offset, bytes((i * 7 + 3) % 251 for i in range(size))))
        offset += size
        offset += (-offset) % alignment
    out += b"\x00" * ((-len(out)) % alignment)
    data_start = len(out)
    for rel, blob in blobs:
        out += b"\x00" * (data_start + rel - len(out))
        out += blob
    return bytes(out), params


# -------------------------------------------------------------------------------------------------
# The corpus
# -------------------------------------------------------------------------------------------------

_OS = (("os", "posix"), "system")
_POSIX = (("posix", "os"), "system")
_BUILTINS = ("builtins", "__builtin__")


def malicious_samples() -> list[Sample]:
    """Every sample here must be reported `unsafe` (except where `accept` says otherwise)."""
    evil_torch = torch_state_dict_pickle(evil=True)
    s = [
        Sample("raw/os_system_p0.pkl", OS_SYSTEM_P0, UNSAFE, _OS, "GLOBAL os.system"),
        Sample("raw/os_system_inst.pkl", OS_SYSTEM_INST, UNSAFE, _OS, "INST os.system"),
        Sample("raw/getattr_import_chain.pkl", GETATTR_CHAIN, UNSAFE, (_BUILTINS, "getattr"),
               "getattr(__import__('os'), 'system')"),
        Sample("raw/memo_shuffle_text.pkl", MEMO_SHUFFLE_TEXT, UNSAFE, _OS, "STACK_GLOBAL from memo GETs (p0 text)"),
        Sample("raw/memo_shuffle_p4.pickle", MEMO_SHUFFLE_P4, UNSAFE, _OS, "STACK_GLOBAL from BINGET/LONG_BINGET"),
        Sample("raw/string_stack_global.pkl", STRING_STACK_GLOBAL, UNSAFE, _OS, "STACK_GLOBAL fed by STRING"),
        Sample("raw/truncated_after_reduce.pkl", TRUNCATED_EVIL, UNSAFE, _OS, "no STOP; import already seen"),
        Sample("raw/stacked_benign_then_evil.pkl",
               pickle.dumps({"a": [1, 2, 3]}, protocol=4) + pickle.dumps(EvilSystem(), protocol=4), UNSAFE, _POSIX,
               "second pickle of two"),
        Sample("raw/eval_p0.pkl", pickle.dumps(EvilEval(), protocol=0), UNSAFE, (_BUILTINS, "eval")),
        Sample("raw/eval_p4.pkl", pickle.dumps(EvilEval(), protocol=4), UNSAFE, (_BUILTINS, "eval")),
        Sample("raw/exec_p2.pkl", pickle.dumps(EvilExec(), protocol=2), UNSAFE, (_BUILTINS, "exec")),
        Sample("raw/subprocess_popen_p4.pkl", pickle.dumps(EvilPopen(), protocol=4), UNSAFE,
               (("subprocess",), "Popen")),
        Sample("raw/subprocess_run_p2.pkl", pickle.dumps(EvilRun(), protocol=2), UNSAFE,
               (("subprocess", "commands"), "run"), "protocol 2 writes commands.run (fix_imports)"),
    ]
    for proto in (0, 2, 4, 5):
        s.append(Sample(f"raw/reduce_posix_system_p{proto}.pkl", pickle.dumps(EvilSystem(), protocol=proto), UNSAFE,
                        _POSIX, f"__reduce__ protocol {proto}"))
    s += [
        # torch zip archives
        Sample("torch/evil_stored.pt", torch_zip(evil_torch), UNSAFE, note="zip, stored"),
        Sample("torch/evil_deflated.bin", torch_zip(evil_torch, compression=zipfile.ZIP_DEFLATED), UNSAFE,
               note="zip, deflated"),
        Sample("torch/evil_flag_encrypted.pth",
               _patch_zip_member(torch_zip(evil_torch), "archive/data.pkl", flag_or=0x1), UNSAFE,
               note="general-purpose flag bit 0 set, data in clear"),
        Sample("torch/evil_bad_crc.ckpt",
               _patch_zip_member(torch_zip(evil_torch), "archive/data.pkl", crc_xor=0xDEADBEEF), UNSAFE,
               note="CRC of data.pkl wrong"),
        Sample("torch/evil_renamed_member.pt", torch_zip(evil_torch, pkl_name="data.txt"), UNSAFE,
               note="archive/data.txt, found by content"),
        Sample("torch/evil_zip_wrong_extension.txt", torch_zip(evil_torch), UNSAFE,
               note="a torch zip named .txt"),
        # legacy torch
        Sample("torch/evil_legacy.pt", legacy_torch(evil=True), UNSAFE, note="stacked pickles after the magic"),
        Sample("torch/legacy_magic_via_eval.pt", legacy_torch_magic_via_eval(), UNSAFE, (_BUILTINS, "eval"),
               "magic number produced by eval"),
        # numpy
        Sample("numpy/object_array.npy", npy_bytes(evil_object_array(), allow_pickle=True), UNSAFE,
               note="object dtype"),
        Sample("numpy/object_arrays.npz",
               npz_bytes(ok=__import__("numpy").arange(3), evil=evil_object_array()), UNSAFE),
        Sample("numpy/object_arrays_compressed.npz",
               npz_bytes(compressed=True, ok=__import__("numpy").arange(3), evil=evil_object_array()), UNSAFE),
        # odd ones
        Sample("odd/garbage.pkl", GARBAGE_PICKLE, ("unscannable",), note="PROTO then no valid opcodes"),
    ]
    # joblib, every compressor it has
    for label, compress in [
        ("plain", 0), ("zlib3", 3), ("gzip", ("gzip", 3)), ("bz2", ("bz2", 3)), ("xz", ("xz", 3)),
        ("lzma", ("lzma", 3)), ("lz4", ("lz4", 3)),
    ]:
        s.append(Sample(f"joblib/evil_{label}.joblib", joblib_bytes(EvilSystem(), compress), UNSAFE,
                        note=f"joblib.dump compress={compress!r}"))
    import numpy as np

    s.append(Sample("joblib/array_before_payload.joblib",
                    joblib_bytes({"w": np.arange(1000), "z": EvilSystem()}), ("unsafe", "unscannable"),
                    note="raw array bytes inline before the payload"))
    return s


def benign_samples() -> list[Sample]:
    """None of these may be `unsafe`; those with SAFE must be plain `safe`."""
    import numpy as np

    weights, _ = tiny_safetensors()
    return [
        Sample("torch/state_dict.pt", torch_zip(torch_state_dict_pickle()), SAFE, note="torch zip state dict"),
        Sample("torch/state_dict_deflated.bin", torch_zip(torch_state_dict_pickle(), compression=zipfile.ZIP_DEFLATED),
               SAFE),
        Sample("torch/legacy_state_dict.pt", legacy_torch(evil=False), NOT_UNSAFE, note="legacy torch format"),
        Sample("numpy/int.npy", npy_bytes(np.arange(100, dtype=np.int64)), SAFE),
        Sample("numpy/float.npy", npy_bytes(np.linspace(0, 1, 50, dtype=np.float32)), SAFE),
        Sample("numpy/arrays.npz", npz_bytes(a=np.arange(10), b=np.ones((2, 2))), SAFE),
        Sample("numpy/arrays_compressed.npz", npz_bytes(compressed=True, a=np.arange(10)), SAFE),
        Sample("pickle/dict_p0.pkl", pickle.dumps({"lr": 0.001, "epochs": 3, "name": "run"}, protocol=0), SAFE),
        Sample("pickle/dict_p2.pkl", pickle.dumps({"lr": 0.001, "layers": [1, 2]}, protocol=2), SAFE),
        Sample("pickle/list_p4.pickle", pickle.dumps(["a", "b", "c", 1.5, None, True], protocol=4), SAFE),
        Sample("pickle/list_p5.pkl", pickle.dumps([[1, 2], (3, 4), {"k": b"v"}], protocol=5), SAFE),
        Sample("pickle/ordered_dict.pkl", pickle.dumps(OrderedDict(a=1, b=2), protocol=2), SAFE,
               note="collections.OrderedDict is innocuous"),
        Sample("pickle/stacked_benign.pkl", pickle.dumps([1], protocol=4) + pickle.dumps({"x": 2}, protocol=4), SAFE),
        Sample("model.safetensors", weights, SAFE),
        Sample("joblib/array.joblib", joblib_bytes(np.arange(100)), NOT_UNSAFE,
               note="joblib NumpyArrayWrapper: suspicious at worst"),
        Sample("joblib/array_zlib.joblib", joblib_bytes(np.arange(100), 3), NOT_UNSAFE),
        Sample("config.json", b'{"model_type": "bert", "hidden_size": 8}\n', SAFE),
    ]


def write_samples(samples: list[Sample], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        target = folder / sample.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sample.data)
    return folder


# -------------------------------------------------------------------------------------------------
# Helpers for the scan / card / lineage tests
# -------------------------------------------------------------------------------------------------


def _api_token(api) -> str | None:
    token = getattr(api, "token", None)
    return token if isinstance(token, str) else None


def security_repo_status(api, repo_id: str, repo_type: str = "model") -> dict | None:
    if repo_type == "model":
        return api.model_info(repo_id, securityStatus=True).security_repo_status
    r = curl("GET", f"{api.endpoint}/api/{repo_type}s/{repo_id}?securityStatus=true", token=_api_token(api))
    assert r.status == 200, r.describe()
    return r.json().get("securityRepoStatus")


def wait_for_scan(api, repo_id: str, repo_type: str = "model", timeout: float = 60) -> dict:
    """Polls `securityRepoStatus` until `scansDone`; returns it. Fails at once when the server does
    not send `securityRepoStatus` at all (that is not "still scanning")."""
    __tracebackhide__ = True
    deadline = time.monotonic() + timeout
    while True:
        status = security_repo_status(api, repo_id, repo_type)
        assert isinstance(status, dict), (
            f"GET /api/{repo_type}s/{repo_id}?securityStatus=true has no securityRepoStatus object: {status!r}"
        )
        assert "scansDone" in status and "filesWithIssues" in status, f"securityRepoStatus shape: {status!r}"
        if status["scansDone"] is True:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"scans of {repo_id} not done after {timeout} s: {status!r}")
        time.sleep(0.25)


def issues_by_path(status: dict) -> dict[str, str]:
    return {entry["path"]: entry["level"] for entry in status.get("filesWithIssues") or []}


def tree_security(api, repo_id: str, repo_type: str | None = None, revision: str | None = None) -> dict:
    """path -> RepoFile.security (BlobSecurityInfo or None), from list_repo_tree(expand=True)."""
    out = {}
    for entry in api.list_repo_tree(repo_id, recursive=True, expand=True, repo_type=repo_type, revision=revision):
        if hasattr(entry, "blob_id") and hasattr(entry, "security"):
            out[entry.path] = entry.security
    return out


def scan_report(url: str, repo_id: str, revision: str, token: str | None = None, repo_type: str = "model"):
    """Stoa's own report: GET /api/{type}s/{id}/scan/{revision} (an HttpResponse)."""
    return curl("GET", f"{url}/api/{repo_type}s/{repo_id}/scan/{revision}", token=token)


def http_error_in_chain(exc: BaseException):
    """The first HfHubHTTPError-like exception (has `.response`) in the cause chain."""
    seen = exc
    while seen is not None:
        if getattr(seen, "response", None) is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# -------------------------------------------------------------------------------------------------
# Self-check: the pickle samples walk with pickletools (never unpickled)
# -------------------------------------------------------------------------------------------------


def walk_all(data: bytes) -> list[str]:
    """Opcode names of every stacked pickle in `data`; raises ValueError on a malformed stream."""
    names = []
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        for opcode, _, _ in pickletools.genops(stream):
            names.append(opcode.name)
    return names


def self_check() -> None:
    """The corpus is what it claims to be (opcodes only; nothing is ever unpickled)."""
    malicious = malicious_samples()
    evil_paths = {sample.path for sample in malicious}
    for sample in malicious + benign_samples():
        if sample.path.endswith((".pkl", ".pickle")) and not sample.path.startswith("odd/"):
            if sample.path == "raw/truncated_after_reduce.pkl":
                try:
                    walk_all(sample.data)
                except ValueError:
                    pass
                else:
                    raise AssertionError("the truncated pickle parses")
                continue
            ops = walk_all(sample.data)
            assert ops[-1] == "STOP", (sample.path, ops)
            calls = {"REDUCE", "INST", "OBJ", "NEWOBJ"} & set(ops)
            assert bool(calls) == (sample.path in evil_paths or "ordered" in sample.path), (sample.path, ops)
    try:
        walk_all(GARBAGE_PICKLE)
    except ValueError:
        pass
    else:
        raise AssertionError("the garbage pickle parses")
    for data in (torch_state_dict_pickle(), torch_state_dict_pickle(evil=True)):
        assert walk_all(data)[-1] == "STOP"
    with zipfile.ZipFile(io.BytesIO(torch_zip(torch_state_dict_pickle()))) as z:
        assert z.read("archive/data.pkl") == torch_state_dict_pickle()
    gguf, params = tiny_gguf()
    assert gguf[:4] == b"GGUF" and params == 32 + 64 + 8 and len(gguf) % 32 == 0


if __name__ == "__main__":  # `python scan_corpus.py DIR` writes the corpus for a look with other tools
    import sys

    self_check()
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "scan-corpus")
    write_samples(malicious_samples(), root / "malicious")
    write_samples(benign_samples(), root / "benign")
    print(f"corpus written to {root}")
