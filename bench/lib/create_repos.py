#!/usr/bin/env python3
"""Create many repos on a Stoa server in parallel (stdlib only).

Usage: create_repos.py BASE_URL TOKEN COUNT THREADS DEADLINE_SECONDS NAMES_OUT

Sends `POST /api/repos/create` with `{"name": "rNNNNN", "type": "model"}` over
keep-alive connections from THREADS worker threads, stopping at COUNT repos or
after DEADLINE_SECONDS, whichever comes first.  Writes the names of the repos
that exist afterwards (200 = created, 409 = already existed) to NAMES_OUT, one
per line, and prints a JSON summary on stdout.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main() -> int:
    base, token, count, threads, deadline_s, names_out = sys.argv[1:7]
    count, threads, deadline_s = int(count), int(threads), float(deadline_s)
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname, url.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to target a non-loopback host", file=sys.stderr)
        return 2

    lock = threading.Lock()
    next_idx = [0]
    ok_names: list[str] = []
    stats = {"created": 0, "existed": 0, "failed": 0, "errors": {}}
    start = time.monotonic()
    stop_at = start + deadline_s
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            with lock:
                i = next_idx[0]
                if i >= count or time.monotonic() >= stop_at:
                    break
                next_idx[0] += 1
            name = f"r{i:05d}"
            body = json.dumps({"name": name, "type": "model"})
            status, err = None, None
            for _attempt in range(2):  # one reconnect if the server closed the connection
                try:
                    conn.request("POST", "/api/repos/create", body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status = resp.status
                    if status not in (200, 409):
                        err = f"{status}: {data[:200].decode('utf-8', 'replace')}"
                    break
                except (OSError, http.client.HTTPException) as e:
                    err = f"{type(e).__name__}: {e}"
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
            with lock:
                if status == 200:
                    stats["created"] += 1
                    ok_names.append(name)
                elif status == 409:
                    stats["existed"] += 1
                    ok_names.append(name)
                else:
                    stats["failed"] += 1
                    key = (err or "unknown")[:160]
                    stats["errors"][key] = stats["errors"].get(key, 0) + 1
        conn.close()

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start

    ok_names.sort()
    with open(names_out, "w", encoding="ascii") as f:
        for n in ok_names:
            f.write(n + "\n")
    stats["attempted"] = next_idx[0]
    stats["requested"] = count
    stats["available"] = len(ok_names)
    stats["elapsed_s"] = round(elapsed, 3)
    stats["per_s"] = round(next_idx[0] / elapsed, 1) if elapsed > 0 else None
    stats["hit_deadline"] = next_idx[0] < count
    # keep only the most frequent few error kinds
    stats["errors"] = dict(sorted(stats["errors"].items(), key=lambda kv: -kv[1])[:5])
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
