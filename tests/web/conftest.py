"""Web pages in a real browser: the real `stoa` binary (embedded SQLite defaults, fresh temp data
dir, free 127.0.0.1 port) driven by headless Chromium through Selenium and the system chromedriver.

As in tests/compat, `pytest_configure` picks the port and fixes HF_ENDPOINT and friends before any
test module imports huggingface_hub (test_xss.py pushes cards with it).
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
import web_helpers  # noqa: E402
from web_helpers import ARTIFACTS, LIVE, StoaServer, close_browser, new_browser, save_failure  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
_STATE: dict = {}


def _binary_path() -> Path:
    return Path(os.environ.get("STOA_BIN") or REPO_ROOT / "target" / "debug" / "stoa")


def pytest_configure(config: pytest.Config) -> None:
    if "huggingface_hub" in sys.modules:
        raise pytest.UsageError("huggingface_hub was imported before tests/web/conftest.py could set HF_ENDPOINT")
    port = int(os.environ.get("STOA_WEB_PORT") or free_port())
    url = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="stoa-web-"))
    hf_home = work / "hf-home"
    hf_home.mkdir()
    for var in (
        "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HUGGINGFACE_CO_STAGING", "HF_HUB_OFFLINE",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_XET_CACHE", "HF_ASSETS_CACHE",
    ):
        os.environ.pop(var, None)
    os.environ["HF_ENDPOINT"] = url
    os.environ["HF_HOME"] = str(hf_home)
    os.environ["HF_HUB_CACHE"] = str(hf_home / "hub")
    os.environ["HF_XET_CACHE"] = str(hf_home / "xet")
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
    os.environ["DO_NOT_TRACK"] = "1"
    # Selenium must never download a driver or browser (no network here): the paths are given.
    os.environ["SE_OFFLINE"] = "true"
    os.environ.pop("SE_MANAGER_PATH", None)
    _STATE.update(port=port, url=url, work=work)


def pytest_unconfigure(config: pytest.Config) -> None:
    for _, driver in list(LIVE):
        close_browser(driver)
    server: StoaServer | None = _STATE.get("server")
    if server is not None:
        stop_process(server.process)
    work = _STATE.get("work")
    if work is not None:
        if os.environ.get("STOA_WEB_KEEP_DATA") == "1":
            print(f"stoa web: data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"stoa web: server {_STATE.get('url')} binary={_binary_path()} browser={web_helpers.CHROMIUM}"]


@pytest.fixture(scope="session")
def stoa() -> StoaServer:
    """`stoa serve` on a fresh data dir and a free port; stopped at the end of the session."""
    binary = _binary_path()
    if not binary.exists() or not os.access(binary, os.X_OK):
        pytest.fail(f"stoa binary not found or not executable at {binary}; build it or set STOA_BIN", pytrace=False)
    for path in (web_helpers.CHROMIUM, web_helpers.CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: run scripts/browser.sh", pytrace=False)

    port, url, work = _STATE["port"], _STATE["url"], _STATE["work"]
    data_dir = work / "data"
    data_dir.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "stoa-server.log"
    env = dict(os.environ)
    for var in ("STOA_CONFIG", "STOA_DATA_DIR", "STOA_LISTEN", "STOA_PUBLIC_URL", "STOA_DATABASE_URL"):
        env.pop(var, None)
    for var in list(env):
        if var.startswith("STOA_S3_"):
            env.pop(var)
    env.setdefault("RUST_LOG", "info")
    env.setdefault("NO_COLOR", "1")
    env.setdefault("RUST_BACKTRACE", "1")
    env.setdefault("STOA_RATE_LIMIT", "off")  # many page loads and sign-ins from one address

    server = StoaServer(url=url, port=port, data_dir=data_dir, binary=binary, log_path=log_path)
    log_file = open(log_path, "wb")
    cmd = [str(binary), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}", "--public-url", url]
    log_file.write(f"$ {' '.join(cmd)}\n".encode())
    log_file.flush()
    proc = subprocess.Popen(
        cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
    )
    server.process = proc
    _STATE["server"] = server
    atexit.register(stop_process, proc)

    def _on_signal(signum, frame):
        stop_process(proc)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)

    try:
        deadline = time.monotonic() + 60
        while not server_ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = f"exited with code {proc.returncode}" if proc.poll() is not None else "did not answer in 60 s"
                pytest.fail(
                    f"stoa serve {why} (GET {url}/api/models).\n--- server log ({log_path}) ---\n"
                    f"{log_path.read_text(errors='replace')[-8000:]}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield server
    finally:
        stop_process(proc)
        log_file.close()


@pytest.fixture
def browser(stoa):
    """Factory of fresh headless Chromium sessions (`browser("owner")`), closed after the test."""
    made = []

    def make(label: str = "browser"):
        driver = new_browser(label)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        close_browser(driver)


@pytest.fixture(autouse=True)
def _current_test(request: pytest.FixtureRequest):
    web_helpers.CURRENT["test"] = request.node.name
    server: StoaServer | None = _STATE.get("server")
    try:
        request.node._stoa_log_offset = server.log_path.stat().st_size if server else 0
    except OSError:
        request.node._stoa_log_offset = 0
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    # A screenshot, the page source and the console of every open browser.
    web_helpers.CURRENT["test"] = item.name
    saved = []
    for label, driver in list(LIVE):
        try:
            save_failure(driver, label)
            saved.append(label)
        except Exception as e:  # a dead browser must not hide the test's own failure
            report.sections.append(("web artifacts", f"could not save {label}: {e}"))
    if saved:
        report.sections.append(
            ("web artifacts", f"{ARTIFACTS}/{web_helpers.safe_name(item.name)}-FAILED-<{'|'.join(saved)}>.png/.html/.console.txt")
        )
    server: StoaServer | None = _STATE.get("server")
    if server is not None and server.log_path.exists():
        with open(server.log_path, "rb") as f:
            f.seek(getattr(item, "_stoa_log_offset", 0))
            text = re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode("utf-8", "replace"))
        if len(text) > 6000:
            text = "...(truncated)...\n" + text[-6000:]
        report.sections.append((f"stoa server log during this test ({server.log_path})", text or "(empty)"))
        if server.process is not None and server.process.poll() is not None:
            report.sections.append(("stoa server", f"server process EXITED with code {server.process.returncode}"))
