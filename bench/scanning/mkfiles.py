#!/usr/bin/env python3
"""Write the files bench/scanning/run.sh scans; print one JSON line describing what was written.

  mkfiles.py torch OUT.pt --bytes N --tensors K     PyTorch zip checkpoint (torch.save layout)
  mkfiles.py tuples OUT.pkl --items N               protocol 4 pickle: list of N 5-tuples
  mkfiles.py arrays OUT.pkl --bytes N --arrays K    protocol 4 pickle: dict of K float32 arrays
  mkfiles.py shards DIR --count C --bytes N --tensors K   C safetensors files of N data bytes
  mkfiles.py detection DIR                          small joblib/pickle files, some malicious

torch is not installed here: the PyTorch file is written by hand in the layout of
`torch.save` (zip, members stored and 64-byte aligned): `archive/data.pkl` (protocol 2, an
OrderedDict state dict with `_metadata`, each tensor `torch._utils._rebuild_tensor_v2` of a
persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`), `archive/byteorder`,
`archive/data/0..K-1` (random bytes), `archive/version`, `archive/.data/serialization_id`.
The pickle's globals are stand-ins registered under torch's names in this process only.

The malicious objects of `detection` reduce to `os.system("true")`. Nothing here ever loads
(unpickles) a generated file except the self-check of the hand-written tuple pickle, which
holds only lists, tuples, ints and floats.
"""
import argparse
import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile

# ---- PyTorch zip --------------------------------------------------------------------------


def _torch_stand_ins():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:  # the class object torch pickles as the storage type
        pass

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = FloatStorage.__name__ = "FloatStorage"

    def _rebuild_tensor_v2(*_args):  # never called: nothing is unpickled
        raise RuntimeError("stand-in")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage
    torch._utils = utils
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules.setdefault("torch", torch)
    sys.modules.setdefault("torch._utils", utils)
    return FloatStorage, _rebuild_tensor_v2


class _Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, rebuild, storage, shape):
        self.rebuild, self.storage, self.shape = rebuild, storage, shape

    def __reduce_ex__(self, _protocol):
        stride = (self.shape[1], 1)
        return (self.rebuild, (self.storage, 0, self.shape, stride, False, collections.OrderedDict()))


def _aligned_info(zf, name):
    """A stored ZipInfo whose data starts on a 64-byte boundary (torch's 'FB' padding field)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode()) + 4
    pad = -start % 64
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    return info


def torch_zip(out, total, tensors):
    storage_type, rebuild = _torch_stand_ins()
    per = max(4096, total // tensors // 4096 * 4096)
    shape = (per // 4096, 1024)  # float32 rows of 1024
    state = collections.OrderedDict()
    storages = []
    for i in range(tensors):
        storage = _Storage(str(i), shape[0] * shape[1])
        storages.append(storage)
        layer, part = divmod(i, 8)
        names = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                 "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm"]
        state[f"model.layers.{layer}.{names[part]}.weight"] = _Tensor(rebuild, storage, shape)
    state._metadata = collections.OrderedDict({"": {"version": 1}})

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ("storage", storage_type, obj.key, "cpu", obj.numel)
            return None

    import io
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(state)
    data_pkl = buf.getvalue()
    with open(out, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_aligned_info(zf, "archive/data.pkl"), data_pkl)
        zf.writestr(_aligned_info(zf, "archive/byteorder"), b"little")
        for storage in storages:
            zf.writestr(_aligned_info(zf, f"archive/data/{storage.key}"), os.urandom(storage.numel * 4))
        zf.writestr(_aligned_info(zf, "archive/version"), b"3\n")
        zf.writestr(_aligned_info(zf, "archive/.data/serialization_id"), b"%040d" % 1)
    return {"file": out, "bytes": os.path.getsize(out), "tensors": tensors, "tensor_shape": list(shape),
            "storage_bytes": per, "data_pkl_bytes": len(data_pkl)}


# ---- protocol 4 pickle of many small tuples ------------------------------------------------


def _int(i):
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if 0 <= i < 65536:
        return b"M" + struct.pack("<H", i)
    return b"J" + struct.pack("<i", i)


def _item_parts(i):
    # (i, i/2, -i/4, 1/(i+1), 3.75): MARK, the int, 4 BINFLOAT, TUPLE, MEMOIZE, cut where the
    # pickler may end a frame (when it starts saving an object)
    return (b"(", _int(i), b"G" + struct.pack(">d", i * 0.5), b"G" + struct.pack(">d", -i * 0.25),
            b"G" + struct.pack(">d", 1.0 / (i + 1)), b"G" + struct.pack(">d", 3.75) + b"t\x94")


def _tuples_stream(items, write):
    """Writes the pickle of [(i, ...) for i in range(items)] byte for byte as the C pickler does
    (protocol 4: 64 KiB frames, batches of 1000 APPENDS, every tuple memoized), without building
    the list in memory (5 million tuples would take about 1 GB)."""
    frame = bytearray(b"]\x94")  # EMPTY_LIST MEMOIZE

    def flush(final):
        nonlocal frame
        if final:
            frame += b"."
        write(b"\x95" + struct.pack("<Q", len(frame)) + bytes(frame))
        frame = bytearray()

    for start in range(0, items, 1000):
        end = min(items, start + 1000)
        if items > 1:  # the C pickler writes a one-item list with APPEND, batches with APPENDS
            frame += b"("
        for i in range(start, end):
            for part in _item_parts(i):
                if len(frame) >= 65536:
                    flush(False)
                frame += part
        frame += b"e" if items > 1 else b"a"
    flush(True)


def tuples(out, items):
    import io
    # self-check on a small list: the hand-written stream must load as the list it stands for
    check = io.BytesIO()
    check.write(b"\x80\x04")
    _tuples_stream(2345, check.write)
    expected = [(i, i * 0.5, -i * 0.25, 1.0 / (i + 1), 3.75) for i in range(2345)]
    if check.getvalue() != pickle.dumps(expected, protocol=4):
        raise SystemExit("the hand-written tuple pickle differs from pickle.dumps")
    if items < 1:
        raise SystemExit("--items must be at least 1")
    with open(out, "wb", buffering=1 << 20) as f:
        f.write(b"\x80\x04")
        _tuples_stream(items, f.write)
    # opcodes: PROTO, EMPTY_LIST, MEMOIZE, STOP; 8 per item (MARK, an int, 4 BINFLOAT, TUPLE,
    # MEMOIZE); MARK + APPENDS per batch of 1000; one FRAME per 64 KiB
    size = os.path.getsize(out)
    return {"file": out, "bytes": size, "items": items, "memo_entries": items + 1,
            "opcodes_approx": 4 + 8 * items + 2 * ((items + 999) // 1000) + size // 65536 + 1}


# ---- protocol 4 pickle of large arrays -----------------------------------------------------


def arrays(out, total, count):
    import numpy as np
    per = total // count // 4 * 4
    state = {f"layer.{i}.weight": np.frombuffer(os.urandom(per), dtype=np.float32) for i in range(count)}
    with open(out, "wb") as f:
        pickle.dump(state, f, protocol=4)
    return {"file": out, "bytes": os.path.getsize(out), "arrays": count, "array_bytes": per,
            "numpy": np.__version__}


# ---- safetensors shards --------------------------------------------------------------------


def shards(directory, count, total, tensors):
    os.makedirs(directory, exist_ok=True)
    per = total // tensors // 4096 * 4096
    shape = [per // 4096, 1024]
    files = []
    for shard in range(count):
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for t in range(tensors):
            header[f"model.layers.{shard}.block.{t}.weight"] = {
                "dtype": "F32", "shape": shape, "data_offsets": [offset, offset + per]}
            offset += per
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        name = os.path.join(directory, f"model-{shard + 1:05d}-of-{count:05d}.safetensors")
        with open(name, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            for _ in range(tensors):
                f.write(os.urandom(per))
        files.append(name)
    return {"dir": directory, "files": count, "bytes_each": os.path.getsize(files[0]),
            "tensors_each": tensors, "tensor_shape": shape}


# ---- detection set -------------------------------------------------------------------------


class Evil:
    def __reduce__(self):
        return (os.system, ("true",))


def detection(directory):
    import joblib
    import numpy as np
    os.makedirs(directory, exist_ok=True)
    made = {}

    def put(name, obj, **kwargs):
        path = os.path.join(directory, name)
        joblib.dump(obj, path, **kwargs)
        with open(path, "rb") as f:
            made[name] = {"bytes": os.path.getsize(path), "head": f.read(4).hex()}

    # the three bypasses of security.md §1.7
    put("evil-zlib3.joblib", Evil(), compress=3)
    put("evil-xz3.joblib", Evil(), compress=("xz", 3))
    put("evil-after-array.joblib", {"w": np.arange(1000), "z": Evil()})
    # controls: the same object where both tools should see it, and a harmless compressed file
    put("evil-before-array.joblib", {"z": Evil(), "w": np.arange(1000)})
    plain = pickle.dumps(Evil(), protocol=4)
    with open(os.path.join(directory, "evil-plain.pkl"), "wb") as f:
        f.write(plain)
    made["evil-plain.pkl"] = {"bytes": len(plain), "head": plain[:4].hex()}
    put("benign-zlib3.joblib", {"w": np.arange(1000)}, compress=3)
    return {"dir": directory, "files": made, "joblib": joblib.__version__, "numpy": np.__version__}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("torch"); p.add_argument("out"); p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--tensors", type=int, required=True)
    p = sub.add_parser("tuples"); p.add_argument("out"); p.add_argument("--items", type=int, required=True)
    p = sub.add_parser("arrays"); p.add_argument("out"); p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--arrays", type=int, required=True)
    p = sub.add_parser("shards"); p.add_argument("dir"); p.add_argument("--count", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True); p.add_argument("--tensors", type=int, required=True)
    p = sub.add_parser("detection"); p.add_argument("dir")
    a = parser.parse_args()
    if a.what == "torch":
        result = torch_zip(a.out, a.bytes, a.tensors)
    elif a.what == "tuples":
        result = tuples(a.out, a.items)
    elif a.what == "arrays":
        result = arrays(a.out, a.bytes, a.arrays)
    elif a.what == "shards":
        result = shards(a.dir, a.count, a.bytes, a.tensors)
    else:
        result = detection(a.dir)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
