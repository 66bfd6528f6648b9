"""Rate limits (security.md §7.5): `api` and `resolvers` buckets over fixed 5-minute windows, per
token for signed-in callers and per client address for anonymous ones, announced with
`RateLimit: "<bucket>";r=<remaining>;t=<seconds>` and
`RateLimit-Policy: "fixed window";"<bucket>";q=<quota>;w=300`; past the quota 429 with
`X-Error-Code: RateLimited` and `Retry-After`, which huggingface_hub 2.4.0 turns into an
`HfHubHTTPError` naming the bucket.

The suite's shared server runs with STOA_RATE_LIMIT=off, so each test here starts its own
`stoa serve` (free port on 127.0.0.1, fresh data dir, users and tokens made with `stoa admin`
before it starts) with tiny quotas: API 5, resolvers 4, anonymous API 3, anonymous resolvers 2.
A fresh server per test keeps the tests independent (the anonymous bucket is per address, and
every test comes from 127.0.0.1). Readiness is checked with a bare TCP connect, which no bucket
counts. No test waits for a window to end.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import shutil
from pathlib import Path

import pytest

from compat_helpers import StoaServer, curl, ndjson

QUOTAS = {"STOA_RATE_LIMIT_API": "5", "STOA_RATE_LIMIT_RESOLVERS": "4",
          "STOA_RATE_LIMIT_ANONYMOUS_API": "3", "STOA_RATE_LIMIT_ANONYMOUS_RESOLVERS": "2",
          "STOA_RATE_LIMIT_AUTH": "3"}
LIMIT_RE = re.compile(r'^"(api|resolvers|auth)";r=(\d+);t=(\d+)$')
POLICY_RE = re.compile(r'^"fixed window";"(api|resolvers|auth)";q=(\d+);w=300$')
FILE = b"rate limited bytes\n"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _embedded_env() -> dict[str, str]:
    """The environment without any STOA_* setting: these servers run on the embedded defaults,
    even in the PostgreSQL + S3 runs (whose database the suite's own server uses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STOA_") or k == "STOA_BIN"}


def _admin(server, *args: str) -> str:
    cmd = [str(server.binary), "admin", *args, "--data-dir", str(server.data_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_embedded_env())
    assert proc.returncode == 0, f"admin command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}"
    return proc.stdout


def start_server(stoa, env_overrides: dict[str, str], tokens: dict[str, tuple[str, str]]):
    """Starts `stoa serve` with its own data dir; `tokens` = key -> (user, role), made before."""
    work = Path(tempfile.mkdtemp(prefix="stoa-ratelimit-"))
    data_dir = work / "data"
    data_dir.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = StoaServer(url=url, port=port, data_dir=data_dir, binary=stoa.binary, log_path=work / "server.log",
                        xet_disabled=stoa.xet_disabled, inline_max_bytes=None)
    for user in sorted({user for user, _ in tokens.values()}):
        _admin(server, "user", "create", user)
    for key, (user, role) in tokens.items():
        out = _admin(server, "token", "create", "--user", user, "--role", role, "--name", key)
        server.tokens[key] = out.strip().splitlines()[-1].strip()

    env = _embedded_env()
    env.update(RUST_LOG="info", NO_COLOR="1", **env_overrides)
    log = open(server.log_path, "wb")
    proc = subprocess.Popen(
        [str(stoa.binary), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}", "--public-url", url],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
    )
    server.process = proc
    deadline = time.monotonic() + 60
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            log.close()
            raise AssertionError(f"stoa serve did not start:\n{server.log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.1)

    def stop():
        _stop(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    return server, stop


@pytest.fixture
def limited(stoa):
    """A server with small quotas; tokens: alice, alice2 (a second token of alice), bob, setup."""
    server, stop = start_server(stoa, QUOTAS, {"alice": ("alice", "write"), "alice2": ("alice", "write"),
                                               "bob": ("bob", "write"), "setup": ("alice", "write")})
    yield server
    stop()


def limit_of(r) -> tuple[str, int, int]:
    __tracebackhide__ = True
    value = r.header("ratelimit")
    assert value, f"no RateLimit header\n{r.describe()}"
    m = LIMIT_RE.match(value)
    assert m, f"RateLimit header {value!r} is not '\"<bucket>\";r=<n>;t=<s>'"
    return m.group(1), int(m.group(2)), int(m.group(3))


def policy_of(r) -> tuple[str, int]:
    __tracebackhide__ = True
    value = r.header("ratelimit-policy")
    assert value, f"no RateLimit-Policy header\n{r.describe()}"
    m = POLICY_RE.match(value)
    assert m, f"RateLimit-Policy header {value!r} is not '\"fixed window\";\"<bucket>\";q=<n>;w=300'"
    return m.group(1), int(m.group(2))


def assert_counted(r, bucket: str, quota: int, remaining: int, status: int = 200):
    __tracebackhide__ = True
    assert r.status == status, r.describe()
    b, left, reset = limit_of(r)
    assert (b, left) == (bucket, remaining), f"expected {bucket} r={remaining}\n{r.describe()}"
    assert 1 <= reset <= 300, r.describe()
    assert policy_of(r) == (bucket, quota), r.describe()


def assert_limited(r, bucket: str, quota: int):
    __tracebackhide__ = True
    assert_counted(r, bucket, quota, 0, status=429)
    assert r.header("x-error-code") == "RateLimited", r.describe()
    retry = r.header("retry-after")
    assert retry and retry.isdigit() and 1 <= int(retry) <= 300, r.describe()
    assert bucket in r.json()["error"] and r.header("x-error-message") == r.json()["error"], r.describe()


def make_public_repo(server) -> str:
    """alice/r with file.txt, through the `setup` token (two API requests of its own bucket)."""
    token = server.tokens["setup"]
    r = curl("POST", f"{server.url}/api/repos/create", token=token, headers={"Content-Type": "application/json"},
             data=json.dumps({"name": "r", "type": "model"}))
    assert r.status == 200, r.describe()
    r = curl("POST", f"{server.url}/api/models/alice/r/commit/main", token=token,
             headers={"Content-Type": "application/x-ndjson"},
             data=ndjson({"key": "header", "value": {"summary": "file"}},
                         {"key": "file", "value": {"path": "file.txt", "content": base64.b64encode(FILE).decode(),
                                                   "encoding": "base64"}}))
    assert r.status == 200, r.describe()
    return "alice/r"


def whoami(server, token=None):
    return curl("GET", f"{server.url}/api/whoami-v2", token=token)


# ------------------------------------------------------------------------------------------------


def test_shared_suite_server_has_limits_off(stoa):
    r = curl("GET", f"{stoa.url}/api/models")
    assert r.status == 200 and r.header("ratelimit") is None and r.header("ratelimit-policy") is None, r.describe()


def test_headers_count_down_then_429_and_nothing_runs(limited):
    server = limited
    repo = make_public_repo(server)
    token = server.tokens["alice"]
    resets = []
    for remaining in (4, 3, 2, 1, 0):
        r = whoami(server, token)
        assert_counted(r, "api", 5, remaining)
        resets.append(limit_of(r)[2])
    assert resets == sorted(resets, reverse=True), f"seconds left must not grow within a window: {resets}"
    assert_limited(whoami(server, token), "api", 5)
    # A refused commit does not happen.
    head = curl("GET", f"{server.url}/api/models/{repo}", token=server.tokens["bob"]).json()["sha"]
    r = curl("POST", f"{server.url}/api/models/{repo}/commit/main", token=token,
             headers={"Content-Type": "application/x-ndjson"},
             data=ndjson({"key": "header", "value": {"summary": "over quota"}},
                         {"key": "file", "value": {"path": "late.txt", "content": "eA==", "encoding": "base64"}}))
    assert_limited(r, "api", 5)
    assert curl("GET", f"{server.url}/api/models/{repo}", token=server.tokens["bob"]).json()["sha"] == head
    # Refusals are not free passes: still limited.
    assert_limited(whoami(server, token), "api", 5)


def test_token_buckets_are_independent_of_each_other_and_of_anonymous(limited):
    server = limited
    for remaining in (4, 3, 2, 1, 0):
        assert_counted(whoami(server, server.tokens["alice"]), "api", 5, remaining)
    assert_limited(whoami(server, server.tokens["alice"]), "api", 5)
    # Another user's token, and another token of the same user, count on their own.
    assert_counted(whoami(server, server.tokens["bob"]), "api", 5, 4)
    assert_counted(whoami(server, server.tokens["alice2"]), "api", 5, 4)
    # Anonymous callers (per address) have their own, smaller quota.
    for remaining in (2, 1, 0):
        assert_counted(curl("GET", f"{server.url}/api/models"), "api", 3, remaining)
    assert_limited(curl("GET", f"{server.url}/api/models"), "api", 3)
    # ... and exhausting it leaves the tokens alone.
    assert_counted(whoami(server, server.tokens["bob"]), "api", 5, 3)
    assert_limited(whoami(server, server.tokens["alice"]), "api", 5)


def test_resolvers_bucket_is_separate_from_api(limited):
    server = limited
    repo = make_public_repo(server)
    token = server.tokens["alice"]
    resolve = f"{server.url}/{repo}/resolve/main/file.txt"
    for remaining in (4, 3, 2, 1, 0):
        assert_counted(whoami(server, token), "api", 5, remaining)
    assert_limited(whoami(server, token), "api", 5)
    # Downloads still work: their own bucket.
    for remaining in (3, 2, 1, 0):
        r = curl("GET", resolve, token=token)
        assert_counted(r, "resolvers", 4, remaining)
        assert r.body == FILE
    assert_limited(curl("GET", resolve, token=token), "resolvers", 4)
    # git-lfs batch and git fetches count as transfers too.
    batch = curl("POST", f"{server.url}/{repo}.git/info/lfs/objects/batch", token=server.tokens["bob"],
                 headers={"Content-Type": "application/vnd.git-lfs+json", "Accept": "application/vnd.git-lfs+json"},
                 data=json.dumps({"operation": "download", "transfers": ["basic"], "objects": []}))
    assert limit_of(batch)[0] == "resolvers", batch.describe()
    # Anonymous downloads: their own quota, separate from anonymous API calls.
    for remaining in (1, 0):
        assert_counted(curl("GET", resolve), "resolvers", 2, remaining)
    assert_limited(curl("GET", resolve), "resolvers", 2)
    assert_counted(curl("GET", f"{server.url}/api/models"), "api", 3, 2)


def test_huggingface_hub_surfaces_the_429(limited, hf):
    server = limited
    repo = make_public_repo(server)
    api = hf.HfApi(endpoint=server.url, token=server.tokens["alice"])
    for _ in range(5):
        assert api.model_info(repo).id == repo
    started = time.monotonic()
    with pytest.raises(hf.errors.HfHubHTTPError) as refused:
        api.model_info(repo)
    assert time.monotonic() - started < 10, "model_info must not wait out the window"
    response = refused.value.response
    assert response.status_code == 429
    assert response.headers["X-Error-Code"] == "RateLimited"
    text = str(refused.value)
    assert "429 Too Many Requests: you have reached your 'api' rate limit" in text, text
    assert "0/5 requests remaining in current 300s window" in text, text

    anon = hf.HfApi(endpoint=server.url, token=False)
    for _ in range(3):
        anon.model_info(repo)
    with pytest.raises(hf.errors.HfHubHTTPError) as anon_refused:
        anon.model_info(repo)
    assert anon_refused.value.response.status_code == 429
    assert "0/3 requests remaining" in str(anon_refused.value), str(anon_refused.value)


def test_zero_switches_one_limit_off(stoa):
    server, stop = start_server(stoa, {**QUOTAS, "STOA_RATE_LIMIT_API": "0"}, {"alice": ("alice", "write")})
    try:
        for _ in range(8):
            r = whoami(server, server.tokens["alice"])
            assert r.status == 200 and r.header("ratelimit") is None, r.describe()
        for remaining in (2, 1, 0):
            assert_counted(curl("GET", f"{server.url}/api/models"), "api", 3, remaining)
        assert_limited(curl("GET", f"{server.url}/api/models"), "api", 3)
    finally:
        stop()


def test_sign_in_attempts_are_limited_per_address(limited):
    """Password guessing: sign-in, sign-up and password changes share a small `auth` bucket per
    client address, whatever token comes along, apart from the api bucket."""
    url = f"{limited.url}/api/login"
    headers = {"Content-Type": "application/json"}
    wrong = json.dumps({"username": "alice", "password": "not the password"})
    for remaining in (2, 1, 0):
        r = curl("POST", url, headers=headers, data=wrong)
        assert_counted(r, "auth", 3, remaining, status=401)
    assert_limited(curl("POST", url, headers=headers, data=wrong), "auth", 3)
    # A token does not buy more guesses...
    assert_limited(curl("POST", url, token=limited.tokens["bob"], headers=headers, data=wrong), "auth", 3)
    signup = json.dumps({"username": "mallory", "password": "long enough password"})
    assert_limited(curl("POST", f"{limited.url}/api/signup", headers=headers, data=signup), "auth", 3)
    # ...and the api bucket is untouched.
    assert_counted(whoami(limited, limited.tokens["bob"]), "api", 5, 4)
