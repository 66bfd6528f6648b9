#!/usr/bin/env python3
"""Access-control benchmark driver: rate limiting, authentication, the gate check and sign-in,
each side by side with a baseline. Started by bench/access/run.sh, which creates the users,
organisations and tokens with `stoa admin`, starts the servers and sets the environment
(HF_ENDPOINT, HF_HOME, ...) before this file imports huggingface_hub.

Usage:
  access.py setup   --url URL --owner-token T --reader-token T --fg-token T
                    --reader NAME --signer NAME --password P
  access.py measure --url-on URL --url-off URL --url-off2 URL --owner-token T --reader-token T --fg-token T
                    --signer NAME --password P [--requests 2000] [--concurrency 4] [--blocks 8]
                    [--warmup 50] [--logins 30] [--deadline SECONDS]

setup (on a server with the limits off): repos owner/pub (README.md + file.txt, public),
owner/gated and owner/open (the same two files); owner/gated set to `gated: manual`
(`PUT /api/models/owner/gated/settings`), the reader asks for access
(`POST .../user-access-request/request`), the owner accepts (`POST .../user-access-request/handle`);
the signer signs up (`POST /api/signup`). Checks what the measurements rely on.

measure:
  ratelimit  `GET /api/models/owner/pub` with the owner's write token: the server with the
             limits on (--url-on) vs the one with STOA_RATE_LIMIT=off (--url-off); a second server
             with the limits off (--url-off2) measures how much two server processes differ anyway
  auth       same URL on --url-off: anonymous vs the reader's write token vs the reader's
             fine-grained token (the reader is a member of 20 organisations) vs the owner's write
             token (a member of none)
  gate       `HEAD /owner/gated/resolve/main/file.txt` vs `HEAD /owner/open/resolve/main/file.txt`,
             the reader's write token, on --url-off
  signin     on --url-on: `POST /api/login` (right password) vs with an unknown user name vs
             with a wrong password vs `GET /api/whoami-v2` with the owner's token, one at a time,
             interleaved

Timed requests: http.client over keep-alive connections (one per client thread); latency =
request sent -> whole response read (time.perf_counter). Each comparison runs in alternating
blocks (the order rotates from block to block) after a warm-up of each target.
One JSON object on stdout at the end (also when a phase fails); progress on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import statistics
import sys
import threading
import time
import urllib.parse

T0 = time.monotonic()
OUT: dict = {"phases": {}, "errors": []}


def log(msg: str) -> None:
    print(f"[access.py {time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def pct(samples: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not samples:
        return None
    s = sorted(samples)
    k = max(1, math.ceil(p / 100 * len(s)))
    return s[k - 1]


def summary_ms(samples_s: list[float]) -> dict:
    ms = [x * 1000 for x in samples_s]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(pct(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def ratio(a, b, digits: int = 3):
    return round(a / b, digits) if a is not None and b else None


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, url: str) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.conn: http.client.HTTPConnection | None = None
        self.connections = 0

    def request(self, method: str, path: str, token: str | None = None, body: dict | None = None,
                timeout: float = 60) -> tuple[int, bytes, float, http.client.HTTPResponse]:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                self.conn.connect()
                self.connections += 1
            try:
                t = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                dt = time.perf_counter() - t
                if resp.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, payload, dt, resp
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a keep-alive connection the server closed meanwhile: reconnect once
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Target:
    """One side of a comparison: a server, a request and the status it must answer."""

    def __init__(self, name: str, url: str, method: str, path: str, token: str | None,
                 body: dict | None = None, expect: int = 200) -> None:
        self.name, self.url, self.method, self.path, self.token = name, url, method, path, token
        self.body, self.expect = body, expect
        self.lat: list[float] = []
        self.wall = 0.0
        self.sizes: set[int] = set()
        self.connections = 0
        self.last_headers: dict = {}


def run_parallel(t: Target, n: int, threads: int, record: bool = True) -> None:
    """n requests of target t from `threads` threads (a shared counter), each thread with one
    keep-alive connection."""
    lock = threading.Lock()
    left = [n]
    lat: list[float] = []
    sizes: set[int] = set()
    errors: list[str] = []
    conns = [0]
    last: dict = {}

    def worker() -> None:
        c = Client(t.url)
        while True:
            with lock:
                if left[0] <= 0 or errors:
                    break
                left[0] -= 1
            try:
                status, payload, dt, resp = c.request(t.method, t.path, t.token, t.body)
            except Exception as e:  # noqa: BLE001 - reported
                with lock:
                    errors.append(repr(e))
                break
            with lock:
                if status != t.expect:
                    errors.append(f"{t.method} {t.path} ({t.name}): {status} {payload[:200]!r}")
                lat.append(dt)
                sizes.add(len(payload) if t.method != "HEAD" else int(resp.getheader("content-length") or -1))
                last.clear()
                last.update({k.lower(): v for k, v in resp.getheaders()})
        c.close()
        with lock:
            conns[0] += c.connections

    start = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    if record:
        t.lat += lat
        t.wall += wall
        t.sizes |= sizes
        t.connections += conns[0]
        t.last_headers = dict(last)


def compare(targets: list[Target], a, deadline_at: float) -> dict:
    """Warm-up, then a.requests requests of each target in a.blocks alternating blocks."""
    for t in targets:
        run_parallel(t, a.warmup, a.concurrency, record=False)
    block = max(a.concurrency, math.ceil(a.requests / a.blocks))
    done = b = 0
    while done < a.requests:
        n = min(block, a.requests - done)
        k = b % len(targets)
        for t in targets[k:] + targets[:k]:
            run_parallel(t, n, a.concurrency)
        done += n
        b += 1
        if time.monotonic() > deadline_at:
            raise RuntimeError(f"deadline after {done} requests of each target")
    out: dict = {"block": block, "blocks": b, "warmup": a.warmup, "concurrency": a.concurrency, "targets": {}}
    for t in targets:
        s = summary_ms(t.lat)
        s["req_per_s"] = round(len(t.lat) / t.wall, 1) if t.wall else None
        s["bytes"] = sorted(t.sizes)
        s["path"] = f"{t.method} {t.path}"
        s["connections"] = t.connections
        s["ratelimit_header"] = t.last_headers.get("ratelimit")
        s["ratelimit_policy_header"] = t.last_headers.get("ratelimit-policy")
        out["targets"][t.name] = s
        log(f"  {t.name}: p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, {s['req_per_s']} req/s, "
            f"bytes {s['bytes']}, RateLimit {s['ratelimit_header']}")
    base = out["targets"][targets[0].name]
    for t in targets[1:]:
        s = out["targets"][t.name]
        s["ratio_p50"] = ratio(s["p50_ms"], base["p50_ms"])
        s["ratio_p99"] = ratio(s["p99_ms"], base["p99_ms"])
        s["ratio_mean"] = ratio(s["mean_ms"], base["mean_ms"])
        s["ratio_rps"] = ratio(s["req_per_s"], base["req_per_s"])
    return out


# ---------------------------------------------------------------------------------------------
def check(cond: bool, what: str) -> None:
    if not cond:
        raise RuntimeError(what)


def do_setup(a) -> dict:
    import huggingface_hub as hf

    res: dict = {}
    owner = hf.HfApi(endpoint=a.url, token=a.owner_token)
    me = owner.whoami()["name"]
    readme = b"---\nlicense: mit\n---\n# access bench\n\nA small public model repo.\n"
    text = b"".join(f"line {i} of file.txt\n".encode() for i in range(64))
    for name in ("pub", "gated", "open"):
        repo = f"{me}/{name}"
        owner.create_repo(repo, repo_type="model")
        owner.create_commit(repo, commit_message="Add files", operations=[
            hf.CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=readme),
            hf.CommitOperationAdd(path_in_repo="file.txt", path_or_fileobj=text),
        ])
    res["repos"] = [f"{me}/pub", f"{me}/gated", f"{me}/open"]
    res["file_bytes"] = len(text)
    c = Client(a.url)
    st, body, _, _ = c.request("PUT", f"/api/models/{me}/gated/settings", a.owner_token, {"gated": "manual"})
    check(st == 200, f"gated settings: {st} {body[:200]!r}")
    # before the request: the reader is refused (403 GatedRepo)
    st, _, _, resp = c.request("HEAD", f"/{me}/gated/resolve/main/file.txt", a.reader_token)
    res["reader_before_request"] = f"{st} {resp.getheader('x-error-code')}"
    check(st == 403, f"the gate let the reader in before any request: {st}")
    st, body, _, _ = c.request("POST", f"/api/models/{me}/gated/user-access-request/request", a.reader_token,
                               {"fields": {}})
    check(st == 200, f"access request: {st} {body[:200]!r}")
    res["request_status"] = json.loads(body).get("status")
    st, _, _, resp = c.request("HEAD", f"/{me}/gated/resolve/main/file.txt", a.reader_token)
    res["reader_while_pending"] = f"{st} {resp.getheader('x-error-code')}"
    check(st == 403, f"the gate let a pending reader in: {st}")
    st, body, _, _ = c.request("POST", f"/api/models/{me}/gated/user-access-request/handle", a.owner_token,
                               {"user": a.reader, "status": "accepted"})
    check(st == 200, f"accepting the request: {st} {body[:200]!r}")
    st, _, _, resp = c.request("HEAD", f"/{me}/gated/resolve/main/file.txt", a.reader_token)
    res["reader_after_accept"] = st
    check(st == 200, f"the reader, accepted, got {st}")
    st, _, _, resp = c.request("HEAD", f"/{me}/gated/resolve/main/file.txt")
    res["anonymous_on_gated"] = f"{st} {resp.getheader('x-error-code')}"
    check(st == 401, f"anonymous HEAD on the gated repo: {st}")
    st, _, _, resp = c.request("HEAD", f"/{me}/gated/resolve/main/file.txt", a.fg_token)
    res["fine_grained_on_gated"] = f"{st} {resp.getheader('x-error-code')}"
    st, body, _, _ = c.request("GET", "/api/whoami-v2", a.reader_token)
    check(st == 200, f"whoami-v2 of the reader: {st}")
    who = json.loads(body)
    res["reader_orgs"] = len(who.get("orgs", []))
    st, body, _, _ = c.request("GET", "/api/whoami-v2", a.fg_token)
    check(st == 200, f"whoami-v2 with the fine-grained token: {st}")
    res["fg_token"] = json.loads(body).get("auth", {}).get("accessToken", {}).get("fineGrained")
    st, body, _, _ = c.request("POST", "/api/signup", None, {"username": a.signer, "password": a.password})
    check(st == 201, f"sign-up: {st} {body[:200]!r}")
    st, body, _, resp = c.request("POST", "/api/login", None, {"username": a.signer, "password": a.password})
    check(st == 200 and "stoa_session=" in (resp.getheader("set-cookie") or ""), f"sign-in: {st} {body[:200]!r}")
    c.close()
    log(f"setup: {res}")
    return res


def phase_ratelimit(a, deadline_at: float) -> dict:
    path = f"/api/models/{a.owner}/pub"
    targets = [
        Target("off", a.url_off, "GET", path, a.owner_token),
        Target("on", a.url_on, "GET", path, a.owner_token),
        Target("off2", a.url_off2, "GET", path, a.owner_token),
    ]
    out = compare(targets, a, deadline_at)
    check(out["targets"]["off"]["ratelimit_header"] is None, "the server with the limits off sent RateLimit")
    check(out["targets"]["off2"]["ratelimit_header"] is None, "the second server with the limits off sent RateLimit")
    check(out["targets"]["on"]["ratelimit_header"] is not None, "the server with the limits on sent no RateLimit")
    return out


def phase_auth(a, deadline_at: float) -> dict:
    path = f"/api/models/{a.owner}/pub"
    targets = [
        Target("anonymous", a.url_off, "GET", path, None),
        Target("write", a.url_off, "GET", path, a.reader_token),
        Target("fine_grained", a.url_off, "GET", path, a.fg_token),
        Target("write_no_orgs", a.url_off, "GET", path, a.owner_token),
    ]
    return compare(targets, a, deadline_at)


def phase_gate(a, deadline_at: float) -> dict:
    targets = [
        Target("ungated", a.url_off, "HEAD", f"/{a.owner}/open/resolve/main/file.txt", a.reader_token),
        Target("gated", a.url_off, "HEAD", f"/{a.owner}/gated/resolve/main/file.txt", a.reader_token),
    ]
    return compare(targets, a, deadline_at)


def phase_signin(a, deadline_at: float) -> dict:
    kinds = [
        Target("unknown_user", a.url_on, "POST", "/api/login", None,
               {"username": "nobody-by-that-name", "password": a.password}, 401),
        Target("sign_in", a.url_on, "POST", "/api/login", None, {"username": a.signer, "password": a.password}, 200),
        Target("wrong_password", a.url_on, "POST", "/api/login", None,
               {"username": a.signer, "password": a.password + "-wrong"}, 401),
        Target("whoami", a.url_on, "GET", "/api/whoami-v2", a.owner_token, None, 200),
    ]
    clients = {t.name: Client(a.url_on) for t in kinds}
    for rnd in range(-2, a.logins):  # two warm-up rounds
        k = rnd % len(kinds)
        for t in kinds[k:] + kinds[:k]:
            status, body, dt, resp = clients[t.name].request(t.method, t.path, t.token, t.body)
            if status != t.expect:
                raise RuntimeError(f"{t.name}: {status} {body[:200]!r}")
            if rnd >= 0:
                t.lat.append(dt)
                t.last_headers = {k.lower(): v for k, v in resp.getheaders()}
        if time.monotonic() > deadline_at:
            raise RuntimeError(f"deadline after {rnd + 1} rounds")
    for c in clients.values():
        c.close()
    out: dict = {"rounds": a.logins, "warmup_rounds": 2, "targets": {}}
    for t in kinds:
        s = summary_ms(t.lat)
        s["path"] = f"{t.method} {t.path}"
        s["status"] = t.expect
        s["samples_ms"] = [round(x * 1000, 2) for x in t.lat]
        s["ratelimit_header"] = t.last_headers.get("ratelimit")
        out["targets"][t.name] = s
        log(f"  {t.name}: p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, mean {s['mean_ms']} ms, "
            f"RateLimit {s['ratelimit_header']}")
    tg = out["targets"]
    out["sign_in_over_unknown_user_p50"] = ratio(tg["sign_in"]["p50_ms"], tg["unknown_user"]["p50_ms"])
    out["wrong_password_over_unknown_user_p50"] = ratio(tg["wrong_password"]["p50_ms"], tg["unknown_user"]["p50_ms"])
    out["sign_in_over_whoami_p50"] = ratio(tg["sign_in"]["p50_ms"], tg["whoami"]["p50_ms"], 1)
    out["unknown_user_over_whoami_p50"] = ratio(tg["unknown_user"]["p50_ms"], tg["whoami"]["p50_ms"], 1)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["setup", "measure"])
    p.add_argument("--url")
    p.add_argument("--url-on")
    p.add_argument("--url-off")
    p.add_argument("--url-off2")
    p.add_argument("--owner", default="owner")
    p.add_argument("--reader", default="reader")
    p.add_argument("--signer", default="signer")
    p.add_argument("--password", required=True)
    p.add_argument("--owner-token", required=True)
    p.add_argument("--reader-token", required=True)
    p.add_argument("--fg-token", required=True)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--blocks", type=int, default=8)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--logins", type=int, default=30)
    p.add_argument("--deadline", type=float, default=400)
    p.add_argument("--phases", default="ratelimit,auth,gate,signin")
    a = p.parse_args()
    deadline_at = time.monotonic() + a.deadline
    if a.mode == "setup":
        try:
            OUT["setup"] = do_setup(a)
        except Exception as e:  # noqa: BLE001 - reported in the JSON
            log(f"setup FAILED: {e!r}")
            OUT["errors"].append(f"setup: {e!r}"[:600])
        OUT["elapsed_s"] = round(time.monotonic() - T0, 1)
        print(json.dumps(OUT))
        return 1 if OUT["errors"] else 0
    for name in a.phases.split(","):
        if time.monotonic() > deadline_at:
            OUT["errors"].append(f"{name}: skipped, deadline passed")
            continue
        log(f"{name}")
        t = time.monotonic()
        try:
            fn = {"ratelimit": phase_ratelimit, "auth": phase_auth, "gate": phase_gate, "signin": phase_signin}[name]
            OUT[name] = fn(a, deadline_at)
        except Exception as e:  # noqa: BLE001 - reported in the JSON
            log(f"{name} FAILED: {e!r}")
            OUT["errors"].append(f"{name}: {e!r}"[:600])
        OUT["phases"][name] = round(time.monotonic() - t, 1)
    OUT["client"] = f"Python {sys.version.split()[0]} http.client, keep-alive"
    OUT["elapsed_s"] = round(time.monotonic() - T0, 1)
    print(json.dumps(OUT))
    return 1 if OUT["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
