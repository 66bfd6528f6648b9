"""Black-box compatibility suite: the real `stoa` binary driven by the real `huggingface_hub` client.

Order matters here. `huggingface_hub` reads HF_ENDPOINT, HF_HUB_DISABLE_XET, HF_HOME, ... once, when it
is first imported. `pytest_configure` (which runs before any test module is imported) therefore picks
the server's port and fixes the environment; the session fixture `stoa` then starts the server on
that port. Nothing in this file imports huggingface_hub at module level.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/stoa_process.py

from stoa_process import free_port, server_ready, stop_process  # noqa: E402
from compat_helpers import StoaServer, unique_name  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# In the classic-LFS run (HF_HUB_DISABLE_XET=1) the server must answer `lfs` in preupload for the
# big files, otherwise the 2.4.0 client sends everything inline. Files above this size go LFS.
LFS_RUN_INLINE_MAX_BYTES = 1_000_000

_STATE: dict = {}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lfs: classic LFS upload path; run with HF_HUB_DISABLE_XET=1 (run.sh does this)"
    )
    config.addinivalue_line("markers", "slow: large transfers (hundreds of MB)")

    if "huggingface_hub" in sys.modules:
        raise pytest.UsageError(
            "huggingface_hub was imported before tests/compat/conftest.py could set HF_ENDPOINT; "
            "remove whatever plugin imports it early."
        )

    port = int(os.environ.get("STOA_COMPAT_PORT") or free_port())
    url = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="stoa-compat-"))
    hf_home = work / "hf-home"
    hf_home.mkdir()

    for var in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_TOKEN_PATH",
        "HUGGINGFACE_CO_STAGING",
        "HF_HUB_OFFLINE",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "HF_XET_CACHE",
        "HF_ASSETS_CACHE",
    ):
        os.environ.pop(var, None)
    os.environ["HF_ENDPOINT"] = url
    os.environ["HF_HOME"] = str(hf_home)
    os.environ["HF_HUB_CACHE"] = str(hf_home / "hub")
    os.environ["HF_XET_CACHE"] = str(hf_home / "xet")
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_HUB_DISABLE_SYMLINKS_WARNING"] = "1"
    os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
    os.environ["DO_NOT_TRACK"] = "1"

    xet_disabled = _truthy(os.environ.get("HF_HUB_DISABLE_XET"))
    _STATE.update(port=port, url=url, work=work, xet_disabled=xet_disabled)


def pytest_unconfigure(config: pytest.Config) -> None:
    server: StoaServer | None = _STATE.get("server")
    if server is not None:
        stop_process(server.process)
    work = _STATE.get("work")
    if work is not None:
        if _truthy(os.environ.get("STOA_COMPAT_KEEP_DATA")):
            print(f"stoa compat: data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    mode = "classic LFS (HF_HUB_DISABLE_XET=1)" if _STATE.get("xet_disabled") else "default (Xet available)"
    return [
        f"stoa compat: HF_ENDPOINT={_STATE.get('url')} mode={mode}",
        f"stoa compat: binary={_binary_path()}",
    ]


def _binary_path() -> Path:
    return Path(os.environ.get("STOA_BIN") or REPO_ROOT / "target" / "debug" / "stoa")


@pytest.fixture(scope="session")
def stoa() -> StoaServer:
    """Starts `stoa serve` on a fresh data dir, creates alice and bob, yields the server handle."""
    binary = _binary_path()
    if not binary.exists():
        pytest.fail(
            f"stoa binary not found at {binary}. Build it first (`cargo build -p stoa` from the repo root) "
            f"or point STOA_BIN at it.",
            pytrace=False,
        )
    if not os.access(binary, os.X_OK):
        pytest.fail(f"stoa binary at {binary} is not executable", pytrace=False)

    port, url, work = _STATE["port"], _STATE["url"], _STATE["work"]
    data_dir = work / "data"
    data_dir.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    label = os.environ.get("STOA_COMPAT_LABEL") or ("lfs" if _STATE["xet_disabled"] else "default")
    log_path = ARTIFACTS / f"stoa-server-{label}.log"

    env = dict(os.environ)
    for var in ("STOA_CONFIG", "STOA_DATA_DIR", "STOA_LISTEN", "STOA_PUBLIC_URL"):
        env.pop(var, None)
    env.setdefault("RUST_LOG", "info")
    env.setdefault("NO_COLOR", "1")
    env.setdefault("RUST_BACKTRACE", "1")
    # The suite sends thousands of requests from one address and two tokens in a few minutes;
    # rate limits are tested on servers of their own (test_rate_limits.py).
    env.setdefault("STOA_RATE_LIMIT", "off")
    # Since Xet landed, preupload follows .gitattributes for every client: nothing is inlined
    # because of the client's version, so no inline limit is configured.
    inline_max = None

    server = StoaServer(
        url=url,
        port=port,
        data_dir=data_dir,
        binary=binary,
        log_path=log_path,
        xet_disabled=_STATE["xet_disabled"],
        inline_max_bytes=inline_max,
    )
    log_file = open(log_path, "wb")
    cmd = [
        str(binary),
        "serve",
        "--data-dir",
        str(data_dir),
        "--listen",
        f"127.0.0.1:{port}",
        "--public-url",
        url,
    ]
    log_file.write(f"$ {' '.join(cmd)}\n".encode())
    log_file.flush()
    proc = subprocess.Popen(
        cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
    )
    server.process = proc
    _STATE["server"] = server
    atexit.register(stop_process, proc)

    def _on_signal(signum, frame):  # pytest killed: take the server down with us
        stop_process(proc)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)

    try:
        deadline = time.monotonic() + 60
        while not server_ready(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"stoa serve exited with code {proc.returncode} before answering GET /api/models.\n"
                    f"--- server log ({log_path}) ---\n{log_path.read_text(errors='replace')[-8000:]}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"stoa serve did not answer GET {url}/api/models within 60 s.\n"
                    f"--- server log ({log_path}) ---\n{log_path.read_text(errors='replace')[-8000:]}",
                    pytrace=False,
                )
            time.sleep(0.2)

        # Users and tokens, created through the admin CLI while the server runs.
        server.admin("user", "create", "alice", "--fullname", "Alice Liddell", "--email", "alice@example.com")
        server.admin("user", "create", "bob")
        server.tokens["alice"] = _token(server, "alice", "write", name="alice-write")
        server.tokens["alice_read"] = _token(server, "alice", "read", name="alice-read")
        bob_value = "hf_bob" + unique_name("tok").replace("-", "")
        server.tokens["bob"] = _token(server, "bob", "write", name="bob-write", value=bob_value)
        assert server.tokens["bob"] == bob_value, (
            f"`stoa admin token create --value {bob_value}` printed {server.tokens['bob']!r} instead of the value"
        )
        yield server
    finally:
        stop_process(proc)
        log_file.close()


def _token(server: StoaServer, user: str, role: str, *, name: str, value: str | None = None) -> str:
    args = ["token", "create", "--user", user, "--role", role, "--name", name]
    if value is not None:
        args += ["--value", value]
    out = server.admin(*args).stdout.strip().splitlines()
    assert out, f"`stoa admin token create --user {user}` printed nothing on stdout"
    token = out[-1].strip()
    assert token and " " not in token, f"unexpected token output: {out!r}"
    return token


@pytest.fixture(autouse=True)
def _server_log_section(request: pytest.FixtureRequest, stoa: StoaServer):
    """Remembers where the server log was when the test started (see the report hook below)."""
    try:
        request.node._stoa_log_offset = stoa.log_path.stat().st_size
    except OSError:
        request.node._stoa_log_offset = 0
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    server: StoaServer | None = _STATE.get("server")
    if report.failed and server is not None and server.log_path.exists():
        offset = getattr(item, "_stoa_log_offset", 0)
        with open(server.log_path, "rb") as f:
            f.seek(offset)
            text = re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode("utf-8", "replace"))
        if len(text) > 20000:
            text = "...(truncated)...\n" + text[-20000:]
        report.sections.append((f"stoa server log during this test ({server.log_path})", text or "(empty)"))
        if server.process is not None and server.process.poll() is not None:
            report.sections.append(("stoa server", f"server process has EXITED with code {server.process.returncode}"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    server: StoaServer | None = _STATE.get("server")
    if server is not None:
        terminalreporter.write_line(f"stoa server log kept at {server.log_path}")


# --------------------------------------------------------------------------------------------
# Client fixtures (huggingface_hub imported lazily, after pytest_configure fixed the environment)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hf(stoa):
    import huggingface_hub
    import huggingface_hub.constants
    import huggingface_hub.errors
    import huggingface_hub.utils

    assert huggingface_hub.__version__ == "2.4.0", f"expected huggingface_hub 2.4.0, got {huggingface_hub.__version__}"
    assert huggingface_hub.constants.ENDPOINT == stoa.url, (
        f"huggingface_hub endpoint is {huggingface_hub.constants.ENDPOINT}, expected {stoa.url}"
    )
    assert huggingface_hub.constants.HF_HUB_DISABLE_XET == stoa.xet_disabled
    return huggingface_hub


@pytest.fixture(scope="session")
def api_alice(hf, stoa):
    return hf.HfApi(endpoint=stoa.url, token=stoa.tokens["alice"])


@pytest.fixture(scope="session")
def api_alice_read(hf, stoa):
    return hf.HfApi(endpoint=stoa.url, token=stoa.tokens["alice_read"])


@pytest.fixture(scope="session")
def api_bob(hf, stoa):
    return hf.HfApi(endpoint=stoa.url, token=stoa.tokens["bob"])


@pytest.fixture(scope="session")
def api_anon(hf, stoa):
    return hf.HfApi(endpoint=stoa.url, token=False)


@pytest.fixture
def repo_name():
    """Factory for unique repo names: `repo_name()` or `repo_name("prefix")`."""
    return unique_name


@pytest.fixture
def new_repo(api_alice, repo_name):
    """Factory: creates a repo owned by alice and returns its id (`alice/<unique>`)."""

    def make(prefix: str = "repo", **kwargs) -> str:
        repo_id = f"alice/{repo_name(prefix)}"
        api_alice.create_repo(repo_id, **kwargs)
        return repo_id

    return make


@pytest.fixture
def lfs_mode(stoa, hf):
    """For @pytest.mark.lfs tests: the classic LFS path only exists with HF_HUB_DISABLE_XET=1."""
    if not stoa.xet_disabled:
        pytest.fail(
            "this test exercises the classic LFS upload path; run it with HF_HUB_DISABLE_XET=1 "
            "(tests/compat/run.sh does: pytest -m lfs)",
            pytrace=False,
        )
    return stoa


@pytest.fixture
def git(tmp_path, stoa):
    """The real git (and git-lfs) in a clean environment (`GitCli`); the test's clones (up to
    100 MB) are removed afterwards."""
    from compat_helpers import GitCli

    yield GitCli(tmp_path / "home", secrets=stoa.tokens.values())
    shutil.rmtree(tmp_path, ignore_errors=True)
