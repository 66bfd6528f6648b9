"""Several `stoa serve` nodes on one PostgreSQL database, one S3 bucket and one shared data dir
(git repositories, signing key) behave as one hub.

Only in the scale-out runs of run.sh: (c) with Xet, (d) with classic LFS. The session's server
is node A; the `node_b` fixture starts node B with the same settings on another port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from compat_helpers import curl, sha256_bytes, sha256_file, unique_name, write_random_file

pytestmark = pytest.mark.scaleout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def node_b(stoa):
    if not os.environ.get("STOA_DATABASE_URL") or not os.environ.get("STOA_S3_BUCKET"):
        pytest.fail("scale-out tests need STOA_DATABASE_URL and STOA_S3_* (tests/compat/run.sh sets them)", pytrace=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = stoa.log_path.with_name(stoa.log_path.stem + "-node-b.log")
    env = {k: v for k, v in os.environ.items() if k not in ("STOA_CONFIG", "STOA_DATA_DIR", "STOA_LISTEN")}
    env["STOA_RATE_LIMIT"] = "off"
    cmd = [str(stoa.binary), "serve", "--data-dir", str(stoa.data_dir), "--listen", f"127.0.0.1:{port}", "--public-url", url]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"node B did not start:\n{log_path.read_text(errors='replace')[-4000:]}", pytrace=False)
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def apis(hf, stoa, node_b):
    token = stoa.tokens["alice"]
    return hf.HfApi(endpoint=stoa.url, token=token), hf.HfApi(endpoint=node_b, token=token)


def test_commits_alternate_between_nodes_and_each_serves_the_other_at_once(apis, hf, stoa, node_b, tmp_path):
    a, b = apis
    repo_id = f"alice/{unique_name('alternate')}"
    a.create_repo(repo_id)
    for i in range(6):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        info = writer.upload_file(path_or_fileobj=f"content {i}".encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id)
        # No waiting: the other node answers with this commit right away.
        assert reader.model_info(repo_id).sha == info.oid
        assert f"f{i}.txt" in reader.list_repo_files(repo_id)
        endpoint = reader.endpoint
        path = hf.hf_hub_download(repo_id, f"f{i}.txt", endpoint=endpoint, token=stoa.tokens["alice"], cache_dir=tmp_path / f"c{i}")
        assert Path(path).read_bytes() == f"content {i}".encode()
    assert sorted(a.list_repo_files(repo_id)) == sorted(b.list_repo_files(repo_id))


def test_concurrent_commits_through_both_nodes_lose_no_update(apis, stoa):
    a, b = apis
    repo_id = f"alice/{unique_name('race')}"
    a.create_repo(repo_id)
    errors: list[BaseException] = []
    per_writer = 6

    def writer(api, name):
        try:
            for i in range(per_writer):
                api.upload_file(path_or_fileobj=f"{name} {i}".encode(), path_in_repo=f"{name}/{i}.txt", repo_id=repo_id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(api, f"{node}{k}")) for node, api in (("a", a), ("b", b)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    expected = {f"{node}{k}/{i}.txt" for node in "ab" for k in range(2) for i in range(per_writer)}
    for api in (a, b):
        files = set(api.list_repo_files(repo_id))
        assert expected <= files, f"lost updates: {sorted(expected - files)}"
    # Every commit is a descendant of the previous one: 24 commits on top of the initial one.
    heads = {api.model_info(repo_id).sha for api in (a, b)}
    assert len(heads) == 1


def test_a_large_file_from_one_node_downloads_from_the_other(apis, hf, stoa, tmp_path):
    a, b = apis
    repo_id = f"alice/{unique_name('big')}"
    a.create_repo(repo_id)
    source = tmp_path / "weights.bin"
    digest = write_random_file(source, 12 * 1024 * 1024)
    a.upload_file(path_or_fileobj=str(source), path_in_repo="weights.bin", repo_id=repo_id)
    path = hf.hf_hub_download(repo_id, "weights.bin", endpoint=b.endpoint, token=stoa.tokens["alice"], cache_dir=tmp_path / "c")
    assert sha256_file(path) == digest
    # And the plain-HTTP route on node B (the Xet bridge, or the object itself) gives the same bytes.
    response = curl("GET", f"{b.endpoint}/{repo_id}/resolve/main/weights.bin", token=stoa.tokens["alice"])
    assert response.status == 200
    assert sha256_bytes(response.body) == digest


@pytest.mark.lfs
def test_lfs_downloads_redirect_to_presigned_s3_urls_with_ranges(apis, stoa, lfs_mode, tmp_path):
    a, _ = apis
    repo_id = f"alice/{unique_name('redirect')}"
    a.create_repo(repo_id)
    source = tmp_path / "model.safetensors"
    digest = write_random_file(source, 3 * 1024 * 1024)
    a.upload_file(path_or_fileobj=str(source), path_in_repo="model.safetensors", repo_id=repo_id)
    url = f"{stoa.url}/{repo_id}/resolve/main/model.safetensors"
    head = curl("HEAD", url, token=stoa.tokens["alice"])
    assert head.status == 302
    location = head.header("location")
    assert location.startswith(os.environ["STOA_S3_ENDPOINT"]), location
    assert head.header("x-linked-size") == str(3 * 1024 * 1024)
    assert head.header("x-linked-etag") == f'"{digest}"'
    assert head.header("x-repo-commit")
    whole = curl("GET", location)
    assert whole.status == 200 and sha256_bytes(whole.body) == digest
    part = curl("GET", location, headers={"Range": "bytes=100-199"})
    assert part.status == 206 and part.body == source.read_bytes()[100:200]
