#!/usr/bin/env python3
"""Collaboration benchmark driver: duplicate, PR merge and the discussion listing, each side by
side with a baseline. Started by bench/collab/run.sh, which starts Stoa and sets the environment
(HF_ENDPOINT, HF_HOME, ...) before this file imports huggingface_hub.

Usage:
  collab.py --url URL --token TOKEN --ns NS --data-dir DIR --work DIR --big-file FILE
            [--commits 300] [--dup-runs 5] [--prs 10] [--pr-files 10] [--discussions 1000]
            [--requests 200] [--concurrency 4] [--deadline SECONDS]

Phases (progress on stderr, one JSON object on stdout at the end, also when a phase fails):
  setup       repo NS/collab: the big file (huggingface_hub upload_file), then small commits
              (huggingface_hub create_commit, one file each) up to --commits commits on main
  duplicate   --dup-runs rounds (plus one warm-up round), order alternating: Stoa
              `POST /api/models/NS/collab/duplicate` vs `git clone --bare --quiet <bare repo> DEST`;
              `du -sb` of the data dir and the baseline clones' dir (together, so a hard link
              counts once) before and after each
  merge       --prs pull requests, each changing --pr-files existing files (disjoint sets), all
              opened from the same main (huggingface_hub create_commit(create_pr=True)); then for
              each, in order: `git merge-tree --write-tree main refs/pr/N` on the bare repo
              (baseline), then Stoa's `POST .../discussions/N/merge`
  discussions repo NS/talk with --discussions discussions (POST .../discussions, 4 threads);
              then --requests GET .../discussions?p=0 and as many GET /api/models/NS/talk,
              --concurrency client threads, in alternating blocks

Timed HTTP requests use http.client over keep-alive connections (one per client thread);
latency = request sent -> whole response body read (time.perf_counter). Timed git commands are
one subprocess each (spawn included), timed the same way.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

T0 = time.monotonic()
OUT: dict = {"phases": {}, "errors": []}


def log(msg: str) -> None:
    print(f"[collab.py {time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


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
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(pct(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
        "samples_ms": [round(x, 2) for x in ms],
    }


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, url: str, token: str) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.token = u.hostname, u.port or 80, token
        self.conn: http.client.HTTPConnection | None = None
        self.connections = 0

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 120) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Bearer {self.token}"}
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
                return resp.status, payload, dt
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a keep-alive connection the server closed meanwhile: reconnect once (not timed twice)
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def git(*args: str, cwd: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def timed_run(cmd: list[str], cwd: str | None = None) -> tuple[float, str]:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[:500]}")
    return dt, r.stdout.strip()


def du_sb(*paths: str) -> int:
    """Bytes used by the paths together (du -sbc: a hard-linked file counts once)."""
    r = subprocess.run(["du", "-sbc", *paths], check=True, capture_output=True, text=True)
    return int(r.stdout.strip().splitlines()[-1].split()[0])


def repo_dir(data_dir: str, ns: str, name: str) -> str:
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'stoa.db')}?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute(
            "SELECT id FROM repos WHERE repo_type = 'model' AND repo_key = ?", (f"{ns}/{name}".lower(),)
        ).fetchone()
    finally:
        db.close()
    if not row:
        raise RuntimeError(f"no row for {ns}/{name} in stoa.db")
    path = os.path.join(data_dir, "git", f"{row[0]}.git")
    if not os.path.isdir(path):
        raise RuntimeError(f"{path} (the bare repo of {ns}/{name}) does not exist")
    return path


def count_files(root: str) -> tuple[int, int]:
    n = size = 0
    for d, _, files in os.walk(root):
        for f in files:
            n += 1
            size += os.lstat(os.path.join(d, f)).st_size
    return n, size


# ---------------------------------------------------------------------------------------------
def phase_setup(a, api, hf) -> dict:
    repo = f"{a.ns}/collab"
    res: dict = {"repo": repo}
    api.create_repo(repo, repo_type="model", exist_ok=False)
    bare = repo_dir(a.data_dir, a.ns, "collab")
    res["bare_repo"] = bare
    n0 = int(git("rev-list", "--count", "main", cwd=bare) or 0)
    res["commits_after_create"] = n0

    t = time.perf_counter()
    info = api.upload_file(repo_id=repo, path_in_repo="weights/model.bin", path_or_fileobj=a.big_file,
                           commit_message="Add weights")
    res["big_upload_s"] = round(time.perf_counter() - t, 3)
    res["big_bytes"] = os.path.getsize(a.big_file)
    entry = next(e for e in api.list_repo_tree(repo, path_in_repo="weights") if e.path == "weights/model.bin")
    res["big_lfs_sha256"] = entry.lfs.sha256 if entry.lfs else None
    res["big_via"] = "xet" if getattr(entry, "xet_hash", None) else ("classic LFS" if entry.lfs else "inline (!)")
    log(f"setup: {res['big_bytes']} B uploaded in {res['big_upload_s']} s via {res['big_via']}")

    small = a.commits - n0 - 1
    t = time.perf_counter()
    for i in range(small):
        f = i % a.files
        content = f"file {f}, revision {i // a.files}\n" + "".join(f"line {k} of file {f}\n" for k in range(40))
        ops = [hf.CommitOperationAdd(path_in_repo=f"files/f{f:03d}.txt", path_or_fileobj=content.encode())]
        if i == 0:
            ops.append(hf.CommitOperationAdd(path_in_repo="README.md",
                                             path_or_fileobj=b"---\nlicense: mit\ntags:\n- bench\n---\n# collab bench\n"))
        api.create_commit(repo, operations=ops, commit_message=f"Commit {i + 1}")
        if (i + 1) % 50 == 0:
            log(f"setup: {i + 1}/{small} small commits")
        if time.monotonic() > a.deadline_at:
            raise RuntimeError("deadline while making the commits")
    res["small_commits_s"] = round(time.perf_counter() - t, 3)
    res["small_commits"] = small
    res["commits_on_main"] = int(git("rev-list", "--count", "main", cwd=bare))
    res["files_on_main"] = len(git("ls-tree", "-r", "--name-only", "main", cwd=bare).splitlines())
    res["bare_repo_bytes"] = du_sb(bare)
    res["bare_repo_objects"] = git("count-objects", "-v", cwd=bare).replace("\n", ", ")
    res["data_dir_bytes"] = du_sb(a.data_dir)
    log(f"setup: {res['commits_on_main']} commits on main, {res['files_on_main']} files; "
        f"bare repo {res['bare_repo_bytes']} B, data dir {res['data_dir_bytes']} B")
    return res


def phase_duplicate(a, api, setup: dict) -> dict:
    src, bare = setup["repo"], setup["bare_repo"]
    clones = os.path.join(a.work, "baseline-clones")
    os.makedirs(clones, exist_ok=True)
    client = Client(a.url, a.token)
    stoa_s: list[float] = []
    base_s: list[float] = []
    stoa_growth: list[int] = []
    base_growth: list[int] = []
    lfs_before = count_files(os.path.join(a.data_dir, "lfs"))
    rounds = []
    for r in range(a.dup_runs + 1):  # round 0: warm-up, not counted
        order = ["stoa", "baseline"] if r % 2 == 0 else ["baseline", "stoa"]
        row = {"round": r, "order": order}
        for who in order:
            subprocess.run(["sync"], check=False)
            before = du_sb(a.data_dir, clones)
            before_git = du_sb(os.path.join(a.data_dir, "git"), clones)
            before_lfs = du_sb(os.path.join(a.data_dir, "lfs"))
            if who == "stoa":
                target = f"{a.ns}/collab-dup-{r}"
                status, body, dt = client.request("POST", f"/api/models/{src}/duplicate", {"repository": target})
                if status != 200:
                    raise RuntimeError(f"duplicate answered {status}: {body[:300]!r}")
            else:
                dt, _ = timed_run(["git", "clone", "--bare", "--quiet", bare, os.path.join(clones, f"dup-{r}.git")])
            after = du_sb(a.data_dir, clones)
            git_growth = du_sb(os.path.join(a.data_dir, "git"), clones) - before_git
            lfs_growth = du_sb(os.path.join(a.data_dir, "lfs")) - before_lfs
            row[who] = {"s": round(dt, 4), "growth_bytes": after - before, "git_growth_bytes": git_growth,
                        "lfs_growth_bytes": lfs_growth, "other_growth_bytes": after - before - git_growth - lfs_growth}
            if r > 0:
                (stoa_s if who == "stoa" else base_s).append(dt)
                (stoa_growth if who == "stoa" else base_growth).append(after - before)
        rounds.append(row)
        log(f"duplicate round {r}{' (warm-up)' if r == 0 else ''}: Stoa {row['stoa']['s']:.3f} s "
            f"(+{row['stoa']['growth_bytes']} B), git clone --bare {row['baseline']['s']:.3f} s "
            f"(+{row['baseline']['growth_bytes']} B)")
    lfs_after = count_files(os.path.join(a.data_dir, "lfs"))

    def linked(path: str) -> tuple[int, int]:
        n = hard = 0
        for d, _, files in os.walk(os.path.join(path, "objects")):
            for f in files:
                n += 1
                hard += os.lstat(os.path.join(d, f)).st_nlink > 1
        return hard, n

    stoa_links = linked(repo_dir(a.data_dir, a.ns, f"collab-dup-{a.dup_runs}"))
    base_links = linked(os.path.join(clones, f"dup-{a.dup_runs}.git"))
    counted = [r for r in rounds if r["round"] > 0]

    def med(who: str, key: str):
        return statistics.median(r[who][key] for r in counted) if counted else None
    # the copies are real: same history, and the big file downloads from the last one
    last = f"{a.ns}/collab-dup-{a.dup_runs}"
    same_sha = api.model_info(last).sha == api.model_info(src).sha
    dup_bare = repo_dir(a.data_dir, a.ns, f"collab-dup-{a.dup_runs}")
    dup_commits = int(git("rev-list", "--count", "main", cwd=dup_bare))
    status, body, _ = Client(a.url, a.token).request("GET", f"/{last}/resolve/main/weights/model.bin", timeout=300)
    import hashlib
    big_ok = status == 200 and hashlib.sha256(body).hexdigest() == setup.get("big_lfs_sha256")
    del body
    stoa = summary_ms(stoa_s)
    base = summary_ms(base_s)
    return {
        "rounds": rounds,
        "stoa": stoa,
        "baseline": base,
        "ratio_p50": round(stoa["p50_ms"] / base["p50_ms"], 3) if base.get("p50_ms") else None,
        "stoa_growth_bytes": stoa_growth,
        "baseline_growth_bytes": base_growth,
        "stoa_growth_median": statistics.median(stoa_growth) if stoa_growth else None,
        "baseline_growth_median": statistics.median(base_growth) if base_growth else None,
        "stoa_growth_split": {k: med("stoa", k) for k in ("git_growth_bytes", "lfs_growth_bytes", "other_growth_bytes")},
        "baseline_growth_split": {k: med("baseline", k) for k in ("git_growth_bytes", "lfs_growth_bytes", "other_growth_bytes")},
        "stoa_objects_hardlinked": list(stoa_links),
        "baseline_objects_hardlinked": list(base_links),
        "lfs_files_before": lfs_before[0], "lfs_bytes_before": lfs_before[1],
        "lfs_files_after": lfs_after[0], "lfs_bytes_after": lfs_after[1],
        "copy_same_sha": same_sha,
        "copy_commits": dup_commits,
        "copy_big_file_sha256_ok": big_ok,
        "connections": client.connections,
    }


def phase_merge(a, api, hf, setup: dict) -> dict:
    repo, bare = setup["repo"], setup["bare_repo"]
    if a.prs * a.pr_files > a.files:
        raise RuntimeError(f"{a.prs} PRs x {a.pr_files} files need {a.prs * a.pr_files} files, the repo has {a.files}")
    prs = []
    t = time.perf_counter()
    for i in range(a.prs):
        ops = []
        for j in range(a.pr_files):
            f = i * a.pr_files + j
            content = f"file {f}, changed by PR {i + 1}\n" + "".join(f"line {k} of file {f}\n" for k in range(40))
            ops.append(hf.CommitOperationAdd(path_in_repo=f"files/f{f:03d}.txt", path_or_fileobj=content.encode()))
        info = api.create_commit(repo, operations=ops, commit_message=f"PR {i + 1}: change {a.pr_files} files",
                                 create_pr=True)
        prs.append(info.pr_num)
    created_s = round(time.perf_counter() - t, 3)
    changed = [len(git("diff", "--name-only", "main", f"refs/pr/{n}", cwd=bare).splitlines()) for n in prs]
    log(f"merge: opened PRs {prs} in {created_s} s, files changed vs main: {changed}")
    client = Client(a.url, a.token)
    stoa_s: list[float] = []
    base_s: list[float] = []
    trees_match = 0
    rows = []
    for n in prs:
        main_before = git("rev-parse", "main", cwd=bare)
        dt_b, tree_b = timed_run(["git", "merge-tree", "--write-tree", "main", f"refs/pr/{n}"], cwd=bare)
        status, body, dt_s = client.request("POST", f"/api/models/{repo}/discussions/{n}/merge", {})
        if status != 200:
            raise RuntimeError(f"merge of #{n} answered {status}: {body[:300]!r}")
        main_after = git("rev-parse", "main", cwd=bare)
        tree_s = git("rev-parse", "main^{tree}", cwd=bare)
        parent = git("rev-parse", "main^", cwd=bare)
        ok = tree_s == tree_b.split()[0] and parent == main_before and main_after != main_before
        trees_match += ok
        base_s.append(dt_b)
        stoa_s.append(dt_s)
        rows.append({"pr": n, "stoa_s": round(dt_s, 4), "baseline_s": round(dt_b, 4), "same_tree": ok})
    log("merge: " + ", ".join(f"#{r['pr']} Stoa {r['stoa_s'] * 1000:.1f} ms / merge-tree {r['baseline_s'] * 1000:.1f} ms"
                              for r in rows))
    statuses = [d.status for d in api.get_repo_discussions(repo) if d.num in prs]
    stoa = summary_ms(stoa_s)
    base = summary_ms(base_s)
    return {
        "prs": prs,
        "files_changed": changed,
        "create_s": created_s,
        "rows": rows,
        "stoa": stoa,
        "baseline": base,
        "ratio_p50": round(stoa["p50_ms"] / base["p50_ms"], 3) if base.get("p50_ms") else None,
        "same_tree_as_baseline": trees_match,
        "merged": sum(1 for s in statuses if s == "merged"),
        "commits_on_main_after": int(git("rev-list", "--count", "main", cwd=bare)),
        "connections": client.connections,
    }


def run_parallel(url: str, token: str, paths: list[tuple[str, str, dict | None]], threads: int,
                 expect: int = 200) -> tuple[list[float], list[int], float, int]:
    """Sends the requests from `threads` threads (a shared queue); returns latencies, sizes, wall s."""
    lock = threading.Lock()
    idx = [0]
    lat: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    conns = [0]

    def worker() -> None:
        c = Client(url, token)
        while True:
            with lock:
                if idx[0] >= len(paths) or errors:
                    break
                method, path, body = paths[idx[0]]
                idx[0] += 1
            try:
                status, payload, dt = c.request(method, path, body)
            except Exception as e:  # noqa: BLE001 - reported
                with lock:
                    errors.append(repr(e))
                break
            with lock:
                if status != expect:
                    errors.append(f"{method} {path}: {status} {payload[:200]!r}")
                lat.append(dt)
                sizes.append(len(payload))
        with lock:
            conns[0] += c.connections

    t = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    wall = time.perf_counter() - t
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return lat, sizes, wall, conns[0]


def phase_discussions(a, api) -> dict:
    repo = f"{a.ns}/talk"
    api.create_repo(repo, repo_type="model")
    api.upload_file(repo_id=repo, path_in_repo="README.md",
                    path_or_fileobj=b"---\nlicense: mit\n---\n# talk\n\nA repo with many discussions.\n")
    reqs = [("POST", f"/api/models/{repo}/discussions",
             {"title": f"Discussion {i + 1}: question about the weights",
              "description": f"Hello, this is discussion number {i + 1}.\n\nIt has a *Markdown* body."})
            for i in range(a.discussions)]
    lat, _, wall, _ = run_parallel(a.url, a.token, reqs, a.concurrency)
    create = {"n": len(lat), "wall_s": round(wall, 3), "per_s": round(len(lat) / wall, 1),
              "p50_ms": round(statistics.median(lat) * 1000, 2), "p99_ms": round(pct(lat, 99) * 1000, 2)}
    log(f"discussions: created {len(lat)} in {create['wall_s']} s ({create['per_s']}/s, {a.concurrency} threads)")
    c = Client(a.url, a.token)
    status, body, _ = c.request("GET", f"/api/models/{repo}/discussions?p=0")
    listing = json.loads(body)
    if status != 200 or listing.get("count") != a.discussions:
        raise RuntimeError(f"listing: {status}, count {listing.get('count')}, expected {a.discussions}")
    first_page = len(listing.get("discussions", []))

    targets = {
        "discussions": f"/api/models/{repo}/discussions?p=0",
        "repo_info": f"/api/models/{repo}",
    }
    # warm-up, then alternating blocks
    for path in targets.values():
        run_parallel(a.url, a.token, [("GET", path, None)] * a.warmup, a.concurrency)
    block = max(a.concurrency, a.requests // a.blocks)
    lat = {k: [] for k in targets}
    sizes = {k: set() for k in targets}
    walls = {k: 0.0 for k in targets}
    conns = {k: 0 for k in targets}
    done = 0
    b = 0
    while done < a.requests:
        n = min(block, a.requests - done)
        order = list(targets) if b % 2 == 0 else list(reversed(list(targets)))
        for k in order:
            l, s, w, cn = run_parallel(a.url, a.token, [("GET", targets[k], None)] * n, a.concurrency)
            lat[k] += l
            sizes[k].update(s)
            walls[k] += w
            conns[k] += cn
        done += n
        b += 1
    out = {"repo": repo, "create": create, "count": listing.get("count"), "first_page_items": first_page,
           "block": block, "blocks": b, "warmup": a.warmup}
    for k in targets:
        out[k] = summary_ms(lat[k])
        out[k]["req_per_s"] = round(len(lat[k]) / walls[k], 1)
        out[k]["bytes"] = sorted(sizes[k])
        out[k]["path"] = targets[k]
        out[k]["connections"] = conns[k]
        log(f"{k}: p50 {out[k]['p50_ms']} ms, p99 {out[k]['p99_ms']} ms, {out[k]['req_per_s']} req/s, "
            f"body {out[k]['bytes']} B")
    out["ratio_p50"] = round(out["discussions"]["p50_ms"] / out["repo_info"]["p50_ms"], 3)
    out["ratio_p99"] = round(out["discussions"]["p99_ms"] / out["repo_info"]["p99_ms"], 3)
    out["ratio_rps"] = round(out["discussions"]["req_per_s"] / out["repo_info"]["req_per_s"], 3)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--ns", default="bench")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--big-file", required=True)
    p.add_argument("--commits", type=int, default=300)
    p.add_argument("--files", type=int, default=100)
    p.add_argument("--dup-runs", type=int, default=5)
    p.add_argument("--prs", type=int, default=10)
    p.add_argument("--pr-files", type=int, default=10)
    p.add_argument("--discussions", type=int, default=1000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--deadline", type=float, default=540)
    p.add_argument("--phases", default="setup,duplicate,merge,discussions")
    a = p.parse_args()
    a.deadline_at = time.monotonic() + a.deadline
    a.url = a.url.rstrip("/")

    import huggingface_hub as hf

    OUT["client"] = (f"huggingface_hub {hf.__version__} for setup; timed requests: Python "
                     f"{sys.version.split()[0]} http.client, keep-alive")
    api = hf.HfApi(endpoint=a.url, token=a.token)
    phases = a.phases.split(",")
    setup = None
    for name in phases:
        if time.monotonic() > a.deadline_at:
            OUT["errors"].append(f"{name}: skipped, deadline passed")
            continue
        t = time.monotonic()
        try:
            if name == "setup":
                setup = phase_setup(a, api, hf)
                OUT["setup"] = setup
            elif name == "duplicate":
                if setup is None:
                    raise RuntimeError("setup failed")
                OUT["duplicate"] = phase_duplicate(a, api, setup)
            elif name == "merge":
                if setup is None:
                    raise RuntimeError("setup failed")
                OUT["merge"] = phase_merge(a, api, hf, setup)
            elif name == "discussions":
                OUT["discussions"] = phase_discussions(a, api)
            else:
                raise RuntimeError(f"unknown phase {name}")
        except Exception as e:  # noqa: BLE001 - reported in the JSON
            log(f"{name} FAILED: {e!r}")
            OUT["errors"].append(f"{name}: {e!r}"[:600])
        OUT["phases"][name] = round(time.monotonic() - t, 1)
    OUT["elapsed_s"] = round(time.monotonic() - T0, 1)
    print(json.dumps(OUT))
    return 1 if OUT["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
