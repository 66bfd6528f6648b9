#!/usr/bin/env python3
"""Where the time of one traced `git clone` goes, from git's and git-lfs's own traces.

Usage: trace_phases.py CURL_TRACE GIT_TRACE

CURL_TRACE is what GIT_TRACE_CURL (with GIT_TRACE_CURL_NO_DATA=1) wrote: git's HTTP requests
(info/refs, git-upload-pack), each from "Send header" to its first "Recv header" (time to first
byte) and to curl's "left intact" (last byte). GIT_TRACE is what GIT_TRACE wrote for git and
git-lfs: run_command lines (index-pack, the connectivity check, git-lfs filter-process, the
post-checkout hook) and git-lfs's "HTTP: POST/GET" / "HTTP: 200" lines. All lines start with a
wall-clock time (HH:MM:SS.micro). Prints one line of phases, in milliseconds.
"""
import re
import sys

STAMP = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) ")


def stamp(line):
    m = STAMP.match(line)
    return (int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])) if m else None


def ms(a, b):
    return f"{(b - a) * 1000:.0f}" if a is not None and b is not None else "?"


def curl_requests(path):
    reqs, cur = [], None
    for line in open(path, errors="replace"):
        t = stamp(line)
        if t is None:
            continue
        m = re.search(r"=> Send header: (GET|POST) (\S+)", line)
        if m:
            path = m[2].split("?")[0]
            short = re.search(r"(info/refs|git-upload-pack|git-receive-pack)$", path)
            cur = {"what": f"{m[1]} {short[1] if short else path}", "send": t, "first": None, "end": None}
            reqs.append(cur)
        elif cur and cur["first"] is None and "<= Recv header" in line:
            cur["first"] = t
        elif cur and "left intact" in line and cur["end"] is None:
            cur["end"] = t
    return reqs


def main() -> int:
    curl_path, trace_path = sys.argv[1], sys.argv[2]
    lines = [(stamp(l), l.rstrip("\n")) for l in open(trace_path, errors="replace")]
    lines = [(t, l) for t, l in lines if t is not None]
    if not lines:
        print("empty trace")
        return 1
    start, end = lines[0][0], lines[-1][0]

    def first(pattern, after=None):
        for t, l in lines:
            if (after is None or t >= after) and re.search(pattern, l):
                return t
        return None

    index_pack = first(r"run_command: git index-pack")
    rev_list = first(r"run_command: git rev-list --objects --stdin")
    filter_start = first(r"run_command: 'git-lfs filter-process'")
    batch_post = first(r"trace git-lfs: HTTP: POST \S+/objects/batch")
    batch_done = first(r"trace git-lfs: HTTP: \d{3}$", batch_post) if batch_post else None
    gets = [(t, l) for t, l in lines if re.search(r"trace git-lfs: HTTP: GET ", l)]
    first_get = gets[0][0] if gets else None
    get_ttfb = []
    for t, _ in gets:
        ans = first(r"trace git-lfs: HTTP: \d{3}$", t)
        get_ttfb.append(ms(t, ans))
    post_checkout = first(r"run_command: \S*hooks/post-checkout")

    parts = []
    reqs = curl_requests(curl_path)
    if reqs:
        parts.append(
            "git HTTP requests (to first byte / to last byte): "
            + ", ".join(f"{r['what']} {ms(r['send'], r['first'])}/{ms(r['send'], r['end'])}" for r in reqs)
        )
    parts.append(f"start to index-pack start {ms(start, index_pack)}")
    parts.append(f"index-pack (receiving the pack) {ms(index_pack, rev_list)}")
    parts.append(f"connectivity check and checkout up to git-lfs filter-process {ms(rev_list, filter_start)}")
    parts.append(f"filter-process start to batch POST {ms(filter_start, batch_post)}")
    parts.append(f"LFS batch POST {ms(batch_post, batch_done)}")
    parts.append(f"{len(gets)} LFS GETs, to response headers: {'/'.join(get_ttfb) or '?'}")
    parts.append(f"first LFS GET to end of checkout (downloads + smudge) {ms(first_get, post_checkout)}")
    parts.append(f"post-checkout hook to exit {ms(post_checkout, end)}")
    parts.append(f"traced span {ms(start, end)}")
    print("; ".join(parts) + " (ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
