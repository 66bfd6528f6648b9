"""Classic LFS upload path (HF_HUB_DISABLE_XET=1): preupload says `lfs` -> LFS batch -> signed PUT
(single or multipart) -> verify -> commit with `lfsFile` lines. Plus isolation of LFS objects
between repos.

Run with: HF_HUB_DISABLE_XET=1 pytest -m lfs  (tests/compat/run.sh does this): preupload answers
`lfs` by .gitattributes, and with Xet disabled the client takes the classic LFS path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compat_helpers import HEX40, curl, fetch, ndjson, sha256_bytes, sha256_file, unique_name, write_random_file

pytestmark = pytest.mark.lfs

LFS_CT = "application/vnd.git-lfs+json"


@pytest.fixture
def spy(monkeypatch, lfs_mode):
    """Records what the client actually did: LFS batch answers, LFS uploads, commit lines."""
    import huggingface_hub._commit_api as commit_api

    seen = {"batch": [], "uploads": [], "commit_lines": []}
    real_batch = commit_api.post_lfs_batch_info
    real_upload = commit_api.lfs_upload
    real_payload = commit_api._prepare_commit_payload

    def batch(*args, **kwargs):
        result = real_batch(*args, **kwargs)
        seen["batch"].append(result)
        return result

    def upload(*args, **kwargs):
        seen["uploads"].append(kwargs.get("lfs_batch_action") or args[1])
        return real_upload(*args, **kwargs)

    def payload(*args, **kwargs):
        for line in real_payload(*args, **kwargs):
            seen["commit_lines"].append(line)
            yield line

    monkeypatch.setattr(commit_api, "post_lfs_batch_info", batch)
    monkeypatch.setattr(commit_api, "lfs_upload", upload)
    monkeypatch.setattr(commit_api, "_prepare_commit_payload", payload)
    return seen


def _batch(stoa, repo_id, operation, objects, token, ref="main", prefix=""):
    body = {"operation": operation, "transfers": ["basic"], "objects": objects, "hash_algo": "sha256"}
    if ref:
        body["ref"] = {"name": ref}
    return curl(
        "POST",
        f"{stoa.url}/{prefix}{repo_id}.git/info/lfs/objects/batch",
        token=token,
        headers={"Accept": LFS_CT, "Content-Type": LFS_CT},
        data=json.dumps(body),
    )


def _head_sha(api, repo_id):
    return api.model_info(repo_id).sha


def test_lfs_mode_is_active(lfs_mode, hf):
    from huggingface_hub.utils._runtime import is_xet_available

    assert is_xet_available() is False


def test_classic_lfs_upload_bin_and_safetensors(api_alice, api_anon, new_repo, tmp_path, spy, stoa):
    repo_id = new_repo("lfs")
    src = tmp_path / "src"
    bin_size = 50 * 1024 * 1024 + 3
    st_size = 3 * 1024 * 1024 + 1
    digests = {
        "pytorch_model.bin": write_random_file(src / "pytorch_model.bin", bin_size),
        "weights/model.safetensors": write_random_file(src / "weights" / "model.safetensors", st_size),
    }
    (src / "config.json").write_bytes(b'{"model_type": "bert"}')

    commit = api_alice.upload_folder(folder_path=src, repo_id=repo_id, commit_message="lfs upload")
    assert HEX40.match(commit.oid)

    # The client really took the classic LFS path.
    batch_oids = {a["oid"] for actions, errors, _ in spy["batch"] for a in actions}
    assert set(digests.values()) <= batch_oids, f"LFS batch was not asked for both files: {spy['batch']}"
    assert all(not errors for _, errors, _ in spy["batch"]), spy["batch"]
    uploaded = {a["oid"] for a in spy["uploads"] if a.get("actions")}
    assert set(digests.values()) <= uploaded, "new objects must get an upload action"
    lfs_lines = {line["value"]["path"]: line["value"] for line in spy["commit_lines"] if line["key"] == "lfsFile"}
    assert set(lfs_lines) == set(digests), spy["commit_lines"]
    for path, digest in digests.items():
        assert lfs_lines[path]["oid"] == digest
    file_lines = {line["value"]["path"] for line in spy["commit_lines"] if line["key"] == "file"}
    assert file_lines == {"config.json"}

    info = api_alice.model_info(repo_id, files_metadata=True)
    assert info.sha == commit.oid
    siblings = {s.rfilename: s for s in info.siblings}
    for path, digest in digests.items():
        s = siblings[path]
        assert s.lfs is not None, f"{path} must be exposed as LFS"
        assert s.lfs.sha256 == digest
        assert s.lfs.size == (bin_size if path.endswith(".bin") else st_size)
        assert s.size == s.lfs.size
    assert siblings["config.json"].lfs is None

    tree = {e.path: e for e in api_alice.list_repo_tree(repo_id, recursive=True)}
    assert tree["pytorch_model.bin"].lfs.sha256 == digests["pytorch_model.bin"]
    assert tree["pytorch_model.bin"].size == bin_size

    for path, digest in digests.items():
        local = api_anon.hf_hub_download(repo_id, path)
        assert sha256_file(local) == digest

    out = Path(api_anon.snapshot_download(repo_id, local_dir=tmp_path / "out"))
    for path, digest in digests.items():
        assert sha256_file(out / path) == digest

    # resolve headers and Range on the big LFS file
    url = f"{stoa.url}/{repo_id}/resolve/main/pytorch_model.bin"
    head = curl("HEAD", url)
    assert head.header("x-linked-etag").strip('"') == digests["pytorch_model.bin"], head.describe()
    assert head.header("x-linked-size") == str(bin_size), head.describe()
    rng = fetch(url, headers={"Range": "bytes=40000000-40000099"})
    assert rng.status == 206, rng.describe()
    assert rng.header("content-range") == f"bytes 40000000-40000099/{bin_size}"
    with open(src / "pytorch_model.bin", "rb") as f:
        f.seek(40_000_000)
        assert rng.body == f.read(100)


def test_lfs_reupload_is_noop(api_alice, new_repo, tmp_path, spy):
    repo_id = new_repo("lfsnoop")
    path = tmp_path / "w.safetensors"
    write_random_file(path, 2 * 1024 * 1024)
    c1 = api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="w.safetensors", repo_id=repo_id)
    c2 = api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="w.safetensors", repo_id=repo_id)
    assert c2.oid == c1.oid
    assert _head_sha(api_alice, repo_id) == c1.oid


def test_lfs_same_object_in_two_own_repos(api_alice, new_repo, tmp_path, spy, api_anon):
    """The same content uploaded to a second repo of the same user commits fine (dedup or re-upload)."""
    path = tmp_path / "shared.bin"
    digest = write_random_file(path, 2 * 1024 * 1024 + 5)
    r1, r2 = new_repo("lfsa"), new_repo("lfsb")
    api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="shared.bin", repo_id=r1)
    api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="copy/shared.bin", repo_id=r2)
    assert sha256_file(api_anon.hf_hub_download(r2, "copy/shared.bin")) == digest
    s = {s.rfilename: s for s in api_alice.model_info(r2, files_metadata=True).siblings}["copy/shared.bin"]
    assert s.lfs is not None and s.lfs.sha256 == digest


def test_lfs_upload_to_dataset(api_alice, api_anon, repo_name, tmp_path, spy):
    repo_id = f"alice/{repo_name('lfsds')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    path = tmp_path / "train.parquet"
    digest = write_random_file(path, 2 * 1024 * 1024)
    api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="data/train.parquet", repo_id=repo_id,
                          repo_type="dataset")
    assert spy["uploads"], "expected an LFS upload"
    info = api_alice.dataset_info(repo_id, files_metadata=True)
    s = {s.rfilename: s for s in info.siblings}["data/train.parquet"]
    assert s.lfs is not None and s.lfs.sha256 == digest
    assert sha256_file(api_anon.hf_hub_download(repo_id, "data/train.parquet", repo_type="dataset")) == digest


def test_git_lfs_batch_download_own_repo(api_alice, new_repo, tmp_path, stoa, spy):
    """git-lfs style download: batch `download` -> href that serves the bytes."""
    repo_id = new_repo("lfsdl")
    path = tmp_path / "m.bin"
    digest = write_random_file(path, 2 * 1024 * 1024 + 1)
    size = path.stat().st_size
    api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="m.bin", repo_id=repo_id)

    r = _batch(stoa, repo_id, "download", [{"oid": digest, "size": size}], token=stoa.tokens["alice"],
               ref="refs/heads/main")
    assert r.status == 200, r.describe()
    obj = r.json()["objects"][0]
    assert obj["oid"] == digest and obj["size"] == size
    action = obj["actions"]["download"]
    headers = action.get("header") or {}
    got = curl("GET", action["href"], headers=headers)
    assert got.status == 200, got.describe()
    assert sha256_bytes(got.body) == digest


def test_lfs_object_not_reachable_through_another_repo(api_alice, api_bob, repo_name, tmp_path, stoa, spy, hf):
    # alice's private LFS object
    alice_repo = f"alice/{repo_name('secret')}"
    api_alice.create_repo(alice_repo, private=True)
    path = tmp_path / "secret.bin"
    digest = write_random_file(path, 2 * 1024 * 1024 + 7)
    size = path.stat().st_size
    api_alice.upload_file(path_or_fileobj=str(path), path_in_repo="secret.bin", repo_id=alice_repo)
    assert {s.rfilename: s for s in api_alice.model_info(alice_repo, files_metadata=True).siblings}[
        "secret.bin"].lfs.sha256 == digest

    bob_repo = f"bob/{repo_name('thief')}"
    api_bob.create_repo(bob_repo)
    bob_head = _head_sha(api_bob, bob_repo)

    # 1. batch download of alice's oid through bob's repo: refused.
    r = _batch(stoa, bob_repo, "download", [{"oid": digest, "size": size}], token=stoa.tokens["bob"])
    if r.status == 200:
        obj = r.json()["objects"][0]
        assert "error" in obj and "actions" not in obj, (
            f"bob got download actions for alice's private object through his own repo:\n{r.describe()}"
        )
        assert obj["error"]["code"] in (403, 404, 410), r.describe()
    else:
        assert 400 <= r.status < 500, r.describe()

    # 2. same through alice's private repo with bob's token: repo not found.
    r = _batch(stoa, alice_repo, "download", [{"oid": digest, "size": size}], token=stoa.tokens["bob"])
    assert r.status in (401, 403, 404), r.describe()
    assert "actions" not in r.body.decode(errors="replace"), r.describe()

    # 3. bob asks to "upload" it: he must be told to send the bytes (no "already stored, skip").
    r = _batch(stoa, bob_repo, "upload", [{"oid": digest, "size": size}], token=stoa.tokens["bob"])
    assert r.status == 200, r.describe()
    obj = r.json()["objects"][0]
    assert "error" in obj or "upload" in (obj.get("actions") or {}), (
        f"the server let bob skip uploading an object he never sent (proof-of-possession hole):\n{r.describe()}"
    )

    # 4. ...and a commit referencing it without uploading is refused.
    r = curl(
        "POST",
        f"{stoa.url}/api/models/{bob_repo}/commit/main",
        token=stoa.tokens["bob"],
        headers={"Content-Type": "application/x-ndjson"},
        data=ndjson(
            {"key": "header", "value": {"summary": "steal"}},
            {"key": "lfsFile", "value": {"path": "stolen.bin", "algo": "sha256", "oid": digest, "size": size}},
        ),
    )
    assert 400 <= r.status < 500, r.describe()
    assert r.header("x-error-code") or r.header("x-error-message"), r.describe()
    assert _head_sha(api_bob, bob_repo) == bob_head
    with pytest.raises(hf.errors.EntryNotFoundError):
        api_bob.hf_hub_download(bob_repo, "stolen.bin")


def test_lfs_put_href_is_self_authorising(api_alice, new_repo, stoa, lfs_mode):
    """The PUT to the batch `href` is sent without a token: the URL must carry its own authorisation,
    and tampering with it must be refused."""
    repo_id = new_repo("lfsput")
    data = os.urandom(1_500_000)
    digest = sha256_bytes(data)
    r = _batch(stoa, repo_id, "upload", [{"oid": digest, "size": len(data)}], token=stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    assert r.header("content-type").startswith(LFS_CT), r.describe()
    obj = r.json()["objects"][0]
    upload = obj["actions"]["upload"]
    href = upload["href"]
    # With S3 storage the href is a presigned URL into a staging slot of the bucket.
    direct = bool(os.environ.get("STOA_S3_BUCKET"))
    expected_origin = os.environ["STOA_S3_ENDPOINT"] if direct else stoa.url
    assert href.startswith(expected_origin + "/"), href
    if (upload.get("header") or {}).get("chunk_size"):
        pytest.fail(f"multipart for a 1.5 MB object is unexpected here: {r.describe()}")

    def verify():
        return curl("POST", obj["actions"]["verify"]["href"], token=stoa.tokens["alice"],
                    headers={"Content-Type": LFS_CT}, data=json.dumps({"oid": digest, "size": len(data)}))

    # Wrong bytes to a valid href: refused (content-addressed). The bucket takes any bytes into
    # staging; verify checks them and refuses, and nothing is published.
    bad = curl("PUT", href, data=os.urandom(len(data)))
    if direct:
        assert bad.status == 200, bad.describe()
        refused = verify()
        assert refused.status == 400, refused.describe()
        assert refused.header("x-error-message"), refused.describe()
    else:
        assert 400 <= bad.status < 500, bad.describe()
    # Tampered href: refused.
    tampered = href[:-4] + ("aaaa" if not href.endswith("aaaa") else "bbbb")
    t = curl("PUT", tampered, data=data)
    assert t.status in (400, 401, 403, 404), t.describe()
    # The real upload works without any token.
    ok = curl("PUT", href, data=data)
    assert 200 <= ok.status < 300, ok.describe()
    if "verify" in obj["actions"]:
        vr = verify()
        assert 200 <= vr.status < 300, vr.describe()
    # Now the commit can reference it.
    c = curl(
        "POST",
        f"{stoa.url}/api/models/{repo_id}/commit/main",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/x-ndjson"},
        data=ndjson(
            {"key": "header", "value": {"summary": "manual lfs"}},
            {"key": "lfsFile", "value": {"path": "manual.bin", "algo": "sha256", "oid": digest, "size": len(data)}},
        ),
    )
    assert c.status == 200, c.describe()
    got = fetch(f"{stoa.url}/{repo_id}/resolve/main/manual.bin")
    assert got.status == 200 and sha256_bytes(got.body) == digest, got.describe()
