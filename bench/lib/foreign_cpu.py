#!/usr/bin/env python3
"""Watch CPU used by processes that are not part of the benchmark.

Usage: foreign_cpu.py ROOT_PID INTERVAL OUT_JSON [OTHER_ROOT_PID...]
Every INTERVAL seconds, sums the user+system CPU time consumed since the last
sample by every user-space process that is not ROOT_PID or one of its
descendants (kernel threads are left out), nor one of the OTHER_ROOT_PIDs (daemons
the benchmark started outside its process tree) or their descendants.  Stops on
SIGTERM/SIGINT or when ROOT_PID exits, then writes to OUT_JSON: mean and max foreign CPU (percent of
one core) per window, and the processes that used the most foreign CPU.
"""
import json
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def snapshot():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                data = f.read()
        except OSError:
            continue
        # comm may contain spaces and parentheses: split at the last ')'
        lpar, rpar = data.index("("), data.rindex(")")
        comm = data[lpar + 1 : rpar]
        rest = data[rpar + 2 :].split()
        ppid = int(rest[1])
        flags = int(rest[6])
        cpu = int(rest[11]) + int(rest[12])  # utime + stime, in ticks
        kthread = bool(flags & 0x00200000) or ppid == 2 or int(d) == 2
        procs[int(d)] = (ppid, comm, cpu, kthread)
    return procs


def descendants(procs, root):
    children = {}
    for pid, (ppid, *_r) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, stack = set(), [root]
    while stack:
        p = stack.pop()
        if p in out:
            continue
        out.add(p)
        stack.extend(children.get(p, []))
    return out


def main() -> int:
    root, interval, out_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    others = [int(pid) for pid in sys.argv[4:]]
    stop = [False]

    def on_signal(_s, _f):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    me = os.getpid()
    prev = snapshot()
    prev_t = time.monotonic()
    windows = []
    by_name: dict[str, float] = {}
    while not stop[0] and os.path.exists(f"/proc/{root}"):
        time.sleep(interval)
        cur = snapshot()
        now = time.monotonic()
        ours = descendants(cur, root) | {me}
        for other in others:
            ours |= descendants(cur, other)
        used = 0.0
        for pid, (_ppid, comm, cpu, kthread) in cur.items():
            if kthread or pid in ours:
                continue
            before = prev.get(pid)
            delta = cpu - before[2] if before and before[1] == comm else 0
            if delta > 0:
                sec = delta / TICK
                used += sec
                by_name[f"{comm}"] = by_name.get(comm, 0.0) + sec
        windows.append(100.0 * used / (now - prev_t))
        prev, prev_t = cur, now
    top = sorted(by_name.items(), key=lambda kv: -kv[1])[:4]
    res = {
        "windows": len(windows),
        "interval_s": interval,
        "mean_pct_of_one_core": round(sum(windows) / len(windows), 1) if windows else 0.0,
        "max_pct_of_one_core": round(max(windows), 1) if windows else 0.0,
        "busy_windows": sum(1 for w in windows if w > 25.0),
        "top": [{"comm": k, "cpu_s": round(v, 1)} for k, v in top],
    }
    with open(out_path, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
