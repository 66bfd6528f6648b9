"""ClamAV through clamd: every file of a commit is sent to the daemon (INSTREAM) and its verdict
shows as `avScan` in `securityFileStatus` and as an `infected` issue in `securityRepoStatus`.

scripts/test.sh starts a real clamd with a tiny signature database (scripts/clamd.sh: EICAR by
MD5, freshclam has no network here) and exports STOA_TEST_CLAMD; this file serves its own Stoa
pointed at it. Without clamd the tests fail, unless STOA_COMPAT_NO_CLAMD=1 says to skip them.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from compat_helpers import unique_name
from scan_corpus import issues_by_path, tree_security, wait_for_scan
from test_scanning import _admin, _kill, _serve

# The EICAR test file: harmless, detected by every antivirus (split so no scanner flags this source).
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

CLAMD = os.environ.get("STOA_TEST_CLAMD")
if not CLAMD and os.environ.get("STOA_COMPAT_NO_CLAMD") == "1":
    pytest.skip("STOA_COMPAT_NO_CLAMD=1: no clamd for this run", allow_module_level=True)


def test_clamd_finds_eicar_and_passes_clean_files(stoa, hf, tmp_path):
    assert CLAMD, "STOA_TEST_CLAMD is not set: run scripts/clamd.sh (scripts/test.sh does) or set STOA_COMPAT_NO_CLAMD=1"
    work = Path(tempfile.mkdtemp(prefix="stoa-clamd-"))
    data_dir = work / "data"
    data_dir.mkdir()
    log_path = work / "server.log"
    _admin(stoa.binary, data_dir, "user", "create", "alice")
    token = _admin(stoa.binary, data_dir, "token", "create", "--user", "alice", "--role", "write",
                   "--name", "clamd").strip().splitlines()[-1].strip()
    proc, url = _serve(stoa.binary, data_dir, log_path, {"STOA_CLAMD": CLAMD})
    try:
        api = hf.HfApi(endpoint=url, token=token)
        repo_id = f"alice/{unique_name('clamd')}"
        api.create_repo(repo_id)
        folder = tmp_path / "upload"
        folder.mkdir()
        (folder / "eicar.com.txt").write_bytes(EICAR)
        (folder / "hello.txt").write_bytes(b"hello, antivirus\n")
        api.upload_folder(repo_id=repo_id, folder_path=folder)

        status = wait_for_scan(api, repo_id, timeout=90)
        assert issues_by_path(status) == {"eicar.com.txt": "infected"}, status
        files = tree_security(api, repo_id)
        eicar, hello = files["eicar.com.txt"], files["hello.txt"]
        assert eicar.status == "infected" and not eicar.safe, eicar
        assert eicar.av_scan["virusFound"] is True, eicar
        assert any("EICAR" in name for name in eicar.av_scan["virusNames"]), eicar
        assert hello.status == "safe" and hello.av_scan == {"virusFound": False, "virusNames": []}, hello
    except BaseException:
        print(f"--- server log ---\n{log_path.read_text(errors='replace')[-6000:]}")
        raise
    finally:
        _kill(proc, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
