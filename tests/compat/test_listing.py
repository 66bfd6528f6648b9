"""Repo info and listings: model_info(files_metadata=True), list_models / list_datasets (search, author,
sort, limit, pagination), list_repo_tree, list_repo_files, get_paths_info."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
import urllib.parse

import pytest

from compat_helpers import HEX40, curl, git_blob_sha1, sha256_bytes, unique_name


@pytest.fixture(scope="module")
def populated(api_alice):
    """One model repo with a known layout, shared (read-only) by the tests of this module."""
    from huggingface_hub import CommitOperationAdd

    repo_id = f"alice/{unique_name('populated')}"
    api_alice.create_repo(repo_id)
    files = {
        "config.json": json.dumps({"model_type": "bert", "hidden_size": 4}).encode(),
        "README.md": b"---\nlicense: mit\n---\n# populated\n",
        "model.safetensors": os.urandom(1_000_000),
        "pytorch_model.bin": os.urandom(300_000),
        "tokenizer/vocab.txt": b"a\nb\nc\n",
        "tokenizer/special/map.json": b'{"x": 1}',
        "data/part-0.txt": b"zero",
        "data/part-1.txt": b"one",
    }
    commit = api_alice.create_commit(
        repo_id,
        operations=[CommitOperationAdd(p, d) for p, d in files.items()],
        commit_message="populate",
    )
    return {"repo_id": repo_id, "files": files, "commit": commit.oid}


def _now():
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# model_info
# ---------------------------------------------------------------------------------------------


def test_model_info_files_metadata(api_anon, populated):
    repo_id, files = populated["repo_id"], populated["files"]
    info = api_anon.model_info(repo_id, files_metadata=True)
    assert info.id == repo_id
    assert info.sha == populated["commit"]
    assert info.private is False
    assert isinstance(info.last_modified, dt.datetime)
    assert info.last_modified.tzinfo is not None
    assert abs((_now() - info.last_modified).total_seconds()) < 600
    assert isinstance(info.created_at, dt.datetime)
    assert info.created_at <= info.last_modified
    assert info.author == "alice"

    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == set(files) | {".gitattributes"}
    for name, data in files.items():
        s = siblings[name]
        assert s.size == len(data), f"{name}: size {s.size} != {len(data)}"
        if name.endswith((".bin", ".safetensors")):
            assert s.lfs is not None, f"{name} should carry lfs metadata"
            assert s.lfs.sha256 == sha256_bytes(data)
            assert s.lfs.size == len(data)
            assert isinstance(s.lfs.pointer_size, int) and 100 < s.lfs.pointer_size < 200
            assert re.fullmatch(r"[0-9a-f]{40}", s.blob_id)  # blob id of the pointer
        else:
            assert s.lfs is None, f"{name} should not be LFS"
            assert s.blob_id == git_blob_sha1(data)


def test_model_info_without_files_metadata(api_anon, populated):
    info = api_anon.model_info(populated["repo_id"])
    assert {s.rfilename for s in info.siblings} == set(populated["files"]) | {".gitattributes"}
    assert info.sha == populated["commit"]
    assert info.card_data is not None and info.card_data.get("license") == "mit"


def test_model_info_at_revision(api_alice, new_repo):
    repo_id = new_repo("inforev")
    c1 = api_alice.upload_file(path_or_fileobj=b"1", path_in_repo="one.txt", repo_id=repo_id)
    c2 = api_alice.upload_file(path_or_fileobj=b"2", path_in_repo="two.txt", repo_id=repo_id)
    old = api_alice.model_info(repo_id, revision=c1.oid, files_metadata=True)
    assert old.sha == c1.oid
    assert {s.rfilename for s in old.siblings} == {".gitattributes", "one.txt"}
    new = api_alice.model_info(repo_id, revision="main")
    assert new.sha == c2.oid
    assert {s.rfilename for s in new.siblings} == {".gitattributes", "one.txt", "two.txt"}


def test_last_modified_moves_with_commits(api_alice, new_repo):
    repo_id = new_repo("lastmod")
    before = api_alice.model_info(repo_id).last_modified
    time.sleep(1.1)
    api_alice.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    after = api_alice.model_info(repo_id).last_modified
    assert after > before


def test_dataset_info_and_space_info(api_alice, repo_name):
    ds = f"alice/{repo_name('dsinfo')}"
    api_alice.create_repo(ds, repo_type="dataset", private=True)
    api_alice.upload_file(path_or_fileobj=b"a,b\n", path_in_repo="train.csv", repo_id=ds, repo_type="dataset")
    info = api_alice.dataset_info(ds, files_metadata=True)
    assert info.private is True
    assert {s.rfilename for s in info.siblings} == {".gitattributes", "train.csv"}
    assert {s.rfilename: s.size for s in info.siblings}["train.csv"] == 4


# ---------------------------------------------------------------------------------------------
# list_models / list_datasets
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listed(api_alice, api_bob):
    """Three public alice models, one private alice model and one bob model sharing a search token.

    Created one second apart so that `createdAt` orders them unambiguously."""
    token = unique_name("lst").replace("-", "")
    ids = []
    for i in range(3):
        repo_id = f"alice/{token}-m{i}"
        api_alice.create_repo(repo_id)
        ids.append(repo_id)
        time.sleep(1.1)
    private_id = f"alice/{token}-private"
    api_alice.create_repo(private_id, private=True)
    bob_id = f"bob/{token}-bob"
    api_bob.create_repo(bob_id)
    return {"token": token, "public": ids, "private": private_id, "bob": bob_id}


def test_list_models_search_and_author(api_anon, api_alice, api_bob, listed):
    token = listed["token"]
    public = set(listed["public"])
    assert {m.id for m in api_anon.list_models(search=token)} == public | {listed["bob"]}
    # search is case-insensitive
    assert {m.id for m in api_anon.list_models(search=token.upper())} == public | {listed["bob"]}
    # private repos are listed only for who can read them
    assert {m.id for m in api_alice.list_models(search=token)} == public | {listed["bob"], listed["private"]}
    assert {m.id for m in api_bob.list_models(search=token)} == public | {listed["bob"]}
    assert {m.id for m in api_anon.list_models(search=token, author="alice")} == public
    assert {m.id for m in api_anon.list_models(search=token, author="bob")} == {listed["bob"]}
    assert list(api_anon.list_models(search=unique_name("nothing-matches"))) == []
    # author alone
    alice_all = {m.id for m in api_anon.list_models(author="alice")}
    assert public <= alice_all
    assert listed["bob"] not in alice_all
    assert listed["private"] not in alice_all


def test_list_models_sort_created_and_modified(api_alice, api_anon, listed):
    token = listed["token"]
    m0, m1, m2 = listed["public"]
    by_created = [m.id for m in api_anon.list_models(search=token, author="alice", sort="createdAt")]
    assert by_created == [m2, m1, m0]

    # Touch the oldest one: it becomes the most recently modified.
    time.sleep(1.1)
    api_alice.upload_file(path_or_fileobj=b"touch", path_in_repo="touch.txt", repo_id=m0)
    by_modified = [m.id for m in api_anon.list_models(search=token, author="alice", sort="lastModified")]
    assert by_modified[0] == m0
    assert by_modified == [m0, m2, m1]
    # sort="created_at" / "last_modified" python spellings map to the same wire values
    assert [m.id for m in api_anon.list_models(search=token, author="alice", sort="created_at")] == by_created
    assert [m.id for m in api_anon.list_models(search=token, author="alice", sort="last_modified")] == by_modified

    # Items carry the dates when expanded.
    items = list(api_anon.list_models(search=token, author="alice", expand=["createdAt", "lastModified", "private"]))
    assert all(isinstance(m.created_at, dt.datetime) for m in items)
    assert all(isinstance(m.last_modified, dt.datetime) for m in items)
    assert all(m.private is False for m in items)


def test_list_models_sort_downloads(api_alice, api_anon, listed):
    token = listed["token"]
    m1 = listed["public"][1]
    api_alice.upload_file(path_or_fileobj=b'{"model_type": "x"}', path_in_repo="config.json", repo_id=m1)
    api_anon.hf_hub_download(m1, "config.json")
    deadline = time.monotonic() + 10
    while True:
        ranked = list(api_anon.list_models(search=token, author="alice", sort="downloads", expand=["downloads"]))
        if ranked and ranked[0].id == m1 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert ranked[0].id == m1, [(m.id, m.downloads) for m in ranked]
    assert ranked[0].downloads >= 1
    assert {m.id for m in ranked} == set(listed["public"])


def test_list_models_limit(api_anon, listed):
    token = listed["token"]
    assert len(list(api_anon.list_models(search=token, limit=2))) == 2
    assert len(list(api_anon.list_models(search=token, limit=1))) == 1
    assert len(list(api_anon.list_models(search=token, limit=100))) == 4


def test_list_models_full_item_shape(api_anon, listed):
    items = list(api_anon.list_models(search=listed["token"], author="alice", full=True))
    assert len(items) == 3
    for m in items:
        assert HEX40.match(m.sha or ""), m
        assert isinstance(m.last_modified, dt.datetime)
        assert m.siblings is not None and ".gitattributes" in {s.rfilename for s in m.siblings}


def test_list_models_pagination_link_header(api_anon, stoa, listed):
    """Raw pagination: `limit` is the page size; `Link: <absolute url>; rel="next"` until the end."""
    token = listed["token"]
    url = f"{stoa.url}/api/models?search={token}&limit=2"
    seen: list[str] = []
    pages = 0
    while url:
        r = curl("GET", url)
        assert r.status == 200, r.describe()
        page = r.json()
        assert isinstance(page, list)
        assert len(page) <= 2
        seen += [item["id"] for item in page]
        pages += 1
        link = r.header("link")
        url = None
        if link:
            m = re.search(r'<([^>]+)>;\s*rel="next"', link)
            if m:
                url = m.group(1)
                assert url.startswith(stoa.url + "/"), f"next link must be absolute on the public URL: {link}"
        assert pages < 10
    assert pages >= 2, "4 results with limit=2 should take at least 2 pages"
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    assert set(seen) == set(listed["public"]) | {listed["bob"]}

    # The client follows the same links when no limit is given.
    assert {m.id for m in api_anon.list_models(search=token)} == set(seen)


def test_list_datasets(api_alice, api_anon, api_bob, repo_name):
    token = unique_name("dsl").replace("-", "")
    a = f"alice/{token}-a"
    b = f"bob/{token}-b"
    p = f"alice/{token}-p"
    api_alice.create_repo(a, repo_type="dataset")
    api_bob.create_repo(b, repo_type="dataset")
    api_alice.create_repo(p, repo_type="dataset", private=True)
    api_alice.create_repo(f"alice/{token}-model")  # a model: not a dataset

    assert {d.id for d in api_anon.list_datasets(search=token)} == {a, b}
    assert {d.id for d in api_alice.list_datasets(search=token)} == {a, b, p}
    assert {d.id for d in api_anon.list_datasets(search=token, author="bob")} == {b}
    assert len(list(api_anon.list_datasets(search=token, limit=1))) == 1
    assert [d.id for d in api_anon.list_datasets(search=token, author="alice", sort="createdAt")] == [a]
    # not among models
    assert {m.id for m in api_anon.list_models(search=token)} == {f"alice/{token}-model"}


# ---------------------------------------------------------------------------------------------
# Trees, files, paths-info
# ---------------------------------------------------------------------------------------------


def test_list_repo_tree(api_anon, populated, hf):
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    repo_id, files = populated["repo_id"], populated["files"]

    top = list(api_anon.list_repo_tree(repo_id))
    top_paths = {e.path: e for e in top}
    assert set(top_paths) == {
        ".gitattributes", "config.json", "README.md", "model.safetensors", "pytorch_model.bin", "tokenizer", "data"
    }
    assert isinstance(top_paths["tokenizer"], RepoFolder)
    assert re.fullmatch(r"[0-9a-f]{40}", top_paths["tokenizer"].tree_id)
    cfg = top_paths["config.json"]
    assert isinstance(cfg, RepoFile)
    assert cfg.size == len(files["config.json"])
    assert cfg.blob_id == git_blob_sha1(files["config.json"])
    assert cfg.lfs is None
    st = top_paths["model.safetensors"]
    assert st.size == len(files["model.safetensors"])  # real size, not the pointer's
    assert st.lfs is not None
    assert st.lfs.sha256 == sha256_bytes(files["model.safetensors"])
    assert st.lfs.size == len(files["model.safetensors"])
    # Uploaded by the default client, so stored through Xet and announced as such.
    assert st.xet_hash is not None and re.fullmatch(r"[0-9a-f]{64}", st.xet_hash)

    rec = list(api_anon.list_repo_tree(repo_id, recursive=True))
    rec_files = {e.path for e in rec if isinstance(e, RepoFile)}
    rec_dirs = {e.path for e in rec if isinstance(e, RepoFolder)}
    assert rec_files == set(files) | {".gitattributes"}
    assert rec_dirs == {"tokenizer", "tokenizer/special", "data"}

    sub = list(api_anon.list_repo_tree(repo_id, path_in_repo="tokenizer"))
    assert {e.path for e in sub} == {"tokenizer/vocab.txt", "tokenizer/special"}
    sub_rec = list(api_anon.list_repo_tree(repo_id, path_in_repo="tokenizer", recursive=True))
    assert {e.path for e in sub_rec} == {"tokenizer/vocab.txt", "tokenizer/special", "tokenizer/special/map.json"}
    deep = list(api_anon.list_repo_tree(repo_id, path_in_repo="tokenizer/special"))
    assert [e.path for e in deep] == ["tokenizer/special/map.json"]

    with pytest.raises(hf.errors.EntryNotFoundError):
        list(api_anon.list_repo_tree(repo_id, path_in_repo="no/such/dir"))
    with pytest.raises(hf.errors.RevisionNotFoundError):
        list(api_anon.list_repo_tree(repo_id, revision="no-such-branch"))


def test_list_repo_tree_expand_last_commit(api_anon, populated):
    """expand=true adds lastCommit {id, title, date} on files and folders (hub-api.md 3.7)."""
    expanded = {e.path: e for e in api_anon.list_repo_tree(populated["repo_id"], revision=populated["commit"],
                                                           expand=True)}
    for path in ("config.json", "model.safetensors", "tokenizer"):
        lc = expanded[path].last_commit
        assert lc is not None, f"{path}: no lastCommit with expand=True"
        assert lc.oid == populated["commit"]
        assert lc.title == "populate"
        assert isinstance(lc.date, dt.datetime)


def test_list_repo_tree_pagination(api_alice, new_repo):
    """Enough files that a tree listing might be paginated; the client must see each exactly once."""
    from huggingface_hub import CommitOperationAdd

    repo_id = new_repo("manyfiles")
    n = 1100
    api_alice.create_commit(
        repo_id,
        operations=[CommitOperationAdd(f"f/{i:05d}.txt", str(i).encode()) for i in range(n)],
        commit_message="many",
    )
    paths = [e.path for e in api_alice.list_repo_tree(repo_id, path_in_repo="f")]
    assert len(paths) == n
    assert len(set(paths)) == n
    files = api_alice.list_repo_files(repo_id)
    assert len(files) == n + 1


def test_list_repo_files(api_anon, populated):
    files = api_anon.list_repo_files(populated["repo_id"])
    assert sorted(files) == sorted(set(populated["files"]) | {".gitattributes"})


def test_get_paths_info(api_anon, populated):
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    repo_id, files = populated["repo_id"], populated["files"]
    infos = api_anon.get_paths_info(repo_id, ["config.json", "tokenizer", "missing.txt", "model.safetensors",
                                              "tokenizer/nope"])
    by_path = {i.path: i for i in infos}
    assert set(by_path) == {"config.json", "tokenizer", "model.safetensors"}  # missing paths omitted
    assert isinstance(by_path["config.json"], RepoFile)
    assert by_path["config.json"].size == len(files["config.json"])
    assert by_path["config.json"].blob_id == git_blob_sha1(files["config.json"])
    assert isinstance(by_path["tokenizer"], RepoFolder)
    assert by_path["model.safetensors"].lfs.sha256 == sha256_bytes(files["model.safetensors"])

    assert api_anon.get_paths_info(repo_id, ["nothing/here"]) == []


def test_get_paths_info_expand(api_anon, populated):
    infos = api_anon.get_paths_info(populated["repo_id"], ["config.json"], expand=True, revision=populated["commit"])
    assert len(infos) == 1
    assert infos[0].last_commit is not None, "no lastCommit with expand=true"
    assert infos[0].last_commit.oid == populated["commit"]
