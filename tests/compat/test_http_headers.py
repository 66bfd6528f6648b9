"""Raw HTTP checks with curl: resolve headers, Range, error headers, and malformed input that must
be refused without touching the repo."""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.parse

import pytest

from compat_helpers import HEX40, curl, git_blob_sha1, ndjson, sha256_bytes, unique_name

REGULAR = ("".join(f"row {i:05d}\n" for i in range(3000))).encode()  # 30 000 bytes
LFS_DATA = os.urandom(2 * 1024 * 1024 + 17)


@pytest.fixture(scope="module")
def served(api_alice):
    """A public repo with one regular and one LFS-routed file."""
    from huggingface_hub import CommitOperationAdd

    repo_id = f"alice/{unique_name('hdr')}"
    api_alice.create_repo(repo_id)
    commit = api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("data/rows.txt", REGULAR),
            CommitOperationAdd("model.safetensors", LFS_DATA),
        ],
        commit_message="served files",
    )
    return {"repo_id": repo_id, "commit": commit.oid}


def _resolve(stoa, repo_id, path, rev="main", prefix=""):
    return f"{stoa.url}/{prefix}{repo_id}/resolve/{urllib.parse.quote(rev, safe='')}/{urllib.parse.quote(path)}"


def _etag_value(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip()
    if v.startswith("W/"):
        v = v[2:]
    return v.strip('"')


def _assert_request_id(r):
    assert r.header("x-request-id"), f"X-Request-Id missing:\n{r.describe()}"


def _head_sha(stoa, repo_id, token=None, kind="models"):
    r = curl("GET", f"{stoa.url}/api/{kind}/{repo_id}", token=token or stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    return r.json()["sha"]


# ---------------------------------------------------------------------------------------------
# HEAD / GET on resolve
# ---------------------------------------------------------------------------------------------


def test_head_regular_file(stoa, served):
    r = curl("HEAD", _resolve(stoa, served["repo_id"], "data/rows.txt"), headers={"Accept-Encoding": "identity"})
    assert r.status == 200, r.describe()
    assert r.header("x-repo-commit") == served["commit"], r.describe()
    assert HEX40.match(r.header("x-repo-commit"))
    assert _etag_value(r.header("etag")) == git_blob_sha1(REGULAR), r.describe()
    assert r.header("content-length") == str(len(REGULAR)), r.describe()
    assert r.header("x-linked-etag") is None
    _assert_request_id(r)
    # Regular (git) files are never advertised as Xet.
    assert r.header("x-xet-hash") is None
    assert r.header("x-xet-refresh-route") is None
    assert "xet-auth" not in (r.header("link") or "")


def test_head_lfs_file(stoa, served):
    r = curl("HEAD", _resolve(stoa, served["repo_id"], "model.safetensors"), headers={"Accept-Encoding": "identity"})
    assert r.status in (200, 302, 307), r.describe()
    assert r.header("x-repo-commit") == served["commit"], r.describe()
    assert _etag_value(r.header("x-linked-etag")) == sha256_bytes(LFS_DATA), r.describe()
    assert r.header("x-linked-size") == str(len(LFS_DATA)), r.describe()
    if r.status == 200:
        assert r.header("content-length") == str(len(LFS_DATA)), r.describe()
    _assert_request_id(r)
    # Uploaded through Xet by the default client: advertised with a refresh route for reads.
    xet_hash = r.header("x-xet-hash")
    assert xet_hash is not None and re.fullmatch("[0-9a-f]{64}", xet_hash), r.describe()
    assert f"/api/models/{served['repo_id']}/xet-read-token/{served['commit']}" in (r.header("link") or ""), r.describe()


def test_get_full_and_by_commit(stoa, served):
    r = curl("GET", _resolve(stoa, served["repo_id"], "data/rows.txt"))
    assert r.status == 200, r.describe()
    assert r.body == REGULAR
    assert r.header("x-repo-commit") == served["commit"]
    _assert_request_id(r)
    r = curl("GET", _resolve(stoa, served["repo_id"], "data/rows.txt", rev=served["commit"]))
    assert r.status == 200 and r.body == REGULAR, r.describe()
    r = curl("GET", _resolve(stoa, served["repo_id"], "model.safetensors"))
    assert r.status == 200, r.describe()
    assert sha256_bytes(r.body) == sha256_bytes(LFS_DATA)


@pytest.mark.parametrize("path,data", [("data/rows.txt", REGULAR), ("model.safetensors", LFS_DATA)],
                         ids=["regular", "lfs"])
def test_range_requests(stoa, served, path, data):
    url = _resolve(stoa, served["repo_id"], path)
    size = len(data)

    r = curl("GET", url, headers={"Range": "bytes=10-19"})
    assert r.status == 206, r.describe()
    assert r.header("content-range") == f"bytes 10-19/{size}", r.describe()
    assert r.body == data[10:20]
    assert r.header("content-length") == "10"
    _assert_request_id(r)

    # Open-ended range (streaming resume).
    r = curl("GET", url, headers={"Range": f"bytes={size - 100}-"})
    assert r.status == 206, r.describe()
    assert r.header("content-range") == f"bytes {size - 100}-{size - 1}/{size}"
    assert r.body == data[-100:]

    # End past EOF is clamped.
    r = curl("GET", url, headers={"Range": f"bytes={size - 5}-{size + 1000}"})
    assert r.status == 206, r.describe()
    assert r.header("content-range") == f"bytes {size - 5}-{size - 1}/{size}"
    assert r.body == data[-5:]

    # Suffix range.
    r = curl("GET", url, headers={"Range": "bytes=-7"})
    assert r.status == 206, r.describe()
    assert r.body == data[-7:]

    # Start past EOF: 416.
    r = curl("GET", url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert r.status == 416, r.describe()
    _assert_request_id(r)
    r = curl("GET", url, headers={"Range": f"bytes={size}-"})
    assert r.status == 416, r.describe()


# ---------------------------------------------------------------------------------------------
# Error headers, on GET and HEAD
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_resolve_error_headers(method, stoa, served):
    repo_id = served["repo_id"]
    missing_repo = f"alice/{unique_name('nope')}"

    r = curl(method, _resolve(stoa, missing_repo, "config.json"))
    assert r.status == 401, r.describe()
    assert r.header("x-error-code") == "RepoNotFound", r.describe()
    _assert_request_id(r)

    r = curl(method, _resolve(stoa, missing_repo, "config.json"), token=stoa.tokens["bob"])
    assert r.status == 404, r.describe()
    assert r.header("x-error-code") == "RepoNotFound", r.describe()
    _assert_request_id(r)

    r = curl(method, _resolve(stoa, repo_id, "data/rows.txt", rev="no-such-rev"))
    assert r.status == 404, r.describe()
    assert r.header("x-error-code") == "RevisionNotFound", r.describe()
    _assert_request_id(r)

    r = curl(method, _resolve(stoa, repo_id, "data/nothing.txt"))
    assert r.status == 404, r.describe()
    assert r.header("x-error-code") == "EntryNotFound", r.describe()
    assert r.header("x-repo-commit") == served["commit"], "EntryNotFound on resolve must carry X-Repo-Commit"
    _assert_request_id(r)

    # A folder is not a file.
    r = curl(method, _resolve(stoa, repo_id, "data"))
    assert r.status == 404, r.describe()
    assert r.header("x-error-code") == "EntryNotFound", r.describe()


def test_private_repo_errors_match_missing(stoa, api_alice):
    repo_id = f"alice/{unique_name('hdrpriv')}"
    api_alice.create_repo(repo_id, private=True)
    for method in ("GET", "HEAD"):
        anon = curl(method, _resolve(stoa, repo_id, ".gitattributes"))
        assert anon.status == 401 and anon.header("x-error-code") == "RepoNotFound", anon.describe()
        bob = curl(method, _resolve(stoa, repo_id, ".gitattributes"), token=stoa.tokens["bob"])
        assert bob.status == 404 and bob.header("x-error-code") == "RepoNotFound", bob.describe()
    for path in ("", "/tree/main", "/revision/main"):
        anon = curl("GET", f"{stoa.url}/api/models/{repo_id}{path}")
        assert anon.status == 401 and anon.header("x-error-code") == "RepoNotFound", anon.describe()
        bob = curl("GET", f"{stoa.url}/api/models/{repo_id}{path}", token=stoa.tokens["bob"])
        assert bob.status == 404 and bob.header("x-error-code") == "RepoNotFound", bob.describe()
        # The message does not reveal that the repo exists.
        missing = curl("GET", f"{stoa.url}/api/models/alice/{unique_name('x')}{path}", token=stoa.tokens["bob"])
        assert missing.header("x-error-message") == bob.header("x-error-message")
    owner = curl("GET", _resolve(stoa, repo_id, ".gitattributes"), token=stoa.tokens["alice"])
    assert owner.status == 200, owner.describe()


def test_api_error_headers(stoa, served):
    repo_id = served["repo_id"]
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/revision/no-such-rev")
    assert r.status == 404 and r.header("x-error-code") == "RevisionNotFound", r.describe()
    assert r.header("x-error-message") == "Invalid rev id: no-such-rev", r.describe()
    assert r.json().get("error") == "Invalid rev id: no-such-rev", r.describe()
    _assert_request_id(r)

    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/tree/main/no/such/dir")
    assert r.status == 404 and r.header("x-error-code") == "EntryNotFound", r.describe()

    r = curl("GET", f"{stoa.url}/api/models/{unique_name('single')}")
    assert r.status == 401 and r.header("x-error-code") == "RepoNotFound", r.describe()

    r = curl("GET", f"{stoa.url}/api/models/{repo_id}", token="hf_" + "Q" * 34)
    assert r.status == 401, r.describe()
    assert r.header("x-error-message") == "Invalid credentials in Authorization header", r.describe()
    _assert_request_id(r)

    r = curl("GET", f"{stoa.url}/api/whoami-v2")
    assert r.status == 401, r.describe()
    _assert_request_id(r)

    # Unknown routes and methods still carry a request id.
    r = curl("GET", f"{stoa.url}/api/no-such-endpoint")
    assert 400 <= r.status < 500, r.describe()
    _assert_request_id(r)
    r = curl("PATCH", f"{stoa.url}/api/models")
    assert 400 <= r.status < 500, r.describe()
    _assert_request_id(r)


def test_request_id_on_success_responses(stoa, served):
    for r in (
        curl("GET", f"{stoa.url}/api/models"),
        curl("GET", f"{stoa.url}/api/models/{served['repo_id']}"),
        curl("GET", f"{stoa.url}/api/models/{served['repo_id']}/tree/main"),
        curl("GET", f"{stoa.url}/api/whoami-v2", token=stoa.tokens["alice"]),
        curl("HEAD", _resolve(stoa, served["repo_id"], "data/rows.txt")),
    ):
        assert r.status == 200, r.describe()
        _assert_request_id(r)
    # Distinct per request.
    a = curl("GET", f"{stoa.url}/api/models").header("x-request-id")
    b = curl("GET", f"{stoa.url}/api/models").header("x-request-id")
    assert a != b


def test_encoded_paths(stoa, api_alice):
    """File paths in /resolve are percent-encoded per segment; tree paths arrive with %2F."""
    repo_id = f"alice/{unique_name('enc')}"
    api_alice.create_repo(repo_id)
    weird = "sub dir/to?/awful?name%you:should,never.give"
    commit = api_alice.upload_file(path_or_fileobj=b"weird", path_in_repo=weird, repo_id=repo_id)
    r = curl("GET", _resolve(stoa, repo_id, weird))
    assert r.status == 200 and r.body == b"weird", r.describe()
    assert r.header("x-repo-commit") == commit.oid
    r = curl("GET", _resolve(stoa, repo_id, weird, rev=commit.oid))
    assert r.status == 200 and r.body == b"weird", r.describe()
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/tree/main/sub%20dir%2Fto%3F")
    assert r.status == 200, r.describe()
    assert [e["path"] for e in r.json()] == [weird]
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/tree/main/sub%20dir?recursive=true&expand=false")
    assert r.status == 200, r.describe()
    assert {e["path"] for e in r.json()} == {"sub dir/to?", weird}
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/tree/main?recursive=false&expand=false")
    assert {e["path"] for e in r.json()} == {".gitattributes", "sub dir"}, r.describe()


# ---------------------------------------------------------------------------------------------
# Malformed input: refused with an error header, repo unchanged
# ---------------------------------------------------------------------------------------------


def _commit(stoa, repo_id, body: bytes, token=None):
    return curl(
        "POST",
        f"{stoa.url}/api/models/{repo_id}/commit/main",
        token=token or stoa.tokens["alice"],
        headers={"Content-Type": "application/x-ndjson"},
        data=body,
    )


def _assert_refused(r, statuses=range(400, 500)):
    assert r.status in statuses, r.describe()
    assert r.header("x-error-code") or r.header("x-error-message"), (
        f"4xx without X-Error-Code / X-Error-Message:\n{r.describe()}"
    )
    _assert_request_id(r)


HEADER = {"key": "header", "value": {"summary": "bad input"}}


VICTIM_INITIAL: dict[str, str] = {}


@pytest.fixture
def victim(api_alice, stoa):
    repo_id = f"alice/{unique_name('victim')}"
    api_alice.create_repo(repo_id)
    VICTIM_INITIAL[repo_id] = _head_sha(stoa, repo_id)
    api_alice.upload_file(path_or_fileobj=b"original", path_in_repo="keep.txt", repo_id=repo_id)
    head = _head_sha(stoa, repo_id)
    files = sorted(api_alice.list_repo_files(repo_id))
    yield repo_id
    assert _head_sha(stoa, repo_id) == head, "a refused request changed the repo head"
    assert sorted(api_alice.list_repo_files(repo_id)) == files


def test_valid_raw_commit_works(stoa, api_alice):
    """Control for the refusals below: the same shape with valid input is accepted."""
    repo_id = f"alice/{unique_name('rawok')}"
    api_alice.create_repo(repo_id)
    r = _commit(stoa, repo_id, ndjson(
        {"key": "header", "value": {"summary": "raw commit", "description": ""}},
        {"key": "file", "value": {"path": "a/b.txt", "content": base64.b64encode(b"raw").decode(), "encoding": "base64"}},
    ))
    assert r.status == 200, r.describe()
    body = r.json()
    assert body["success"] is True
    assert HEX40.match(body["commitOid"])
    assert body["commitUrl"] == f"{stoa.url}/{repo_id}/commit/{body['commitOid']}"
    assert _head_sha(stoa, repo_id) == body["commitOid"]
    r = curl("GET", _resolve(stoa, repo_id, "a/b.txt"))
    assert r.body == b"raw"


def test_raw_noop_commit_is_success(stoa, api_alice):
    """A commit that changes nothing (e.g. a retried upload_folder commit) succeeds."""
    repo_id = f"alice/{unique_name('rawnoop')}"
    api_alice.create_repo(repo_id)
    body = ndjson(HEADER, {"key": "file", "value": {"path": "same.txt", "content": "eA==", "encoding": "base64"}})
    first = _commit(stoa, repo_id, body)
    assert first.status == 200, first.describe()
    again = _commit(stoa, repo_id, body)
    assert again.status == 200, again.describe()
    assert again.json()["success"] is True
    assert HEX40.match(again.json()["commitOid"])
    assert _head_sha(stoa, repo_id) == again.json()["commitOid"]
    r = curl("GET", _resolve(stoa, repo_id, "same.txt"))
    assert r.body == b"x"


def test_malformed_ndjson(stoa, victim):
    _assert_refused(_commit(stoa, victim, b"this is not json\n"), statuses=(400, 422))
    _assert_refused(_commit(stoa, victim, b'{"key": "header", "value": {"summary": "x"}}\n{"key": "file", "val'),
                    statuses=(400, 422))
    # no header line
    _assert_refused(_commit(stoa, victim, ndjson(
        {"key": "file", "value": {"path": "x.txt", "content": "eA==", "encoding": "base64"}})), statuses=(400, 422))
    # unknown key
    _assert_refused(_commit(stoa, victim, ndjson(HEADER, {"key": "bogus", "value": {"path": "x"}})),
                    statuses=(400, 422))


def test_bad_base64(stoa, victim):
    _assert_refused(_commit(stoa, victim, ndjson(
        HEADER, {"key": "file", "value": {"path": "x.txt", "content": "!!!not base64***", "encoding": "base64"}}
    )), statuses=(400, 422))


def test_lfs_file_never_uploaded(stoa, victim):
    oid = sha256_bytes(os.urandom(64))
    r = _commit(stoa, victim, ndjson(
        HEADER, {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": 64}}
    ))
    _assert_refused(r)


@pytest.mark.parametrize("path", ["../x", "a/../../x", "a/../b", ".git/config", "sub/.git/config", ".."])
def test_path_traversal_refused(stoa, victim, path):
    r = _commit(stoa, victim, ndjson(
        HEADER, {"key": "file", "value": {"path": path, "content": "eA==", "encoding": "base64"}}
    ))
    _assert_refused(r)


@pytest.mark.parametrize("path", ["../keep.txt", ".git/HEAD"])
def test_delete_traversal_refused(stoa, victim, path):
    _assert_refused(_commit(stoa, victim, ndjson(HEADER, {"key": "deletedFile", "value": {"path": path}})))


def test_delete_missing_file_raw(stoa, victim):
    r = _commit(stoa, victim, ndjson(HEADER, {"key": "deletedFile", "value": {"path": "nope.txt"}}))
    assert r.status == 404, r.describe()
    assert r.header("x-error-code") == "EntryNotFound", r.describe()


def test_parent_commit_mismatch_raw(stoa, victim, api_alice):
    first = VICTIM_INITIAL[victim]  # the creation commit, no longer the head
    r = _commit(stoa, victim, ndjson(
        {"key": "header", "value": {"summary": "stale", "parentCommit": first}},
        {"key": "file", "value": {"path": "x.txt", "content": "eA==", "encoding": "base64"}},
    ))
    assert r.status == 412, r.describe()
    assert r.header("x-error-message") == (
        "The branch was updated since you opened this page. Please refresh and try again."
    ), r.describe()


def test_commit_to_unknown_branch(stoa, victim):
    r = curl(
        "POST",
        f"{stoa.url}/api/models/{victim}/commit/no-such-branch",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/x-ndjson"},
        data=ndjson(HEADER, {"key": "file", "value": {"path": "x.txt", "content": "eA==", "encoding": "base64"}}),
    )
    assert r.status == 404 and r.header("x-error-code") == "RevisionNotFound", r.describe()


def test_commit_by_other_user_raw(stoa, victim):
    r = _commit(stoa, victim, ndjson(
        HEADER, {"key": "file", "value": {"path": "x.txt", "content": "eA==", "encoding": "base64"}}
    ), token=stoa.tokens["bob"])
    assert r.status == 403, r.describe()
    assert r.header("x-error-message"), r.describe()


@pytest.mark.parametrize("name", ["has space", "a..b", "bad--name", "name.git", "x" * 97, "-leading", "", "ünïcode",
                                  "semi;colon"])
def test_invalid_repo_name_on_create(stoa, name):
    r = curl(
        "POST",
        f"{stoa.url}/api/repos/create",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/json"},
        data=json.dumps({"name": name, "organization": None}),
    )
    _assert_refused(r, statuses=(400, 422))
    listed = curl("GET", f"{stoa.url}/api/models?author=alice&limit=1000", token=stoa.tokens["alice"])
    assert name not in {m["id"].split("/", 1)[1] for m in listed.json()}


def test_create_repo_malformed_json(stoa):
    r = curl(
        "POST",
        f"{stoa.url}/api/repos/create",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/json"},
        data="{not json",
    )
    _assert_refused(r, statuses=(400, 422))


def test_validate_yaml_always_json(stoa):
    ok = curl("POST", f"{stoa.url}/api/validate-yaml", headers={"Content-Type": "application/json"},
              data=json.dumps({"content": "---\nlicense: mit\n---\n# x\n", "repoType": "model"}))
    assert ok.status == 200, ok.describe()
    assert isinstance(ok.json(), dict)
    assert not ok.json().get("errors")
    warn = curl("POST", f"{stoa.url}/api/validate-yaml", headers={"Content-Type": "application/json"},
                data=json.dumps({"content": "# no metadata\n", "repoType": "model"}))
    assert warn.status == 200, warn.describe()
    assert warn.json().get("warnings"), warn.describe()
    bad = curl("POST", f"{stoa.url}/api/validate-yaml", headers={"Content-Type": "application/json"},
               data=json.dumps({"content": "---\nlicense: nope-nope\n---\n", "repoType": "model"}))
    assert bad.status == 400, bad.describe()
    errors = bad.json().get("errors")
    assert errors and all(isinstance(e.get("message"), str) for e in errors), bad.describe()
    assert any("license" in e["message"] for e in errors), bad.describe()
