"""Running the real `stoa` binary from a test suite: a free loopback port, readiness, `stoa admin`
on a data dir, and stopping the server's process group. Shared by tests/compat and tests/web.

Imports nothing beyond the standard library (the suites import it before fixing their environment).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_ready(url: str) -> bool:
    """True once `GET <url>/api/models` answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/api/models", timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the server's process group, SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def run_admin(binary: Path, data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `stoa admin ... --data-dir DIR` (the caller's STOA_CONFIG / STOA_DATA_DIR left out)."""
    cmd = [str(binary), "admin", *args, "--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if k not in ("STOA_CONFIG", "STOA_DATA_DIR")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"admin command failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc
