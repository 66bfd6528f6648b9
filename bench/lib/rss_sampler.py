#!/usr/bin/env python3
"""Sample the resident memory of a process tree every INTERVAL seconds.

Usage: rss_sampler.py INTERVAL OUT_JSON PID [PID...]
Each sample sums VmRSS / RssAnon / RssFile over the given PIDs and their direct
children (nginx workers).  Stops on SIGTERM/SIGINT or when every PID is gone,
then writes the maxima and the sample count to OUT_JSON.
"""
import json
import os
import signal
import sys
import time

FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")


def children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def read_status(pid: int) -> dict[str, int] | None:
    vals = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in FIELDS:
                    vals[k] = int(v.split()[0])  # kB
    except OSError:
        return None
    return vals


def main() -> int:
    interval = float(sys.argv[1])
    out_path = sys.argv[2]
    roots = [int(p) for p in sys.argv[3:]]
    stop = [False]

    def on_signal(_s, _f):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    peak = {k: 0 for k in FIELDS}
    first = None
    samples = 0
    pids_seen: set[int] = set()
    while not stop[0]:
        pids = []
        for r in roots:
            pids.append(r)
            pids.extend(children(r))
        tot = {k: 0 for k in FIELDS}
        alive = 0
        for p in pids:
            st = read_status(p)
            if st is None:
                continue
            alive += 1
            pids_seen.add(p)
            for k in FIELDS:
                tot[k] += st.get(k, 0)
        if alive == 0:
            break
        samples += 1
        if first is None:
            first = dict(tot)
        for k in FIELDS:
            peak[k] = max(peak[k], tot[k])
        time.sleep(interval)
    res = {
        "samples": samples,
        "interval_s": interval,
        "processes": len(pids_seen),
        "first_kB": first or {},
        "peak_kB": peak,
    }
    with open(out_path, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
