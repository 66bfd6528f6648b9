"""Uploads (upload_file, upload_folder, create_commit), downloads (hf_hub_download, snapshot_download,
HfFileSystem), README validation and download counting.

These run in the default environment (Xet available): the server answers `regular` in preupload, so
content travels inline (base64) in the ndjson commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import warnings
from pathlib import Path

import pytest

from compat_helpers import (
    HEX40,
    curl,
    git_blob_sha1,
    s3_bytes_under,
    sha256_bytes,
    sha256_file,
    wait_until,
    write_random_file,
)


def _files_under(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".cache/"):
            out[rel] = p.read_bytes()
    return out


# ---------------------------------------------------------------------------------------------
# upload_file / hf_hub_download
# ---------------------------------------------------------------------------------------------


def test_upload_file_and_download(api_alice, api_anon, new_repo, stoa):
    repo_id = new_repo("upload")
    content = b"hello stoa\n" * 100
    commit = api_alice.upload_file(
        path_or_fileobj=content, path_in_repo="dir/hello.txt", repo_id=repo_id, commit_message="add hello"
    )
    assert HEX40.match(commit.oid), commit.oid
    assert commit.commit_url == f"{stoa.url}/{repo_id}/commit/{commit.oid}"
    assert commit.commit_message == "add hello"
    assert commit.repo_url.repo_id == repo_id

    info = api_alice.model_info(repo_id)
    assert info.sha == commit.oid

    path = Path(api_anon.hf_hub_download(repo_id, "dir/hello.txt"))
    assert path.read_bytes() == content
    # Cached under snapshots/<commit>/<path>
    assert path.parent.parent.name == commit.oid
    assert path.parent.name == "dir"


def test_upload_file_from_disk_with_odd_names(api_alice, new_repo, tmp_path):
    repo_id = new_repo("oddnames")
    weird = "sub folder/to?/awful?filename%you:should,never.give"
    src = tmp_path / "f.txt"
    src.write_bytes(b"weird")
    api_alice.upload_file(path_or_fileobj=str(src), path_in_repo=weird, repo_id=repo_id)
    api_alice.upload_file(path_or_fileobj=b"unicode", path_in_repo="données/été.txt", repo_id=repo_id)
    files = api_alice.list_repo_files(repo_id)
    assert weird in files
    assert "données/été.txt" in files
    assert Path(api_alice.hf_hub_download(repo_id, weird)).read_bytes() == b"weird"
    assert Path(api_alice.hf_hub_download(repo_id, "données/été.txt")).read_bytes() == b"unicode"


def test_upload_file_to_dataset(api_alice, api_anon, repo_name):
    repo_id = f"alice/{repo_name('dsup')}"
    api_alice.create_repo(repo_id, repo_type="dataset")
    csv = b"a,b\n1,2\n3,4\n"
    commit = api_alice.upload_file(path_or_fileobj=csv, path_in_repo="data/train.csv", repo_id=repo_id, repo_type="dataset")
    assert commit.commit_url.startswith(f"{api_alice.endpoint}/datasets/{repo_id}/commit/")
    path = api_anon.hf_hub_download(repo_id, "data/train.csv", repo_type="dataset")
    assert Path(path).read_bytes() == csv
    assert api_alice.dataset_info(repo_id).sha == commit.oid


def test_upload_folder_small(api_alice, api_anon, new_repo, tmp_path):
    repo_id = new_repo("folder")
    src = tmp_path / "src"
    expected = {
        "config.json": json.dumps({"hidden_size": 8}).encode(),
        "README.md": b"---\nlicense: mit\n---\n# model\n",
        "nested/a.txt": b"a" * 10,
        "nested/deeper/b.txt": b"b" * 20,
        "model.safetensors": os.urandom(300_000),
        "pytorch_model.bin": os.urandom(200_000),
        "empty.txt": b"",
    }
    for rel, data in expected.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    # Not uploaded: ignore_patterns
    (src / "skip.log").write_bytes(b"nope")

    commit = api_alice.upload_folder(folder_path=src, repo_id=repo_id, ignore_patterns=["*.log"])
    assert HEX40.match(commit.oid)

    files = set(api_alice.list_repo_files(repo_id))
    assert files == set(expected) | {".gitattributes"}

    out = Path(api_anon.snapshot_download(repo_id, local_dir=tmp_path / "out"))
    got = _files_under(out)
    got.pop(".gitattributes")
    assert got == expected


def test_upload_folder_path_in_repo(api_alice, new_repo, tmp_path):
    repo_id = new_repo("folderpath")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "1.txt").write_bytes(b"1")
    (tmp_path / "x" / "2" ).mkdir()
    (tmp_path / "x" / "2" / "3.txt").write_bytes(b"3")
    api_alice.upload_folder(folder_path=tmp_path / "x", path_in_repo="under/here", repo_id=repo_id)
    assert set(api_alice.list_repo_files(repo_id)) == {".gitattributes", "under/here/1.txt", "under/here/2/3.txt"}


@pytest.mark.slow
def test_upload_folder_200mb(api_alice, api_anon, new_repo, tmp_path, stoa):
    """Two ~95 MiB random .bin files in one upload_folder: through Xet by default, classic LFS otherwise."""
    repo_id = new_repo("big")
    src = tmp_path / "big"
    size = 95 * 1024 * 1024
    digests = {
        "shards/part-1.bin": write_random_file(src / "shards" / "part-1.bin", size),
        "shards/part-2.bin": write_random_file(src / "shards" / "part-2.bin", size),
    }
    t0 = time.monotonic()
    commit = api_alice.upload_folder(folder_path=src, repo_id=repo_id, commit_message="200MB")
    upload_s = time.monotonic() - t0
    assert HEX40.match(commit.oid)

    info = api_alice.model_info(repo_id, files_metadata=True)
    by_name = {s.rfilename: s for s in info.siblings}
    for rel, digest in digests.items():
        assert by_name[rel].size == size
        # .bin is routed to LFS by the default .gitattributes: stored as an LFS object.
        assert by_name[rel].lfs is not None, f"{rel} should be exposed as an LFS file"
        assert by_name[rel].lfs.sha256 == digest
        assert by_name[rel].lfs.size == size

    t0 = time.monotonic()
    out = Path(api_anon.snapshot_download(repo_id, local_dir=tmp_path / "out"))
    download_s = time.monotonic() - t0
    for rel, digest in digests.items():
        assert (out / rel).stat().st_size == size
        assert sha256_file(out / rel) == digest
    print(f"200 MB: upload {upload_s:.1f}s, download {download_s:.1f}s")


# ---------------------------------------------------------------------------------------------
# create_commit
# ---------------------------------------------------------------------------------------------


def test_create_commit_add_and_delete(api_alice, new_repo, hf):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    repo_id = new_repo("ops")
    c1 = api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("a.txt", b"a"),
            CommitOperationAdd("keep.txt", b"keep"),
            CommitOperationAdd("folder/b.txt", b"b"),
            CommitOperationAdd("folder/sub/c.txt", b"c"),
            CommitOperationAdd("other/d.txt", b"d"),
            CommitOperationAdd("other/e.txt", b"e"),
        ],
        commit_message="add files",
        commit_description="a longer description",
    )
    assert HEX40.match(c1.oid)
    assert set(api_alice.list_repo_files(repo_id)) == {
        ".gitattributes", "a.txt", "keep.txt", "folder/b.txt", "folder/sub/c.txt", "other/d.txt", "other/e.txt"
    }

    c2 = api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationDelete("a.txt"),  # a file
            CommitOperationDelete("folder/"),  # a folder (deletedFolder)
            CommitOperationAdd("keep.txt", b"changed"),  # update in the same commit
        ],
        commit_message="delete some",
    )
    assert c2.oid != c1.oid
    assert set(api_alice.list_repo_files(repo_id)) == {".gitattributes", "keep.txt", "other/d.txt", "other/e.txt"}
    assert Path(api_alice.hf_hub_download(repo_id, "keep.txt")).read_bytes() == b"changed"

    # deletedFile on a folder path deletes the folder (huggingface_hub tests rely on this).
    api_alice.create_commit(
        repo_id, operations=[CommitOperationDelete("other", is_folder=False)], commit_message="delete folder as file"
    )
    assert set(api_alice.list_repo_files(repo_id)) == {".gitattributes", "keep.txt"}

    # delete_file / delete_folder helpers
    api_alice.upload_file(path_or_fileobj=b"z", path_in_repo="zz/z.txt", repo_id=repo_id)
    api_alice.delete_folder("zz", repo_id=repo_id)
    api_alice.delete_file("keep.txt", repo_id=repo_id)
    assert api_alice.list_repo_files(repo_id) == [".gitattributes"]

    # Older revisions are still readable.
    assert Path(api_alice.hf_hub_download(repo_id, "a.txt", revision=c1.oid)).read_bytes() == b"a"


def test_delete_missing_file_is_entry_not_found(api_alice, new_repo, hf):
    from huggingface_hub import CommitOperationDelete

    repo_id = new_repo("delmissing")
    head = api_alice.model_info(repo_id).sha
    with pytest.raises(hf.errors.EntryNotFoundError):
        api_alice.create_commit(repo_id, operations=[CommitOperationDelete("nope.txt")], commit_message="x")
    assert api_alice.model_info(repo_id).sha == head


def test_parent_commit_mismatch_is_412(api_alice, new_repo, hf):
    from huggingface_hub import CommitOperationAdd

    repo_id = new_repo("parent")
    c0 = api_alice.model_info(repo_id).sha
    c1 = api_alice.create_commit(
        repo_id, operations=[CommitOperationAdd("a.txt", b"1")], commit_message="1", parent_commit=c0
    )
    with pytest.raises(hf.errors.HfHubHTTPError) as exc:
        api_alice.create_commit(
            repo_id, operations=[CommitOperationAdd("a.txt", b"2")], commit_message="stale", parent_commit=c0
        )
    assert exc.value.response.status_code == 412
    assert api_alice.model_info(repo_id).sha == c1.oid

    # The right parent (also as a short id) is accepted.
    c2 = api_alice.create_commit(
        repo_id, operations=[CommitOperationAdd("a.txt", b"2")], commit_message="2", parent_commit=c1.oid
    )
    c3 = api_alice.create_commit(
        repo_id, operations=[CommitOperationAdd("a.txt", b"3")], commit_message="3", parent_commit=c2.oid[:7]
    )
    assert api_alice.model_info(repo_id).sha == c3.oid


def test_noop_commit_keeps_head(api_alice, new_repo):
    repo_id = new_repo("noop")
    data = b"same content"
    c1 = api_alice.upload_file(path_or_fileobj=data, path_in_repo="same.txt", repo_id=repo_id)
    c2 = api_alice.upload_file(path_or_fileobj=data, path_in_repo="same.txt", repo_id=repo_id)
    assert c2.oid == c1.oid, "re-uploading identical content must not create a commit (preupload `oid`)"
    assert api_alice.model_info(repo_id).sha == c1.oid


def test_noop_commit_lfs_file(api_alice, new_repo):
    repo_id = new_repo("nooplfs")
    data = os.urandom(50_000)
    c1 = api_alice.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id=repo_id)
    c2 = api_alice.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id=repo_id)
    assert c2.oid == c1.oid
    assert api_alice.model_info(repo_id).sha == c1.oid


# ---------------------------------------------------------------------------------------------
# Downloads by revision, snapshot_download
# ---------------------------------------------------------------------------------------------


def test_hf_hub_download_revisions(api_alice, api_anon, new_repo):
    repo_id = new_repo("revs")
    c1 = api_alice.upload_file(path_or_fileobj=b"version 1", path_in_repo="f.txt", repo_id=repo_id)
    c2 = api_alice.upload_file(path_or_fileobj=b"version 2", path_in_repo="f.txt", repo_id=repo_id)
    assert c1.oid != c2.oid

    assert Path(api_anon.hf_hub_download(repo_id, "f.txt")).read_bytes() == b"version 2"
    assert Path(api_anon.hf_hub_download(repo_id, "f.txt", revision="main")).read_bytes() == b"version 2"
    p1 = Path(api_anon.hf_hub_download(repo_id, "f.txt", revision=c1.oid))
    assert p1.read_bytes() == b"version 1"
    assert p1.parent.name == c1.oid
    p_short = Path(api_anon.hf_hub_download(repo_id, "f.txt", revision=c1.oid[:7]))
    assert p_short.read_bytes() == b"version 1"
    assert p_short.parent.name == c1.oid  # X-Repo-Commit resolved the short id to the full one
    assert Path(api_anon.hf_hub_download(repo_id, "f.txt", revision=c2.oid)).read_bytes() == b"version 2"

    # model_info at a revision
    assert api_anon.model_info(repo_id, revision=c1.oid).sha == c1.oid
    assert api_anon.model_info(repo_id, revision=c1.oid[:8]).sha == c1.oid


def test_snapshot_download_patterns_and_revision(api_alice, api_anon, new_repo, tmp_path):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    repo_id = new_repo("snap")
    c1 = api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("config.json", b'{"v": 1}'),
            CommitOperationAdd("tokenizer.json", b'{"t": 1}'),
            CommitOperationAdd("weights/model.safetensors", os.urandom(20_000)),
            CommitOperationAdd("notes.txt", b"notes v1"),
        ],
        commit_message="v1",
    )
    c2 = api_alice.create_commit(
        repo_id,
        operations=[CommitOperationAdd("config.json", b'{"v": 2}'), CommitOperationDelete("notes.txt")],
        commit_message="v2",
    )

    only_json = Path(api_anon.snapshot_download(repo_id, allow_patterns=["*.json"]))
    assert only_json.name == c2.oid
    assert set(_files_under(only_json)) == {"config.json", "tokenizer.json"}
    assert (only_json / "config.json").read_bytes() == b'{"v": 2}'

    weights = Path(api_anon.snapshot_download(repo_id, allow_patterns="weights/*", local_dir=tmp_path / "w"))
    assert set(_files_under(weights)) == {"weights/model.safetensors"}

    old = Path(api_anon.snapshot_download(repo_id, revision=c1.oid))
    assert old.name == c1.oid
    files = _files_under(old)
    assert set(files) == {".gitattributes", "config.json", "tokenizer.json", "weights/model.safetensors", "notes.txt"}
    assert files["config.json"] == b'{"v": 1}'
    assert files["notes.txt"] == b"notes v1"

    no_txt = Path(api_anon.snapshot_download(repo_id, ignore_patterns=["*.safetensors", ".gitattributes"],
                                             local_dir=tmp_path / "n"))
    assert set(_files_under(no_txt)) == {"config.json", "tokenizer.json"}


# ---------------------------------------------------------------------------------------------
# README validation (validate-yaml)
# ---------------------------------------------------------------------------------------------


def test_readme_without_metadata_warns(api_alice, new_repo):
    repo_id = new_repo("readme")
    with pytest.warns(UserWarning) as record:
        commit = api_alice.upload_file(path_or_fileobj=b"# Just a title\n\nNo metadata.\n", path_in_repo="README.md",
                                       repo_id=repo_id)
    assert any("README.md" in str(w.message) for w in record), [str(w.message) for w in record]
    assert "README.md" in api_alice.list_repo_files(repo_id)
    assert api_alice.model_info(repo_id).sha == commit.oid


def test_readme_with_valid_metadata_no_warning(api_alice, new_repo):
    repo_id = new_repo("readmeok")
    readme = b"---\nlicense: apache-2.0\ntags:\n- test\n---\n# Model\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        api_alice.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=repo_id)
    info = api_alice.model_info(repo_id)
    assert info.card_data is not None
    assert info.card_data.get("license") == "apache-2.0"


def test_readme_invalid_license_is_rejected(api_alice, new_repo):
    repo_id = new_repo("readmebad")
    head = api_alice.model_info(repo_id).sha
    readme = b"---\nlicense: not-a-real-license-xyz\n---\n# Model\n"
    with pytest.raises(ValueError, match="Invalid metadata in README.md"):
        api_alice.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=repo_id)
    assert api_alice.model_info(repo_id).sha == head
    assert "README.md" not in api_alice.list_repo_files(repo_id)


# ---------------------------------------------------------------------------------------------
# Download counting
# ---------------------------------------------------------------------------------------------


def test_download_counting(api_alice, api_anon, new_repo):
    from huggingface_hub import CommitOperationAdd

    repo_id = new_repo("counted")
    api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("config.json", b'{"model_type": "bert"}'),
            CommitOperationAdd("model.safetensors", os.urandom(10_000)),
        ],
        commit_message="files",
    )
    assert api_alice.model_info(repo_id).downloads == 0

    # A weights file alone is not a download.
    api_anon.hf_hub_download(repo_id, "model.safetensors")
    time.sleep(1.5)
    assert api_alice.model_info(repo_id).downloads == 0, "downloading model.safetensors must not count"

    # config.json (a query file) counts.
    api_anon.hf_hub_download(repo_id, "config.json")
    assert wait_until(lambda: (api_alice.model_info(repo_id).downloads or 0) >= 1, timeout=10), (
        "downloading config.json did not increment `downloads`"
    )
    after_config = api_alice.model_info(repo_id).downloads

    api_anon.hf_hub_download(repo_id, "model.safetensors", force_download=True)
    time.sleep(1.5)
    assert api_alice.model_info(repo_id).downloads == after_config

    # Also visible in listings.
    listed = [m for m in api_anon.list_models(author="alice", search=repo_id.split("/")[1], expand=["downloads"])]
    assert [m.id for m in listed] == [repo_id]
    assert listed[0].downloads == after_config


# ---------------------------------------------------------------------------------------------
# HfFileSystem
# ---------------------------------------------------------------------------------------------


def test_hffilesystem_ls_info_and_ranged_reads(api_alice, new_repo, stoa, hf, tmp_path):
    from huggingface_hub import CommitOperationAdd

    repo_id = new_repo("fs")
    big = os.urandom(12 * 1024 * 1024 + 12345)  # > 2 fsspec blocks (5 MiB)
    text = ("".join(f"line {i}\n" for i in range(5000))).encode()
    api_alice.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("data/big.bin", big),
            CommitOperationAdd("data/text.txt", text),
            CommitOperationAdd("top.json", b"{}"),
        ],
        commit_message="fs files",
    )
    fs = hf.HfFileSystem(token=stoa.tokens["alice"], skip_instance_cache=True)

    root = {e["name"]: e for e in fs.ls(repo_id, detail=True)}
    assert set(root) == {f"{repo_id}/.gitattributes", f"{repo_id}/data", f"{repo_id}/top.json"}
    assert root[f"{repo_id}/data"]["type"] == "directory"
    assert root[f"{repo_id}/top.json"]["type"] == "file"
    assert set(fs.ls(f"{repo_id}/data", detail=False)) == {f"{repo_id}/data/big.bin", f"{repo_id}/data/text.txt"}

    fs2 = hf.HfFileSystem(token=stoa.tokens["alice"], skip_instance_cache=True)  # no cached listing: paths-info
    info = fs2.info(f"{repo_id}/data/big.bin")
    assert info["type"] == "file"
    assert info["size"] == len(big)
    assert info["lfs"] is not None and info["lfs"]["sha256"] == sha256_bytes(big)
    assert fs2.isdir(f"{repo_id}/data")
    assert fs2.isfile(f"{repo_id}/data/text.txt")
    assert not fs2.exists(f"{repo_id}/data/missing.bin")
    assert sorted(fs2.glob(f"{repo_id}/**/*.txt")) == [f"{repo_id}/data/text.txt"]

    with fs.open(f"{repo_id}/data/big.bin", "rb") as f:
        for start, length in [(0, 100), (7_000_000, 4096), (5 * 1024 * 1024 - 100, 300), (len(big) - 50, 50),
                              (123, 1), (10_000_000, 2_500_000)]:
            f.seek(start)
            assert f.read(length) == big[start:start + length], f"ranged read at {start}+{length} is wrong"
        f.seek(len(big) - 10)
        assert f.read(100) == big[-10:]  # read past EOF is clamped

    with fs.open(f"{repo_id}/data/text.txt", "rb", block_size=1024) as f:
        f.seek(1000)
        assert f.read(2000) == text[1000:3000]

    # Streaming read (block_size=0): one GET, consumed in pieces.
    with fs.open(f"{repo_id}/data/big.bin", "rb", block_size=0) as f:
        assert f.read(1000) == big[:1000]
        assert f.read() == big[1000:]

    assert fs.cat_file(f"{repo_id}/data/text.txt", start=10, end=20) == text[10:20]
    assert fs.read_bytes(f"{repo_id}/top.json") == b"{}"

    # Write through the filesystem (upload_file under the hood).
    with fs.open(f"{repo_id}/written.txt", "wb") as f:
        f.write(b"written by fsspec")
    assert Path(api_alice.hf_hub_download(repo_id, "written.txt")).read_bytes() == b"written by fsspec"


# ---------------------------------------------------------------------------------------------
# Upload-mode decision (preupload): .gitattributes, size and binary sample, for every client
# ---------------------------------------------------------------------------------------------


def test_preupload_follows_gitattributes_for_every_client(api_alice, new_repo, stoa):
    import base64

    repo_id = new_repo("preupload")
    sample = base64.b64encode(os.urandom(512)).decode()
    body = {
        "files": [
            {"path": "config.json", "size": 20, "sample": base64.b64encode(b'{"a": 1}').decode()},
            {"path": "model.safetensors", "size": 5_000_000, "sample": sample},
            {"path": "Weird Name/ü.bin", "size": 1000, "sample": sample},
            {"path": "notes.txt", "size": 11, "sample": base64.b64encode(b"hello world").decode()},
        ]
    }
    for agent in ("unknown/None; hf_hub/2.4.0; python/3.11.7", "unknown/None; hf_hub/0.30.2; python/3.11.7"):
        r = curl(
            "POST",
            f"{stoa.url}/api/models/{repo_id}/preupload/main",
            token=stoa.tokens["alice"],
            headers={"Content-Type": "application/json", "User-Agent": agent},
            data=json.dumps(body),
        )
        assert r.status == 200, r.describe()
        assert r.header("x-request-id"), r.describe()
        files = {f["path"]: f for f in r.json()["files"]}
        assert set(files) == {f["path"] for f in body["files"]}, "every path must come back verbatim"
        for f in files.values():
            assert isinstance(f["shouldIgnore"], bool), f
        assert files["config.json"]["uploadMode"] == "regular", r.describe()
        assert files["notes.txt"]["uploadMode"] == "regular", r.describe()
        assert files["model.safetensors"]["uploadMode"] == "lfs", r.describe()
        assert files["Weird Name/ü.bin"]["uploadMode"] == "lfs", r.describe()


def test_preupload_reports_existing_oids(api_alice, new_repo, stoa):
    import base64

    repo_id = new_repo("preoid")
    reg = b"regular content"
    lfs_data = os.urandom(4096)
    api_alice.upload_file(path_or_fileobj=reg, path_in_repo="r.txt", repo_id=repo_id)
    api_alice.upload_file(path_or_fileobj=lfs_data, path_in_repo="w.bin", repo_id=repo_id)
    r = curl(
        "POST",
        f"{stoa.url}/api/models/{repo_id}/preupload/main",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/json"},
        data=json.dumps({"files": [
            {"path": "r.txt", "size": len(reg), "sample": base64.b64encode(reg).decode()},
            {"path": "w.bin", "size": len(lfs_data), "sample": base64.b64encode(lfs_data[:512]).decode()},
            {"path": "new.txt", "size": 3, "sample": base64.b64encode(b"new").decode()},
        ]}),
    )
    assert r.status == 200, r.describe()
    files = {f["path"]: f for f in r.json()["files"]}
    assert files["r.txt"].get("oid") == git_blob_sha1(reg), r.describe()
    assert files["w.bin"].get("oid") == sha256_bytes(lfs_data), r.describe()
    assert files["new.txt"].get("oid") is None


# ---------------------------------------------------------------------------------------------
# Xet: tokens, upload and download through the CAS, and the plain-HTTP bridge
# ---------------------------------------------------------------------------------------------


def test_xet_tokens_carry_body_and_headers(stoa, new_repo):
    repo_id = new_repo("xettok")
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-write-token/main", token=stoa.tokens["alice"])
    assert r.status == 200, r.describe()
    body = r.json()
    assert body["casUrl"] == f"{stoa.url}/xet", r.describe()
    assert isinstance(body["exp"], int)
    assert r.header("x-xet-access-token") == body["accessToken"], r.describe()
    assert r.header("x-xet-cas-url") == body["casUrl"], r.describe()
    assert r.header("x-xet-token-expiration") == str(body["exp"]), r.describe()
    bob = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-write-token/main", token=stoa.tokens["bob"])
    assert bob.status == 403, bob.describe()
    reader = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-read-token/main", token=stoa.tokens["bob"])
    assert reader.status == 200, reader.describe()
    missing = curl("GET", f"{stoa.url}/api/models/{repo_id}/xet-write-token/nobranch", token=stoa.tokens["alice"])
    assert missing.status == 404 and missing.header("x-error-code") == "RevisionNotFound", missing.describe()


def test_xet_upload_and_download(api_alice, api_anon, new_repo, tmp_path, stoa):
    """A default 2.4.0 client uploads a 40 MB weight file through Xet; it is committed as an LFS
    pointer, downloaded back through Xet, and served to plain HTTP clients with exact ranges."""
    assert not stoa.xet_disabled, "runs in the default (Xet) run only; test_lfs.py covers classic LFS"
    repo_id = new_repo("xet")
    data = os.urandom(40_000_000)
    src = tmp_path / "weights.bin"
    src.write_bytes(data)
    api_alice.upload_file(path_or_fileobj=str(src), path_in_repo="weights.bin", repo_id=repo_id)
    info = api_alice.model_info(repo_id, files_metadata=True)
    sibling = next(s for s in info.siblings if s.rfilename == "weights.bin")
    assert sibling.lfs is not None and sibling.lfs.sha256 == sha256_bytes(data)
    head = curl("HEAD", f"{stoa.url}/{repo_id}/resolve/main/weights.bin")
    assert head.status == 200, head.describe()
    assert head.header("x-xet-hash") and len(head.header("x-xet-hash")) == 64, head.describe()
    assert 'rel="xet-auth"' in (head.header("link") or ""), head.describe()
    downloaded = Path(api_anon.hf_hub_download(repo_id, "weights.bin"))
    assert sha256_bytes(downloaded.read_bytes()) == sha256_bytes(data)
    whole = curl("GET", f"{stoa.url}/{repo_id}/resolve/main/weights.bin")
    assert whole.status == 200 and sha256_bytes(whole.body) == sha256_bytes(data), "plain GET rebuilds the file"
    part = curl("GET", f"{stoa.url}/{repo_id}/resolve/main/weights.bin", headers={"Range": "bytes=10000000-10999999"})
    assert part.status == 206, part.describe()
    assert part.body == data[10_000_000:11_000_000]
    assert part.header("content-range") == f"bytes 10000000-10999999/{len(data)}"
    entry = next(e for e in api_alice.list_repo_tree(repo_id) if e.path == "weights.bin")
    assert entry.xet_hash == head.header("x-xet-hash"), "tree entries carry xetHash for the tree-cache path"
    snapshot = Path(api_anon.snapshot_download(repo_id, allow_patterns=["weights.bin"]))
    assert sha256_bytes((snapshot / "weights.bin").read_bytes()) == sha256_bytes(data)
    # git-lfs and older clients read the same object through the batch API and a signed URL.
    batch = curl(
        "POST",
        f"{stoa.url}/{repo_id}.git/info/lfs/objects/batch",
        token=stoa.tokens["alice"],
        headers={"Content-Type": "application/vnd.git-lfs+json", "Accept": "application/vnd.git-lfs+json"},
        data=json.dumps({"operation": "download", "transfers": ["basic"],
                         "objects": [{"oid": sha256_bytes(data), "size": len(data)}]}),
    )
    assert batch.status == 200, batch.describe()
    href = batch.json()["objects"][0]["actions"]["download"]["href"]
    via_lfs = curl("GET", href)
    assert via_lfs.status == 200 and sha256_bytes(via_lfs.body) == sha256_bytes(data), via_lfs.describe()




def _stored_xorb_bytes(stoa) -> int:
    root = Path(stoa.data_dir) / "lfs" / "xorbs"
    if os.environ.get("STOA_S3_BUCKET"):
        return s3_bytes_under(f"{os.environ['STOA_S3_PREFIX']}/xet/xorbs/")
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_xet_300mb_round_trip_and_dedup(api_alice, api_anon, new_repo, tmp_path, stoa):
    """Issue #3 acceptance: upload_folder of a 300 MB random file through Xet, download through Xet
    and through plain curl (identical bytes), then change 1 MB in the middle and append 10 MB:
    the server's stored bytes must grow by less than 15 MB."""
    repo_id = new_repo("xetbig")
    src = tmp_path / "model"
    size = 300 * 1000 * 1000
    digest = write_random_file(src / "model.bin", size)
    before = _stored_xorb_bytes(stoa)
    api_alice.upload_folder(folder_path=src, repo_id=repo_id)
    first = _stored_xorb_bytes(stoa) - before
    print(f"\nfirst upload stored {first} bytes of xorbs for a {size}-byte file")
    downloaded = Path(api_anon.hf_hub_download(repo_id, "model.bin"))
    assert sha256_file(downloaded) == digest
    plain = tmp_path / "plain.bin"
    proc = subprocess.run(
        ["curl", "-sS", "-o", str(plain), "-w", "%{http_code}", f"{stoa.url}/{repo_id}/resolve/main/model.bin"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.stdout == "200", proc.stderr
    assert sha256_file(plain) == digest

    with open(src / "model.bin", "r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(1_000_000))
        f.seek(0, os.SEEK_END)
        f.write(os.urandom(10_000_000))
    changed_digest = sha256_file(src / "model.bin")
    before_second = _stored_xorb_bytes(stoa)
    api_alice.upload_folder(folder_path=src, repo_id=repo_id, commit_message="fine-tune")
    growth = _stored_xorb_bytes(stoa) - before_second
    print(f"re-upload after changing 1 MB and appending 10 MB stored {growth} more bytes")
    assert growth < 15_000_000, f"stored bytes grew by {growth}"
    again = Path(api_anon.hf_hub_download(repo_id, "model.bin", force_download=True))
    assert sha256_file(again) == changed_digest


def test_xet_gc_keeps_referenced_data_and_collects_the_rest(api_alice, api_anon, new_repo, tmp_path, stoa):
    repo_id = new_repo("xetgc")
    data = os.urandom(3_000_000)
    api_alice.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id=repo_id)
    before = _stored_xorb_bytes(stoa)
    kept = stoa.admin("xet", "gc", "--grace-hours", "0", "--grant-days", "0")
    assert "deleted 0 xorbs" in kept.stdout, kept.stdout
    assert _stored_xorb_bytes(stoa) == before
    assert Path(api_anon.hf_hub_download(repo_id, "w.bin", force_download=True)).read_bytes() == data

    api_alice.delete_repo(repo_id)
    dry = stoa.admin("xet", "gc", "--dry-run", "--grace-hours", "0", "--grant-days", "0")
    assert dry.stdout.startswith("would delete"), dry.stdout
    assert _stored_xorb_bytes(stoa) == before, "a dry run changes nothing"
    swept = stoa.admin("xet", "gc", "--grace-hours", "0", "--grant-days", "0")
    print(swept.stdout)
    assert not swept.stdout.startswith("deleted 0 xorbs"), swept.stdout
    assert _stored_xorb_bytes(stoa) < before


_FRESH_CLIENT_UPLOAD = """
import os, sys
from huggingface_hub import HfApi
HfApi(token=sys.argv[1]).upload_file(path_or_fileobj=sys.argv[2], path_in_repo="model.bin", repo_id=sys.argv[3])
"""


@pytest.mark.slow
def test_xet_global_dedup_serves_a_fresh_client(api_alice, new_repo, tmp_path, stoa):
    """A client with an empty chunk cache (another machine) re-uploads a modified 60 MB file: the
    global-dedup answer lets it skip what the server already holds."""
    import sys

    repo_id = new_repo("globaldedup")
    path = tmp_path / "model.bin"
    write_random_file(path, 60_000_000)

    def upload_from_a_fresh_client(home: str) -> None:
        env = dict(os.environ, HF_HOME=str(tmp_path / home), HF_HUB_DISABLE_TELEMETRY="1")
        env.pop("HF_HUB_CACHE", None)
        proc = subprocess.run(
            [sys.executable, "-c", _FRESH_CLIENT_UPLOAD, stoa.tokens["alice"], str(path), repo_id],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert proc.returncode == 0, proc.stderr

    upload_from_a_fresh_client("first-machine")
    before = _stored_xorb_bytes(stoa)
    with open(path, "r+b") as f:
        f.seek(30_000_000)
        f.write(os.urandom(1_000_000))
    upload_from_a_fresh_client("second-machine")
    growth = _stored_xorb_bytes(stoa) - before
    print(f"\nre-upload from a fresh client after changing 1 MB of 60 MB stored {growth} more bytes")
    assert growth < 10_000_000, f"stored bytes grew by {growth}"
