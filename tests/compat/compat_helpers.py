"""Small helpers shared by the compatibility tests.

This module must NOT import huggingface_hub at import time: conftest.py imports it before the
environment (HF_ENDPOINT, HF_HUB_DISABLE_XET, ...) is fixed up.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from stoa_process import run_admin  # tests/stoa_process.py (conftest puts tests/ on sys.path)

HEX40 = re.compile(r"^[0-9a-f]{40}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------------------------
# Server handle (filled in by conftest.py)
# --------------------------------------------------------------------------------------------


@dataclass
class StoaServer:
    url: str
    port: int
    data_dir: Path
    binary: Path
    log_path: Path
    xet_disabled: bool
    inline_max_bytes: int | None
    tokens: dict[str, str] = field(default_factory=dict, repr=False)  # never in a failure report
    process: subprocess.Popen | None = None

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `stoa admin ... --data-dir DIR`."""
        return run_admin(self.binary, self.data_dir, *args, check=check)


# --------------------------------------------------------------------------------------------
# Names, hashes, files
# --------------------------------------------------------------------------------------------


def unique_name(prefix: str = "repo") -> str:
    """A repo name that no other test uses (valid for the Hub's repo-id rules)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: os.PathLike | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * 1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def write_random_file(path: os.PathLike | str, size: int) -> str:
    """Writes `size` random bytes to `path`; returns their sha256."""
    h = hashlib.sha256()
    remaining = size
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        while remaining > 0:
            n = min(remaining, 8 * 1024 * 1024)
            chunk = os.urandom(n)
            h.update(chunk)
            f.write(chunk)
            remaining -= n
    return h.hexdigest()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Raw HTTP through curl (so that the headers we check are exactly what is on the wire)
# --------------------------------------------------------------------------------------------


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    command: list[str]

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def describe(self) -> str:
        hdrs = "\n".join(f"  {k}: {v}" for k, vs in self.headers.items() for v in vs)
        body = self.body[:2000].decode("utf-8", "replace")
        return f"$ {' '.join(self.command)}\n-> {self.status}\n{hdrs}\n  body: {body!r}"


def _parse_header_blocks(raw: str) -> tuple[int, dict[str, list[str]]]:
    blocks = [b for b in re.split(r"\r?\n\r?\n", raw) if b.strip()]
    if not blocks:
        raise AssertionError(f"curl returned no response headers: {raw!r}")
    last = blocks[-1]  # skip `100 Continue` and the like
    lines = last.splitlines()
    status_line = lines[0]
    m = re.match(r"HTTP/\S+\s+(\d{3})", status_line)
    if not m:
        raise AssertionError(f"cannot parse status line {status_line!r} in {raw!r}")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if ":" not in line:
            continue
        k, v = line.split(":", 1)
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    return int(m.group(1)), headers


def curl(
    method: str,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
    data: bytes | str | None = None,
    timeout: int = 300,
) -> HttpResponse:
    """Sends one request with `curl -sS -D -` and returns status, headers and body.

    Redirects are not followed. A HEAD uses `curl -I` (curl would otherwise wait for a body).
    """
    cmd = ["curl", "-sS", "-g", "--max-time", str(timeout)]
    if isinstance(headers, dict):
        header_items = list(headers.items())
    else:
        header_items = list(headers or [])
    if token is not None:
        header_items.append(("Authorization", f"Bearer {token}"))
    for k, v in header_items:
        cmd += ["-H", f"{k}: {v}"]
    with tempfile.TemporaryDirectory(prefix="stoa-curl-") as tmp:
        body_path = Path(tmp) / "body"
        if method.upper() == "HEAD":
            cmd += ["-I", url]
        else:
            cmd += ["-X", method.upper(), "-D", "-", "-o", str(body_path)]
            if data is not None:
                data_path = Path(tmp) / "data"
                data_path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
                cmd += ["--data-binary", f"@{data_path}"]
            cmd.append(url)
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout + 30)
        if proc.returncode != 0:
            raise AssertionError(
                f"curl failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}"
            )
        status, hdrs = _parse_header_blocks(proc.stdout.decode("latin-1"))
        body = body_path.read_bytes() if body_path.exists() else b""
    # Don't leak tokens into assertion messages.
    shown = [(c.split(" ", 2)[0] + " " + c.split(" ", 2)[1] + " ***" if c.startswith("Authorization: ") else c)
             for c in cmd]
    shown = [c if not c.startswith("/tmp/stoa-curl-") else "<file>" for c in shown]
    return HttpResponse(status=status, headers=hdrs, body=body, command=shown)


def fetch(url: str, *, token: str | None = None, headers: dict[str, str] | None = None) -> HttpResponse:
    """A download the way huggingface_hub does it: a redirect (to the object store of a PostgreSQL
    + S3 deployment) is followed once, without the token when it leads to another origin."""
    first = curl("GET", url, token=token, headers=headers)
    location = first.header("location")
    if first.status not in (301, 302, 307) or not location:
        return first
    same_origin = location.split("/")[:3] == url.split("/")[:3]
    return curl("GET", location, token=token if same_origin else None, headers=headers)


def s3_bytes_under(prefix: str) -> int:
    """Total size of the objects under `prefix` in the scale-out runs' bucket (ListObjectsV2,
    signed by curl), whatever the S3 server."""
    import urllib.parse
    import xml.etree.ElementTree as ET

    endpoint, bucket = os.environ["STOA_S3_ENDPOINT"], os.environ["STOA_S3_BUCKET"]
    user = f"{os.environ['STOA_S3_ACCESS_KEY_ID']}:{os.environ['STOA_S3_SECRET_ACCESS_KEY']}"
    total, token = 0, None
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        url = f"{endpoint}/{bucket}?{urllib.parse.urlencode(query)}"
        proc = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "--aws-sigv4", f"aws:amz:{os.environ['STOA_S3_REGION']}:s3",
             "--user", user, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url],
            capture_output=True, timeout=60,
        )
        if proc.returncode != 0:
            raise AssertionError(f"listing {prefix} failed: {proc.stdout[:500]!r} {proc.stderr[:500]!r}")
        root = ET.fromstring(proc.stdout)
        strip = lambda tag: tag.rsplit("}", 1)[-1]  # noqa: E731 - namespace-agnostic
        for element in root.iter():
            if strip(element.tag) == "Size":
                total += int(element.text or 0)
        token = next((e.text for e in root.iter() if strip(e.tag) == "NextContinuationToken"), None)
        if not token:
            return total


def ndjson(*lines: dict) -> bytes:
    return b"".join(json.dumps(line).encode("utf-8") + b"\n" for line in lines)


# --------------------------------------------------------------------------------------------
# The real `git` / `git-lfs` binaries, in a clean environment (test_git.py)
# --------------------------------------------------------------------------------------------


class Secret(str):
    """A URL with credentials in it: used as a string, shown (repr, so in pytest's reports of
    arguments and assertions) with the credentials masked."""

    def __repr__(self) -> str:
        return repr(re.sub(r"://[^/@]*@", "://***@", str.__str__(self)))


@dataclass
class GitResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (
            f"$ git {' '.join(self.args)}\n-> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"
        )


class GitCli:
    """Runs `git` with HOME in a temp dir, no system config, no prompts, no inherited GIT_* or
    credential settings. Every secret given is masked in the results (so in assertion messages).

    The global config (in the temp HOME) has an identity and git-lfs's filters (`git lfs install
    --skip-repo`), so a clone smudges LFS files and `git lfs track` works in any repo."""

    def __init__(self, home: Path, secrets: Iterable[str] = ()):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.secrets = [s for s in secrets if s]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            "LANG": "C",
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Stoa Compat",
            "GIT_AUTHOR_EMAIL": "compat@example.com",
            "GIT_COMMITTER_NAME": "Stoa Compat",
            "GIT_COMMITTER_EMAIL": "compat@example.com",
        }
        self.run("config", "--global", "init.defaultBranch", "main")
        self.run("config", "--global", "advice.detachedHead", "false")
        # No "consider enabling lfs.<url-with-token>.locksverify" hint (it would print the URL).
        self.run("config", "--global", "lfs.locksverify", "false")
        self.run("lfs", "install", "--skip-repo")

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def run(
        self,
        *args: str | os.PathLike,
        cwd: os.PathLike | str | None = None,
        check: bool = True,
        timeout: float = 180,
        env: dict[str, str] | None = None,
    ) -> GitResult:
        __tracebackhide__ = True  # its frame's arguments would show the URLs
        argv = [str(a) for a in args]
        full_env = dict(self.env)
        full_env.update(env or {})
        try:
            proc = subprocess.run(
                ["git", *argv], cwd=cwd, env=full_env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as error:
            raise AssertionError(
                f"git {self.mask(' '.join(argv))} did not finish within {timeout} s\n"
                f"stderr so far: {self.mask((error.stderr or b'').decode(errors='replace'))[-4000:]}"
            ) from None
        result = GitResult(
            args=[self.mask(a) for a in argv],
            returncode=proc.returncode,
            stdout=self.mask(proc.stdout.decode("utf-8", "replace")),
            stderr=self.mask(proc.stderr.decode("utf-8", "replace")),
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git command failed:\n{result.describe()}")
        return result

    def out(self, *args: str | os.PathLike, cwd: os.PathLike | str | None = None, **kwargs) -> str:
        """stdout of a command that must succeed, stripped."""
        __tracebackhide__ = True
        return self.run(*args, cwd=cwd, **kwargs).stdout.strip()


def tree_files(root: os.PathLike | str) -> dict[str, bytes]:
    """Every file of a working tree (outside .git), by path relative to `root` with `/`."""
    root = Path(root)
    files = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git" or not path.is_file():
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files
