#!/usr/bin/env python3
"""Time one SHA-256 pass over a file with Python's hashlib (OpenSSL backend).

Usage: sha256_pass.py FILE  ->  prints "<seconds> <hexdigest>"
The timer covers opening, reading (8 MiB chunks, readinto) and hashing; it
excludes interpreter start-up.
"""
import hashlib
import sys
import time


def main() -> int:
    path = sys.argv[1]
    buf = bytearray(8 << 20)
    view = memoryview(buf)
    t0 = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    dt = time.perf_counter() - t0
    print(f"{dt:.6f} {h.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
