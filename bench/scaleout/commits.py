#!/usr/bin/env python3
"""Sequential small-commit latency against several Stoa servers, interleaved.

Usage:
  commits.py --commits N --batch B --warmup W --deadline SECONDS \
             NAME=URL,TOKEN,REPO [NAME=URL,TOKEN,REPO ...]

For every server: creates the model repo REPO (user/name) if needed, then sends W warm-up
commits (not counted), then N timed commits. The timed commits alternate between the servers
in batches of B (A: B commits, then B: B commits, ...; the order of the servers flips every
round so that neither always goes first). Each commit adds one new 100-byte file through
`POST /api/models/{REPO}/commit/main` with an application/x-ndjson body (a `header` line and a
`file` line, base64). One client, one request at a time.

Client: Python's http.client, one persistent HTTP/1.1 keep-alive connection per server; if
the server closes it, the client reconnects and counts it (reported as `connections`).
Latency = from sending the request to having read the whole response body
(time.perf_counter). Every response must be 200 with a 40-hex commitOid; at the end the
branch head of each repo must equal the last commitOid it returned.

Prints one JSON object on stdout: per server the samples (ms) and p50/p95/mean/min/max.
Stops with exit status 3 when the deadline passes (the JSON then holds what was measured).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import statistics
import sys
import time
import urllib.parse

HEX40 = re.compile(r"^[0-9a-f]{40}$")


class Server:
    def __init__(self, spec: str) -> None:
        name, _, rest = spec.partition("=")
        url, token, repo = rest.split(",", 2)
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise SystemExit(f"only http:// URLs: {url}")
        self.name, self.url, self.token, self.repo = name, url.rstrip("/"), token, repo
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.conn: http.client.HTTPConnection | None = None
        self.connections = 0
        self.samples: list[float] = []
        self.last_oid = ""
        self.counter = 0

    def request(self, method: str, path: str, body: bytes | None, content_type: str | None) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.conn.connect()
                self.connections += 1
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                elapsed = time.perf_counter() - t0
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a keep-alive connection the server closed in between: retry once on a new one
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close" or resp.will_close:
                self.conn.close()
                self.conn = None
            return resp.status, data, elapsed
        raise AssertionError("unreachable")

    def create_repo(self) -> None:
        _owner, _, name = self.repo.partition("/")
        body = json.dumps({"name": name, "type": "model"}).encode()
        status, data, _ = self.request("POST", "/api/repos/create", body, "application/json")
        if status not in (200, 409):
            raise SystemExit(f"{self.name}: create repo {self.repo}: HTTP {status}: {data[:300]!r}")

    def commit(self) -> float:
        self.counter += 1
        i = self.counter
        content = os.urandom(50).hex().encode()  # 100 bytes, unique per commit
        assert len(content) == 100
        lines = [
            {"key": "header", "value": {"summary": f"bench commit {i}", "description": ""}},
            {"key": "file", "value": {"path": f"c/{i:05d}.txt", "content": base64.b64encode(content).decode(), "encoding": "base64"}},
        ]
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        status, data, elapsed = self.request("POST", f"/api/models/{self.repo}/commit/main", body, "application/x-ndjson")
        if status != 200:
            raise SystemExit(f"{self.name}: commit {i}: HTTP {status}: {data[:300]!r}")
        oid = json.loads(data).get("commitOid", "")
        if not HEX40.match(oid) or oid == self.last_oid:
            raise SystemExit(f"{self.name}: commit {i}: bad or unchanged commitOid {oid!r}")
        self.last_oid = oid
        return elapsed * 1000.0

    def head(self) -> str:
        status, data, _ = self.request("GET", f"/api/models/{self.repo}/revision/main", None, None)
        if status != 200:
            raise SystemExit(f"{self.name}: revision/main: HTTP {status}: {data[:300]!r}")
        return json.loads(data).get("sha", "")


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summary(samples: list[float]) -> dict:
    s = sorted(samples)
    if not s:
        return {"n": 0}
    return {
        "n": len(s),
        "p50_ms": round(percentile(s, 0.50), 2),
        "p95_ms": round(percentile(s, 0.95), 2),
        "mean_ms": round(statistics.fmean(s), 2),
        "min_ms": round(s[0], 2),
        "max_ms": round(s[-1], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--deadline", type=float, default=300.0)
    ap.add_argument("servers", nargs="+")
    args = ap.parse_args()
    servers = [Server(spec) for spec in args.servers]
    deadline = time.monotonic() + args.deadline
    rc = 0
    t_start = time.monotonic()
    try:
        for srv in servers:
            srv.create_repo()
            for _ in range(args.warmup):
                srv.commit()
        rounds = 0
        while any(len(srv.samples) < args.commits for srv in servers):
            order = servers if rounds % 2 == 0 else list(reversed(servers))
            for srv in order:
                for _ in range(min(args.batch, args.commits - len(srv.samples))):
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    srv.samples.append(srv.commit())
            rounds += 1
        for srv in servers:
            head = srv.head()
            if head != srv.last_oid:
                raise SystemExit(f"{srv.name}: head {head} != last commitOid {srv.last_oid}")
    except TimeoutError:
        print(f"commits.py: deadline of {args.deadline}s passed", file=sys.stderr)
        rc = 3
    out = {
        "client": f"Python {sys.version.split()[0]} http.client, one keep-alive connection per server",
        "commits": args.commits,
        "batch": args.batch,
        "warmup": args.warmup,
        "wall_s": round(time.monotonic() - t_start, 2),
        "servers": {
            srv.name: {
                "url": srv.url,
                "repo": srv.repo,
                "connections": srv.connections,
                "head_verified": srv.last_oid != "" and rc == 0,
                **summary(srv.samples),
                "samples_ms": [round(x, 3) for x in srv.samples],
            }
            for srv in servers
        },
    }
    json.dump(out, sys.stdout)
    print()
    return rc


if __name__ == "__main__":
    sys.exit(main())
