#!/usr/bin/env python3
"""Time one small smart-HTTP round trip: the protocol-v2 `ls-refs` POST git sends during a clone.

Usage: lsrefs_probe.py URL COUNT

POSTs the same `command=ls-refs` request as git 2.4x (peel, symrefs, unborn, ref-prefix HEAD and
refs/heads/) COUNT times over one keep-alive connection to URL/git-upload-pack and prints
"median_ms min_ms max_ms status bytes". The server side is `git upload-pack --stateless-rpc`,
about 2 ms of work; everything above that is HTTP plumbing and TCP.
"""
import http.client
import statistics
import sys
import time
import urllib.parse


def pkt(text: str) -> bytes:
    data = text.encode()
    return b"%04x" % (len(data) + 4) + data


def main() -> int:
    url, count = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2])
    body = (
        pkt("command=ls-refs\n") + pkt("agent=git/2.47.3\n") + pkt("object-format=sha1\n") + b"0001"
        + pkt("peel\n") + pkt("symrefs\n") + pkt("unborn\n") + pkt("ref-prefix HEAD\n")
        + pkt("ref-prefix refs/heads/\n") + b"0000"
    )
    headers = {
        "Content-Type": "application/x-git-upload-pack-request",
        "Accept": "application/x-git-upload-pack-result",
        "Git-Protocol": "version=2",
    }
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    times, status, size = [], 0, 0
    for _ in range(count):
        start = time.perf_counter()
        conn.request("POST", url.path.rstrip("/") + "/git-upload-pack", body=body, headers=headers)
        response = conn.getresponse()
        size = len(response.read())
        status = response.status
        times.append((time.perf_counter() - start) * 1000)
    print(f"{statistics.median(times):.1f} {min(times):.1f} {max(times):.1f} {status} {size}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
