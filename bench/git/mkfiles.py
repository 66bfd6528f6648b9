#!/usr/bin/env python3
"""Write the small files of the git-clone benchmark repository.

Usage: mkfiles.py OUT_DIR COUNT [SEED]

Writes COUNT text files of 1,024 to 6,144 bytes (uniformly drawn) into five folders of OUT_DIR
(configs/, docs/, src/, data/shard-a/, data/shard-b/), round-robin. The content is base64 of
pseudo-random bytes in 76-character lines, so git's zlib compresses it only a little (about 3/4),
as with typical text that does not repeat. The same SEED gives the same files. Prints the count
and the total size.
"""
import base64
import os
import random
import sys

FOLDERS = ["configs", "docs", "src", "data/shard-a", "data/shard-b"]
EXTENSIONS = {"configs": "json", "docs": "md", "src": "py", "data/shard-a": "txt", "data/shard-b": "txt"}


def main() -> int:
    out, count = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    total = 0
    for folder in FOLDERS:
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    for index in range(count):
        folder = FOLDERS[index % len(FOLDERS)]
        size = rng.randint(1024, 6144)
        raw = base64.b64encode(rng.randbytes(size)).decode()[:size]
        lines = [raw[i : i + 76] for i in range(0, len(raw), 76)]
        text = "\n".join(lines)[: size - 1] + "\n"
        path = os.path.join(out, folder, f"file-{index:05d}.{EXTENSIONS[folder]}")
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
    print(f"{count} files, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
