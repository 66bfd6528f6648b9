#!/usr/bin/env python3
"""The fixed Git LFS batch answer nginx returns for the baseline.

Usage: lfs_batch_json.py BASE_URL OID:SIZE [OID:SIZE...]

Prints one line of JSON in the shape of the LFS batch API's download answer (the same fields
Stoa returns): transfer "basic", and for every object a `download` action whose href is
BASE_URL/OID, a static file nginx serves. nginx sends it with `return 200 '...'`, whatever
the request asked for, so it must list every object of the repository. The output contains
no single quote, backslash or `$`, so it can be pasted into nginx's single-quoted string.
"""
import json
import sys


def main() -> int:
    base = sys.argv[1].rstrip("/")
    objects = []
    for spec in sys.argv[2:]:
        oid, size = spec.split(":")
        objects.append(
            {
                "oid": oid,
                "size": int(size),
                "authenticated": True,
                "actions": {"download": {"href": f"{base}/{oid}", "expires_in": 86400}},
            }
        )
    text = json.dumps({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}, separators=(",", ":"))
    if any(c in text for c in "'\\$"):
        print("unexpected character in the batch JSON", file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
